/* configkeys: KEYS[], one row per config key, and the hooks of the keys
 * that need more than their type's parsing (see configkeys.h). */
#include "configkeys.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "h5table.h"
#include "schedule.h"
#include "train.h"

/* ---- hooks ------------------------------------------------------------- */

/* [data] delimiter: a name or a quoted character, stored as the character. */
static int delimiter_parse(const char *v, char *out, size_t cap, char *why, size_t wcap)
{
    char d;
    if (csv_delimiter_from_text(v, &d)) {
        snprintf(why, wcap, "expected " CSV_DELIMITER_RULE ", got \"%.20s\"", v);
        return -1;
    }
    char one[2] = { d, '\0' }; /* "tab", "semicolon", ";"... as the character itself */
    cfg_copy_str(out, cap, one);
    return 0;
}

static void delimiter_show(const char *stored, char *buf, size_t cap)
{
    if (stored[0] == '\t')
        snprintf(buf, cap, "tab");
    else if (stored[0] == ';') /* inih would read a ';' as a comment */
        snprintf(buf, cap, "semicolon");
    else
        snprintf(buf, cap, "%s", stored);
}

static const KeyHook DELIMITER = { .parse = delimiter_parse, .show = delimiter_show };

/* [data] features: distinct column names, in the network's input order. */
static int features_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(items[i], items[j])) {
                snprintf(why, wcap, "column \"%.60s\" is listed twice", items[i]);
                return -1;
            }
    c->nfeat = n;
    memcpy(c->feature_names, items, (size_t)n * sizeof items[0]);
    return 0;
}

static const KeyHook FEATURES = { .items = features_items };

/* [data] na_values: the tokens, each shorter than CSV_NA_LEN. */
static int na_values_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    c->nna = n;
    for (int i = 0; i < n; i++)
        cfg_copy_str(c->na_list[i], sizeof c->na_list[i], items[i]);
    return 0;
}

static const KeyHook NA_VALUES = { .item_len = CSV_NA_LEN, .items = na_values_items };

/* [data] filter: each item `column op number`. */
static int filter_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    for (int i = 0; i < n; i++) {
        char *item = items[i], *p = item;
        CmpOp op = CMP_LT;
        size_t len = 0;
        while (*p && !(len = cmp_parse(p, &op)))
            p++;
        char *end = NULL;
        const char *num = p + len;
        double v = len ? strtod(num, &end) : NAN;
        while (end && isspace((unsigned char)*end))
            end++;
        size_t col = (size_t)(p - item);
        while (col > 0 && isspace((unsigned char)item[col - 1]))
            col--;
        if (!len || col == 0 || end == num || !end || *end || !isfinite(v)) {
            snprintf(why, wcap, "condition \"%.60s\" is not `column op number` (op one of < <= > >= == !=), "
                     "e.g. Gr_Liv_Area <= 4000", item);
            return -1;
        }
        snprintf(c->filter_cond[i].column, sizeof c->filter_cond[i].column, "%.*s", (int)col, item);
        c->filter_cond[i].op = op;
        c->filter_cond[i].value = v;
    }
    c->nfilter = n;
    return 0;
}

static const KeyHook FILTER = { .items = filter_items };

/* [data] log_features: names (cfg_finish checks each is a feature). */
static int log_features_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    c->nlog = n;
    memcpy(c->log_names, items, (size_t)n * sizeof items[0]);
    return 0;
}

static const KeyHook LOG_FEATURES = { .items = log_features_items };

/* [data] categorical: names (cfg_finish checks each is a feature). */
static int categorical_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    (void)why;
    (void)wcap;
    c->ncat = n;
    memcpy(c->cat_names, items, (size_t)n * sizeof items[0]);
    return 0;
}

static const KeyHook CATEGORICAL = { .items = categorical_items };

/* [model] hidden: the layer widths. */
static int hidden_items(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap)
{
    for (int i = 0; i < n; i++) {
        long long x;
        if (cfg_parse_long(items[i], &x) || x < 1 || x > NET_MAX_WIDTH) {
            snprintf(why, wcap, "layer width \"%.20s\" is not a whole number from 1 to %d", items[i],
                     NET_MAX_WIDTH);
            return -1;
        }
        c->hidden_widths[i] = (int)x;
    }
    c->nhidden = n;
    return 0;
}

static const KeyHook HIDDEN = { .items = hidden_items };

/* ---- the table ----------------------------------------------------------
 * { section, name, type, field, default, min, max, choices, resume_safe,
 *   help, hook } */

