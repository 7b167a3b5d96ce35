/* fuzz_stream: libFuzzer target for the streamed training data
 * (io/stream.c over io/h5table.c: [data] stream = true)
 * (docs/development.md, docs/hardening.md).
 *
 * Input: config text, a NUL byte, then an HDF5 file image (an empty
 * config: the input starts with the NUL). The image is
 * written to a file in the target's temporary directory; the config is
 * read with [data] path set to it and stream = true; when it names no
 * features, the table's numeric columns are taken (the last as the
 * target). Then stream_load (the first pass) and every training chunk.
 * Nothing may crash, leak or hang; a failure returns a negative code with
 * a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"
#include "h5table.h"
#include "loader.h"
#include "stream.h"

/* [data] features and target from the table's numeric columns. */
static int pick_columns(Config *c, const char *path, Err *err)
{
    H5TableInfo info = { 0 };
    int rc = h5_table_inspect(path, c->data_table, &info, err);
    char set[4096] = "data.features=";
    int n = 0, last = -1;
    for (int i = 0; rc == 0 && i < info.ncols; i++)
        if (info.cols[i].is_numeric) {
            if (last >= 0)
                snprintf(set + strlen(set), sizeof set - strlen(set), "%s%.100s", n++ ? "," : "",
                         info.cols[last].name);
            last = i;
        }
    if (rc == 0 && n > 0) {
        rc = cfg_set(c, set, err);
        snprintf(set, sizeof set, "data.target=%.100s", info.cols[last].name);
        if (rc == 0)
            rc = cfg_set(c, set, err);
    } else if (rc == 0) {
        rc = err_set(err, E_DATA, "%s: fewer than two numeric columns", path);
    }
    h5_table_info_free(&info);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Config c;
    Err err = { 0 };
    int rc = fuzz_config_and_data(data, size, "table.h5", 1, pick_columns, &c, &err);
    if (rc == 0) {
        Splits s = { 0 };
        StreamTrain *st = NULL;
        StreamCounts counts;
        rc = stream_load(&c, NULL, &s, &st, &counts, &err);
        fuzz_check_err("stream_load", rc, &err);
        if (rc == 0) {
            TrainData td = stream_train_data(st);
            for (size_t first = 0; first < td.nrows; first += TRAIN_CHUNK) {
                size_t n = td.nrows - first < TRAIN_CHUNK ? td.nrows - first : TRAIN_CHUNK;
                Dataset view;
                Err e = { 0 };
                int rc2 = td.chunk(td.ctx, first, n, &view, &e);
                fuzz_check_err("chunk", rc2, &e);
                if (rc2)
                    break;
                if (view.n != n)
                    fuzz_fail("chunk", "a chunk of another size");
            }
            stream_free(&st);
            splits_free(&s);
        }
    }
    cfg_free(&c);
    fuzz_check_h5_closed("fuzz_stream");
    return 0;
}
