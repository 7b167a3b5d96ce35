/* fuzz_curves: libFuzzer target for the curves reader (io/h5model.c,
 * curves.h5) and `housenet curves export` (io/curvescsv.c)
 * (docs/development.md, docs/hardening.md).
 *
 * Input: an HDF5 file image, written to a file in the target's temporary
 * directory, loaded with h5_curves_load and exported as CSV (epochs, steps
 * and events) to /dev/null. Nothing may crash, leak or hang; a failure
 * returns a negative code with a message; a file that loads exports. */
#include <stdint.h>
#include <stdio.h>

#include "curvescsv.h"
#include "fuzz_util.h"
#include "h5model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fuzz_null();
    const char *path = fuzz_file("curves.h5", data, size);
    Curves c = { 0 };
    Err err = { 0 };
    int rc = h5_curves_load(path, &c, &err);
    fuzz_check_err("h5_curves_load", rc, &err);
    if (rc == 0)
        curves_free(&c);
    static const CurvesCsvTable tables[] = { CURVES_CSV_EPOCHS, CURVES_CSV_STEPS, CURVES_CSV_EVENTS };
    for (int i = 0; i < 3; i++) {
        Err e = { 0 };
        int rc2 = curves_csv_export(path, tables[i], NULL, null, &e);
        fuzz_check_err("curves_csv_export", rc2, &e);
        if ((rc2 == 0) != (rc == 0))
            fuzz_fail("curves_csv_export", rc2 ? e.msg : "exports a file h5_curves_load refuses");
    }
    fuzz_check_h5_closed("fuzz_curves");
    return 0;
}
