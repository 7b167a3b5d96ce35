/* config: the INI run configuration, read with inih.
 * One table (io/config.c, KEYS[]) lists every key with its section, type,
 * field, default, range and help text; that table drives parsing, defaults,
 * range checks, `--set section.key=value`, `housenet help config` and the
 * resolved config text stored in every model file. Unknown sections and
 * keys are errors. Paths in a config file are relative to the file's own
 * directory; paths given with --set are relative to the current directory. */
#ifndef HOUSENET_CONFIG_H
#define HOUSENET_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "csvread.h"
#include "data.h"
#include "err.h"
#include "net.h"

#define CFG_PATH_MAX 1024
#define CFG_TEXT_MAX 4096
#define CFG_MAX_FEATURES 256
#define CFG_MAX_FILTERS 16

enum { INIT_XAVIER = 0, INIT_UNIFORM = 1, INIT_EXPLICIT = 2 };
enum { MISSING_ERROR = 0, MISSING_DROP = 1, MISSING_MEAN = 2 };
enum { UNKNOWN_ZEROS = 0, UNKNOWN_ERROR = 1 };
/* normalize_target = same: follow [data] normalize */
enum { NORM_SAME = 3 };

typedef struct Config {
    /* [data] */
    char data_path[CFG_PATH_MAX];
    char data_table[256];             /* HDF5: the table's object path; "" = the file's default */
    char features[CFG_TEXT_MAX];      /* comma list as written */
    char target[256];
    int normalize;                    /* NormKind */
    int normalize_target;             /* NormKind or NORM_SAME */
    double validation_fraction;
    double test_fraction;
    char delimiter[16];               /* the one character (written as a name or quoted in the file) */
    char na_values[CFG_TEXT_MAX];     /* comma list */
    int missing;                      /* MISSING_* */
    int stream;                       /* 1: train from an HDF5 table a chunk at a time (io/stream.h) */
    char filter[CFG_TEXT_MAX];        /* comma list of row conditions as written */
    int target_transform;             /* TargetTransform (src/data.h) */
    char log_features[CFG_TEXT_MAX];  /* comma list as written */
    char categorical[CFG_TEXT_MAX];   /* comma list as written */
    int min_category_count;
    int unknown_category;             /* UNKNOWN_* */
    /* [model] */
    char hidden[256];                 /* comma list as written */
    int activation;                   /* Activation */
    int output_activation;            /* Activation */
    int init;                         /* INIT_* */
    double init_scale;
    /* [train] */
    int epochs;
    int batch_size;
    double learning_rate;
    uint64_t seed;
    int threads;                      /* 0 = all cores */
    int shuffle;
    int precision;                    /* TrainPrecision (src/train.h): 0 float64, 1 float32 */
    int optimizer;                    /* OptimKind */
    double momentum;
    double beta1, beta2, eps;
    double weight_decay;
    int lr_schedule;                  /* SchedKind */
    int warmup_epochs;
    int step_size;
    double gamma;
    double min_lr;
    double plateau_factor;
    int plateau_patience;
    double clip_norm;                 /* 0 = off */
    int patience;                     /* early stopping; 0 = off */
    double min_delta;
    int restore_best;
    int divergence_retries;
    double divergence_factor;
    /* [run] */
    char run_dir[CFG_PATH_MAX];       /* "" = runs/<config file stem> */
    double flush_seconds;
    double checkpoint_every_seconds;  /* seconds between checkpoints, 0 = none */
    int checkpoint_every;             /* epochs between checkpoints, 0 = none */
    int checkpoint_every_steps;       /* steps between checkpoints, 0 = none */
    int keep_checkpoints;             /* periodic checkpoints kept in RUN/checkpoints */
    int log_every_steps;              /* 0 = no per-step log */

    /* [init] (explicit initial parameters): text per weight layer, owned */
    char *init_W[NET_MAX_LAYERS];
    char *init_b[NET_MAX_LAYERS];
    int init_W_line[NET_MAX_LAYERS];  /* as key_line: the file's line, -1 for --set, 0 unset */
    int init_b_line[NET_MAX_LAYERS];

    /* Derived by cfg_load / cfg_set */
    int nfeat;
    char feature_names[CFG_MAX_FEATURES][256];
    int nhidden;
    int hidden_widths[NET_MAX_LAYERS];
    int nna;
    char na_list[CSV_NA_MAX][CSV_NA_LEN];
    int nfilter;                      /* [data] filter, parsed: a row is used when all hold */
    struct {
        char column[256];
        CmpOp op;
        double value;
    } filter_cond[CFG_MAX_FILTERS];
    int nlog;                         /* [data] log_features, parsed (each a feature: cfg_finish) */
    char log_names[CFG_MAX_FEATURES][256];
    int ncat;                         /* [data] categorical, parsed (each a feature: cfg_finish) */
    char cat_names[CFG_MAX_FEATURES][256];
    char source[CFG_PATH_MAX];        /* the config file as given, "" for none */
    char stem[256];                   /* its name without directory and extension */
    int key_line[128];                /* line of each KEYS[] entry in the file, -1 if --set gave it,
                                         0 if unset */
} Config;

