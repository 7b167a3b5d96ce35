/* fuzz_load: libFuzzer target for the whole load path of a run: config
 * text and CSV data into the seeded split and normalisation (io/config.c,
 * io/loader.c, io/csvread.c, src/data.c) (docs/development.md,
 * docs/hardening.md).
 *
 * Input: config text, a NUL byte, then the CSV file (without a NUL: the
 * whole input is the config, and the data file is empty). The CSV is
 * written to a file in the target's temporary directory; the config is
 * read with [data] path set to it (stream = false), finished, and
 * loader_load splits it. When the config names no features, the header's
 * columns are taken (the last as the target). Nothing may crash, leak or
 * hang; a failure returns a negative code with a message; the parts' rows
 * add up to at most the rows read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "csvread.h"
#include "fuzz_util.h"
#include "loader.h"

/* [data] features and target from the CSV header (at most 16 columns). */
static int pick_columns(Config *c, const char *path, Err *err)
{
    CsvColumnInfo *cols = NULL;
    int ncols = 0;
    CsvOptions opt = { .allow_missing = 1 };
    size_t nrows = 0;
    int rc = csv_inspect(path, &opt, &cols, &ncols, &nrows, err);
    char set[4096] = "data.features=";
    for (int i = 0; rc == 0 && i + 1 < ncols && i < 16; i++)
        snprintf(set + strlen(set), sizeof set - strlen(set), "%s%.100s", i ? "," : "", cols[i].name);
    if (rc == 0 && ncols >= 2) {
        rc = cfg_set(c, set, err);
        snprintf(set, sizeof set, "data.target=%.100s", cols[ncols - 1].name);
        if (rc == 0)
            rc = cfg_set(c, set, err);
    } else if (rc == 0) {
        rc = err_set(err, E_DATA, "%s: fewer than two columns", path);
    }
    csv_inspect_free(&cols, &ncols);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Config c;
    Err err = { 0 };
    int rc = fuzz_config_and_data(data, size, "data.csv", 0, pick_columns, &c, &err);
    if (rc == 0) {
        Splits s = { 0 };
        rc = loader_load(&c, &s, &err);
        fuzz_check_err("loader_load", rc, &err);
        if (rc == 0) {
            if (s.train.n + s.val.n + s.test.n > s.rows_read)
                fuzz_fail("loader_load", "more rows in the parts than were read");
            splits_free(&s);
        }
    }
    cfg_free(&c);
    return 0;
}
