/* curvescmd: `housenet curves export RUN/curves.h5 --csv [--steps|--events]
 * [-o OUT.csv]`: a curves file as CSV, for gnuplot and spreadsheets. One
 * row per epoch (or per logged step, or per event), a header naming the
 * columns as in the file; a missing value (NaN) is an empty cell. */
#ifndef HOUSENET_CURVESCMD_H
#define HOUSENET_CURVESCMD_H

#include <stdio.h>

#include "err.h"

/* Runs the command on argv (the arguments after "curves"). The CSV goes
 * to out unless -o names a file (written atomically). E_USAGE on bad
 * arguments; load errors as h5_curves_load. */
int curves_cmd_main(int argc, char **argv, FILE *out, FILE *msg, Err *err);

#endif