/* Fills every key with its default. */
void cfg_defaults(Config *c);
/* A Config on the heap with every key at its default (a Config is about
 * 92 KB, too much for a stack frame); the caller frees it with cfg_delete.
 * NULL when out of memory. */
Config *cfg_new(void);
/* cfg_free, then the Config itself. NULL does nothing. */
void cfg_delete(Config *c);
/* Reads path over the defaults. Errors (E_CONFIG, E_IO) read
 * `path:line: [section] key: what is wrong; how to fix`. */
int cfg_load(Config *c, const char *path, Err *err);
/* Reads INI text (e.g. the resolved config stored in a model file) over
 * the defaults; origin names it in messages ("model.h5:/config"). Paths
 * are taken as written. Errors as cfg_load. */
int cfg_load_text(Config *c, const char *text, const char *origin, Err *err);
/* Applies one `section.key=value` override (from --set). */
int cfg_set(Config *c, const char *assignment, Err *err);
/* Refuses s[0..len) when it is not plain text (colname_text_invalid): a
 * byte that is not UTF-8, or a control character other than TAB, which
 * reports would print to a terminal as it is. line_at: where is "path:line"
 * of a config line and the column is added; else where names a value
 * ("--set a.b=c", "--grid ...") and the byte is counted in it. E_CONFIG. */
int cfg_check_text(const char *s, size_t len, const char *where, int line_at, Err *err);
/* Checks what single keys cannot: required keys, the split fractions'
 * sum, [init] against the network shape. Call after the last cfg_set. */
int cfg_finish(Config *c, Err *err);
/* The resolved config as INI text (every key, [init] when explicit);
 * caller frees. NULL when out of memory. */
char *cfg_text_new(const Config *c);
/* Parses the values of explicit init key `W<l>` / `b<l>` (1-based layer)
 * into out (count doubles). E_CONFIG naming the key and line on a wrong
 * count or a bad number. */
int cfg_init_values(const Config *c, int layer, int is_bias, double *out, size_t count, Err *err);
/* The index of column name among the features (0..nfeat-1), nfeat for
 * the target, -1 for neither. */
int cfg_column(const Config *c, const char *name);
/* 1 when feature f is listed in [data] categorical. */
int cfg_is_categorical(const Config *c, int f);
/* Writes the documentation of every key (generated from the table). */
void cfg_help(FILE *out);
/* Releases [init] texts; leaves *c zeroed. */
void cfg_free(Config *c);

/* "path:line" of section.key for messages, "--set section.key" when
 * --set gave its value, or the config's path alone when it was not set. */
const char *cfg_where_key(const Config *c, const char *section, const char *name, char *buf, size_t cap);

/* For a file path that does not exist: " (did you mean DIR/NAME?)" with
 * the closest name in its directory that ends in one of the next exts,
 * or " (no directory DIR)", into out (cap bytes), and 1; else "" and 0. */
int cfg_missing_hint(const char *path, const char *const *exts, int next, char *out, size_t cap);

/* Names of keys whose change makes a checkpoint incompatible are listed in
 * the table too: returns 1 when `section.key` may change on resume. */
int cfg_key_is_resume_safe(const char *section, const char *name);
/* The default of `section.key` as cfg_text_new() writes it; NULL for an
 * unknown key. A key newer than a checkpoint compares equal at its default. */
const char *cfg_key_default(const char *section, const char *name);

#endif
