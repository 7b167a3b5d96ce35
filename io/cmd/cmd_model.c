/* cmd_model: `housenet evaluate` and `housenet predict`, the commands
 * that read a model file (see cmd.h). The work is io/evaluate.c's and
 * io/predict.c's. */
#include <stdio.h>

#include "cmd.h"
#include "csvrows.h"
#include "evaluate.h"
#include "opt.h"
#include "predict.h"

enum { O_MODEL, O_DELIMITER, O_JSON, O_OUTPUT };

/* The options both commands read; evaluate takes the first three,
 * predict all but --json. */
typedef struct ModelArgs {
    const char *model, *output;
    char delim;
    int json;
} ModelArgs;

static int on_model_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    ModelArgs *a = ctx;
    switch (id) {
    case O_MODEL: a->model = v; break;
    case O_DELIMITER: return csv_delimiter_option(v, name, &a->delim, err);
    case O_JSON: a->json = 1; break;
    case O_OUTPUT: a->output = v; break;
    }
    return 0;
}

/* What --model DIR without DIR/model.h5 is told. */
#define MODEL_IN_RUN "--model names a model file, or a run directory for its model.h5 (best.h5 is given by name)"

#define MODEL_OPT { O_MODEL, "--model", NULL, OPT_REQUIRED, "a path, e.g. --model runs/ames/model.h5" }
#define DELIMITER_OPT { O_DELIMITER, "--delimiter", "-d", OPT_REQUIRED_OR_EMPTY, "a character, e.g. --delimiter ';'" }

int cmd_evaluate(int argc, char **argv, Err *err)
{
    static const Opt opts[] = { MODEL_OPT, DELIMITER_OPT, { O_JSON, "--json", NULL, OPT_FLAG, NULL } };
    ModelArgs a = { .delim = ',' };
    const char *pos[1] = { NULL };
    int npos, rc = opt_parse("evaluate", argc, argv, opts, 3, on_model_opt, &a, pos, 1, &npos, err);
    if (rc)
        return rc;
    if (!a.model)
        return err_set(err, E_USAGE, "evaluate: missing --model; e.g. housenet evaluate --model runs/ames/model.h5");
    char buf[4096];
    if ((rc = cmd_run_file(a.model, "model.h5", MODEL_IN_RUN, buf, sizeof buf, &a.model, err)))
        return rc;
    return eval_model(a.model, pos[0], a.delim, a.json, stdout, stderr, err);
}

int cmd_predict(int argc, char **argv, Err *err)
{
    static const Opt opts[] = { MODEL_OPT, DELIMITER_OPT,
                                { O_OUTPUT, "--output", "-o", OPT_REQUIRED, "a file name, e.g. -o predictions.csv" } };
    ModelArgs a = { .delim = ',' };
    const char *pos[1] = { NULL };
    int npos, rc = opt_parse("predict", argc, argv, opts, 3, on_model_opt, &a, pos, 1, &npos, err);
    if (rc)
        return rc;
    if (!a.model || !pos[0])
        return err_set(err, E_USAGE, "predict: missing %s; e.g. housenet predict --model runs/ames/model.h5 new.csv",
                       a.model ? "INPUT.csv" : "--model");
    char buf[4096];
    if ((rc = cmd_run_file(a.model, "model.h5", MODEL_IN_RUN, buf, sizeof buf, &a.model, err)))
        return rc;
    return predict_run(a.model, pos[0], a.output, a.delim, stdout, stderr, err);
}
