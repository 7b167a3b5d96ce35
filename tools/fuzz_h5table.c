/* fuzz_h5table: libFuzzer target for the HDF5 table reader (io/h5table.c)
 * and `housenet inspect` of a table (io/datafile.c) (docs/development.md,
 * docs/hardening.md).
 *
 * Input: an HDF5 file image, written to a file in the target's temporary
 * directory, described with h5_table_inspect (the table found as "" finds
 * it) and datafile_inspect, then read with h5_table_read: the numeric
 * columns the description lists (at most 8), with missing values refused
 * and allowed. Nothing may crash, leak or hang; a failure returns a
 * negative code with a message; the two reads agree on the row count. */
#include <stdint.h>
#include <stdio.h>

#include "datafile.h"
#include "fuzz_util.h"
#include "h5table.h"
#include "table.h"

enum { MAX_COLS = 8 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fuzz_null();
    const char *path = fuzz_file("table.h5", data, size);
    H5TableInfo info = { 0 };
    Err err = { 0 };
    int rc = h5_table_inspect(path, "", &info, &err);
    fuzz_check_err("h5_table_inspect", rc, &err);
    Err e = { 0 };
    CsvOptions csv = { 0 };
    fuzz_check_err("datafile_inspect", datafile_inspect(path, "", &csv, null, &e), &e);
    const char *names[MAX_COLS];
    int n = 0;
    for (int i = 0; rc == 0 && i < info.ncols && n < MAX_COLS; i++)
        if (info.cols[i].is_numeric)
            names[n++] = info.cols[i].name;
    for (int allow = 0; n > 0 && allow < 2; allow++) {
        Table t = { 0 };
        Err r = { 0 };
        int rc2 = h5_table_read(path, info.table, names, n, allow, &t, &r);
        fuzz_check_err("h5_table_read", rc2, &r);
        if (rc2 == 0 && t.nrows != info.nrows)
            fuzz_fail("h5_table_read", "a row count other than h5_table_inspect's");
        if (rc2 == 0)
            table_free(&t);
    }
    h5_table_info_free(&info);
    fuzz_check_h5_closed("fuzz_h5table");
    return 0;
}
