/* fuzz_model: libFuzzer target for the model reader (io/h5model.c,
 * model.h5 and best.h5) and `housenet inspect` of a model file
 * (docs/development.md, docs/hardening.md).
 *
 * Input: an HDF5 file image, written to a file in the target's temporary
 * directory and read as evaluate and predict read a model
 * (loader_open_model: the model, then its stored config through
 * cfg_load_text and cfg_finish) and as inspect describes it
 * (ckpt_describe). A model that loads predicts one row of zeros. Nothing
 * may crash, leak or hang; a failure returns a negative code with a
 * message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h"
#include "config.h"
#include "fuzz_util.h"
#include "infer.h"
#include "loader.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fuzz_null();
    const char *path = fuzz_file("model.h5", data, size);
    Model m = { 0 };
    Config c;
    Err err = { 0 };
    int rc = loader_open_model(path, &m, &c, &err);
    fuzz_check_err("loader_open_model", rc, &err);
    if (rc == 0) {
        Infer in;
        double *x = calloc((size_t)m.net.width[0] + 1, sizeof *x);
        double *y = calloc((size_t)m.net.width[m.net.nlayers] + 1, sizeof *y);
        rc = infer_init(&in, &m.net, &err);
        fuzz_check_err("infer_init", rc, &err);
        if (rc == 0 && x && y)
            infer_rows(&in, x, 1, y);
        if (rc == 0)
            infer_free(&in);
        free(x);
        free(y);
        model_free(&m);
        cfg_free(&c);
    }
    Err e2 = { 0 };
    fuzz_check_err("ckpt_describe", ckpt_describe(path, null, &e2), &e2);
    fuzz_check_h5_closed("fuzz_model");
    return 0;
}