#define F(field) offsetof(Config, field), sizeof(((Config *)0)->field)

const KeyDef CFG_KEYS[] = {
    /* path may change on resume (the same file seen from another directory):
     * the data are compared by fingerprint instead. */
    { "data", "path", T_PATH, F(data_path), "", 0, 0, NULL, 1,
      "CSV file with a header row, or HDF5 file (.h5, .hdf5) holding a table (relative to the config file; ~/ is "
      "the home directory)", NULL },
    { "data", "table", T_STR, F(data_table), "", 0, 0, NULL, 0,
      "HDF5 only: the group of 1-D datasets, or the 2-D dataset with a columns attribute, holding the table; "
      "empty = the root group, else the table a converted file names", NULL },
    { "data", "features", T_LIST, F(features), "", 1, CFG_MAX_FEATURES, NULL, 0,
      "comma list of input column names, in the order the network sees them", &FEATURES },
    { "data", "target", T_STR, F(target), "", 0, 0, NULL, 0,
      "name of the column to predict", NULL },
    { "data", "normalize", T_ENUM, F(normalize), "zscore", 0, 0, "none|zscore|minmax", 0,
      "feature scaling fitted on the training rows: zscore (mean 0, sd 1), minmax ([0, 1]) or none", NULL },
    { "data", "normalize_target", T_ENUM, F(normalize_target), "same", 0, 0, "none|zscore|minmax|same", 0,
      "target scaling; same = as [data] normalize", NULL },
    { "data", "validation_fraction", T_DOUBLE, F(validation_fraction), "0.2", 0, 0.9, NULL, 0,
      "share of rows held out for validation (seeded split)", NULL },
    { "data", "test_fraction", T_DOUBLE, F(test_fraction), "0", 0, 0.9, NULL, 0,
      "share of rows held out for the final test (seeded split)", NULL },
    { "data", "delimiter", T_STR, F(delimiter), ",", 0, 0, NULL, 0,
      "field separator: one character, or a name: comma, semicolon, tab, pipe (also \"\t\" and a quoted "
      "character such as \";\")", &DELIMITER },
    { "data", "na_values", T_LIST, F(na_values), CSV_DEFAULT_NA, 0, CSV_NA_MAX, NULL, 0,
      "comma list of cell texts that mean missing, besides an empty cell; replaces the default, the tokens "
      "pandas and R read as missing (empty = only an empty cell)", &NA_VALUES },
    { "data", "missing", T_ENUM, F(missing), "error", 0, 0, "error|drop|mean", 0,
      "missing cells: error, drop the row, or fill with the training rows' mean", NULL },
    { "data", "filter", T_LIST, F(filter), "", 0, CFG_MAX_FILTERS, NULL, 0,
      "comma list of conditions a row must meet to be used at all (training, validation and test), each "
      "`column op number` with op one of < <= > >= == !=, e.g. Gr_Liv_Area <= 4000; a row with a missing "
      "value in the column fails; empty = every row", &FILTER },
    /* choices in the order of TargetTransform (src/data.h) */
    { "data", "target_transform", T_ENUM, F(target_transform), "none", 0, 0, "none|log|log1p", 0,
      "train on log(target) or log1p(target); metrics and predictions are back in the target's units "
      "(see docs/data.md, Transforms)", NULL },
    { "data", "log_features", T_LIST, F(log_features), "", 0, CFG_MAX_FEATURES, NULL, 0,
      "comma list of features taken as log1p(value) before the normalisation (skewed sizes and areas)", &LOG_FEATURES },
    { "data", "categorical", T_LIST, F(categorical), "", 0, CFG_MAX_FEATURES, NULL, 0,
      "comma list of features whose values are levels, one input each (numeric codes such as MS_SubClass); "
      "a feature whose cells are all text is one-hot encoded without being listed (see docs/data.md, "
      "Categorical features)", &CATEGORICAL },
    { "data", "min_category_count", T_INT, F(min_category_count), "1", 1, 1e9, NULL, 0,
      "levels seen fewer times in the training rows share one \"other\" input", NULL },
    { "data", "unknown_category", T_ENUM, F(unknown_category), "zeros", 0, 0, "zeros|error", 1,
      "a level the training rows never had, at evaluate or predict: zeros (its inputs all 0, one warning "
      "line per column) or error (file:line:col)", NULL },
    { "data", "stream", T_BOOL, F(stream), "false", 0, 0, NULL, 0,
      "HDF5 only: train a chunk of rows at a time, never holding the training rows in memory "
      "(the split is then a per-row hashed draw; see docs/data.md, Training from HDF5 streams)", NULL },
    { "model", "hidden", T_INTLIST, F(hidden), "2", 0, NET_MAX_LAYERS - 1, NULL, 0,
      "comma list of hidden layer widths, e.g. 2 or 64,64 (empty: linear regression)", &HIDDEN },
    { "model", "activation", T_ENUM, F(activation), "sigmoid", 0, 0, "sigmoid|tanh|relu|linear", 0,
      "activation of the hidden layers", NULL },
    { "model", "output_activation", T_ENUM, F(output_activation), "linear", 0, 0, "sigmoid|tanh|relu|linear", 0,
      "activation of the output unit; sigmoid reaches (0, 1), tanh (-1, 1), relu [0, inf): train warns when the "
      "normalised targets lie outside (normalize_target = minmax puts them in [0, 1])", NULL },
    { "model", "init", T_ENUM, F(init), "xavier", 0, 0, "xavier|uniform|explicit", 0,
      "initial parameters: xavier (Glorot uniform, zero biases), uniform (+-init_scale) or explicit ([init] section)", NULL },
    { "model", "init_scale", T_DOUBLE, F(init_scale), "0.5", 0, 1e6, NULL, 0,
      "half-width of the uniform initialisation", NULL },
    { "train", "epochs", T_INT, F(epochs), "100", 0, 1e9, NULL, 1,
      "passes over the training rows", NULL },
    { "train", "batch_size", T_INT, F(batch_size), "32", 1, 1 << 24, NULL, 0,
      "rows per gradient step (the loss is averaged over the batch)", NULL },
    { "train", "learning_rate", T_DOUBLE, F(learning_rate), "0.01", 0, 1e9, NULL, 0,
      "step size of the updates (lr_schedule and warmup_epochs scale it by epoch and step)", NULL },
    { "train", "seed", T_U64, F(seed), "1", 0, 0, NULL, 0,
      "seed of the initialisation, the split and the shuffles", NULL },
    { "train", "threads", T_INT, F(threads), "0", 0, 4096, NULL, 1,
      "worker threads, 0 = all cores (results do not depend on it)", NULL },
    { "train", "shuffle", T_BOOL, F(shuffle), "true", 0, 0, NULL, 0,
      "visit the training rows in a fresh seeded order every epoch", NULL },
    /* choices in the order of TrainPrecision (src/train.h) */
    { "train", "precision", T_ENUM, F(precision), "float64", 0, 0, "float64|float32", 0,
      "arithmetic of the training blocks: float64, or float32 (any network; rows in memory, not stream; "
      "parameters and optimizer stay float64; results differ from float64 by rounding; see docs/performance.md, Float32)", NULL },
    /* choices in the order of OptimKind (src/optim.h) */
    { "train", "optimizer", T_ENUM, F(optimizer), "sgd", 0, 0, "sgd|momentum|nesterov|adam", 0,
      "update rule: sgd (p -= lr g), momentum, nesterov (both with [train] momentum) or adam (beta1, beta2, eps)", NULL },
    { "train", "momentum", T_DOUBLE, F(momentum), "0.9", 0, 0.999999, NULL, 0,
      "momentum and nesterov: decay of the velocity v = momentum v + g", NULL },
    { "train", "beta1", T_DOUBLE, F(beta1), "0.9", 0, 0.999999, NULL, 0,
      "adam: decay of the mean of the gradients", NULL },
    { "train", "beta2", T_DOUBLE, F(beta2), "0.999", 0, 0.99999, NULL, 0,
      "adam: decay of the mean of the squared gradients", NULL },
    { "train", "eps", T_DOUBLE, F(eps), "1e-8", 0, 1, NULL, 0,
      "adam: added to the root of the squared-gradient mean", NULL },
    { "train", "weight_decay", T_DOUBLE, F(weight_decay), "0", 0, 1e3, NULL, 0,
      "decoupled weight decay: every step multiplies the parameters by 1 - learning_rate * weight_decay (0 = off)", NULL },
    /* choices in the order of SchedKind (src/schedule.h) */
    { "train", "lr_schedule", T_ENUM, F(lr_schedule), "constant", 0, 0, "constant|step|cosine|plateau", 0,
      "learning rate by epoch: constant, step (x gamma every step_size epochs), cosine (down to min_lr at the last epoch) "
      "or plateau (x plateau_factor after plateau_patience epochs without a better validation loss)", NULL },
    { "train", "warmup_epochs", T_INT, F(warmup_epochs), "0", 0, 1e9, NULL, 0,
      "raise the learning rate linearly, step by step, from almost 0 over this many epochs (0 = off)", NULL },
    { "train", "step_size", T_INT, F(step_size), "30", 1, 1e9, NULL, 0,
      "lr_schedule = step: epochs between reductions", NULL },
    { "train", "gamma", T_DOUBLE, F(gamma), "0.1", 0, 1, NULL, 0,
      "lr_schedule = step: factor of each reduction", NULL },
    { "train", "min_lr", T_DOUBLE, F(min_lr), "0", 0, 1e9, NULL, 0,
      "cosine: the learning rate of the last epoch; plateau: no reduction below it", NULL },
    { "train", "plateau_factor", T_DOUBLE, F(plateau_factor), "0.5", 1e-6, 0.999999, NULL, 0,
      "lr_schedule = plateau: factor of each reduction", NULL },
    { "train", "plateau_patience", T_INT, F(plateau_patience), "10", 1, 1e9, NULL, 0,
      "lr_schedule = plateau: epochs without a better validation loss before a reduction", NULL },
    { "train", "clip_norm", T_DOUBLE, F(clip_norm), "0", 0, 1e9, NULL, 0,
      "scale a gradient whose global L2 norm is above this down to it (0 = off)", NULL },
    { "train", "patience", T_INT, F(patience), "0", 0, 1e9, NULL, 1,
      "early stopping: stop after this many epochs without a better validation loss (0 = off)", NULL },
    { "train", "min_delta", T_DOUBLE, F(min_delta), "0", 0, 1e9, NULL, 1,
      "a validation loss is better only when it is below the best by more than this (early stopping, plateau)", NULL },
    { "train", "restore_best", T_BOOL, F(restore_best), "true", 0, 0, NULL, 1,
      "end the run with the parameters of the epoch with the lowest validation loss (needs validation rows)", NULL },
    { "train", "divergence_retries", T_INT, F(divergence_retries), "3", 0, 100, NULL, 1,
      "on a non-finite loss, gradient or parameter, or a loss 10^4 times the initial one, roll back to the "
      "start of the epoch and lower the learning rate, at most this many times; then stop", NULL },
    { "train", "divergence_factor", T_DOUBLE, F(divergence_factor), "0.1", 1e-6, 0.999999, NULL, 1,
      "each divergence rollback multiplies the learning rate by this", NULL },
    { "run", "dir", T_PATH, F(run_dir), "", 0, 0, NULL, 1,
      "output directory (default runs/<config file name without .ini>; ~/ is the home directory); a new run refuses "
      "one that holds other files, unless --force", NULL },
    { "run", "flush_seconds", T_DOUBLE, F(flush_seconds), "1", 0, 1e9, NULL, 1,
      "curves.h5 is rewritten at most this often while training, and always at the end", NULL },
    { "run", "checkpoint_every_seconds", T_DOUBLE, F(checkpoint_every_seconds), "30", 0, 1e9, NULL, 1,
      "a checkpoint in RUN/checkpoints once this many seconds have passed since the last one, at the next "
      "epoch end or 64th step (0 = none; the start, the end and a stop by signal always get one)", NULL },
    { "run", "checkpoint_every", T_INT, F(checkpoint_every), "0", 0, 1e9, NULL, 1,
      "also a checkpoint every this many epochs (0 = none)", NULL },
    { "run", "checkpoint_every_steps", T_INT, F(checkpoint_every_steps), "0", 0, 1e9, NULL, 1,
      "optimizer steps between checkpoints, mid-epoch too (0 = none)", NULL },
    { "run", "keep_checkpoints", T_INT, F(keep_checkpoints), "3", 1, 1e6, NULL, 1,
      "periodic checkpoints kept; older ones are removed once a newer one is safely written", NULL },
    { "run", "log_every_steps", T_INT, F(log_every_steps), "0", 0, 1e9, NULL, 1,
      "also log the training loss of every n-th step in curves.h5 (/steps; 0 = off)", NULL },
};
const int CFG_NKEYS = (int)(sizeof CFG_KEYS / sizeof CFG_KEYS[0]);
_Static_assert(sizeof CFG_KEYS / sizeof CFG_KEYS[0] <= sizeof ((Config *)0)->key_line / sizeof(int),
               "Config.key_line needs a slot per key");
