/* curvescsv: a curves file (curves.h5) as CSV, for gnuplot and spreadsheets:
 * one row per epoch (or per logged step, or per event), a header naming
 * the columns as in the file; a missing value (NaN) is an empty cell.
 * `housenet curves export` (io/cmd/cmd_curves.c) is its command line. */
#ifndef HOUSENET_CURVESCSV_H
#define HOUSENET_CURVESCSV_H

#include <stdio.h>

#include "err.h"

/* Which table of the curves file. */
typedef enum CurvesCsvTable { CURVES_CSV_EPOCHS, CURVES_CSV_STEPS, CURVES_CSV_EVENTS } CurvesCsvTable;

/* Writes table `what` of the curves file at path as CSV to out_path
 * (atomically), or to out when out_path is NULL. Load errors as
 * h5_curves_load; E_IO when the CSV cannot be written. */
int curves_csv_export(const char *path, CurvesCsvTable what, const char *out_path, FILE *out, Err *err);

#endif
