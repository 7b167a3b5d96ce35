/* cmd_data: `housenet inspect` and `housenet convert`, the commands on
 * data files (see cmd.h). The work is io/datafile.c's. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "colname.h"
#include "csvread.h"
#include "csvrows.h"
#include "datafile.h"
#include "h5guard.h"
#include "h5table.h"
#include "opt.h"


enum { O_TABLE, O_DELIMITER, O_NA_VALUES, O_QUIET, O_COMPRESS };

typedef struct DataArgs {
    const char *table;
    char delimiter;
    char na_buf[4096];         /* --na-values, split in place */
    const char *na[CSV_NA_MAX];
    int nna;
    int quiet;
    int compress;
} DataArgs;

/* --na-values: comma-separated, each token trimmed of spaces (as cells
 * are), empty ones skipped. */
static int na_values(DataArgs *a, const char *v, Err *err)
{
    if (strlen(v) >= sizeof a->na_buf)
        return err_set(err, E_USAGE, "--na-values: the list is longer than %zu characters", sizeof a->na_buf - 1);
    strcpy(a->na_buf, v);
    a->nna = 0;
    for (char *p = a->na_buf, *end; p; p = end ? end + 1 : NULL) {
        if ((end = strchr(p, ',')))
            *end = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        for (size_t n = strlen(p); n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
            p[n - 1] = '\0';
        if (!*p)
            continue;
        if (a->nna == CSV_NA_MAX)
            return err_set(err, E_USAGE, "--na-values: more than %d tokens", CSV_NA_MAX);
        a->na[a->nna++] = p;
    }
    return 0;
}

static int on_data_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    DataArgs *a = ctx;
    switch (id) {
    case O_TABLE: a->table = v; break;
    case O_DELIMITER: return csv_delimiter_option(v, name, &a->delimiter, err);
    case O_NA_VALUES: return na_values(a, v, err);
    case O_QUIET: a->quiet = 1; break;
    case O_COMPRESS: a->compress = 1; break;
    }
    return 0;
}

static const Opt DATA_OPTS[] = {
    { O_TABLE, "--table", NULL, OPT_REQUIRED, "a name, e.g. --table houses" },
    { O_DELIMITER, "--delimiter", "-d", OPT_REQUIRED_OR_EMPTY, "a character, e.g. --delimiter ';'" },
    { O_NA_VALUES, "--na-values", NULL, OPT_REQUIRED_OR_EMPTY, "a comma list, e.g. --na-values NA,?" },
    /* convert only: the last two rows */
    { O_QUIET, "--quiet", "-q", OPT_FLAG, NULL },
    { O_COMPRESS, "--compress", NULL, OPT_FLAG, NULL },
};

static CsvOptions csv_options(const DataArgs *a)
{
    CsvOptions o;
    memset(&o, 0, sizeof o);
    o.delimiter = a->delimiter;
    o.na_values = a->na;
    o.n_na_values = a->nna;
    o.allow_missing = 1;
    return o;
}

/* Parses the arguments of cmd: exactly npos positionals; with_quiet: --quiet and --compress too. */
static int data_args(const char *cmd, int argc, char **argv, int npos, int with_quiet, DataArgs *a,
                     const char **pos, Err *err)
{
    int n, nopts = (int)(sizeof DATA_OPTS / sizeof DATA_OPTS[0]) - 2 * !with_quiet;
    memset(a, 0, sizeof *a);
    a->nna = -1; /* no --na-values: the default tokens, as a config's [data] na_values */
    int rc = opt_parse(cmd, argc, argv, DATA_OPTS, nopts, on_data_opt, a, pos, npos, &n, err);
    if (!rc && a->nna < 0)
        rc = na_values(a, CSV_DEFAULT_NA, err);
    if (!rc && n < npos)
        rc = err_set(err, E_USAGE, "%s: missing %s; see housenet %s --help", cmd,
                     npos == 1 ? "FILE" : n == 0 ? "IN.csv and OUT.h5" : "OUT.h5", cmd);
    return rc;
}

/* What inspect reads, and how. */
typedef struct InspectRead {
    const char *table;
    const CsvOptions *csv;
} InspectRead;

/* inspect itself, run first in a child process (h5guard.h); its report
 * goes to the child's stdout, /dev/null. */
static int probe_inspect(const char *path, void *ctx, Err *err)
{
    const InspectRead *r = ctx;
    return datafile_inspect(path, r->table, r->csv, stdout, err);
}

int cmd_inspect(int argc, char **argv, Err *err)
{
    DataArgs a;
    const char *pos[1];
    int rc = data_args("inspect", argc, argv, 1, 0, &a, pos, err);
    if (rc)
        return rc;
    struct stat st;
    if (stat(pos[0], &st) == 0 && S_ISDIR(st.st_mode)) { /* a run directory is named as one */
        char model[PATH_MAX];
        if (!cmd_join(pos[0], "model.h5", model, sizeof model) && access(model, F_OK) == 0)
            return err_set(err, E_USAGE, "%s is a run directory; inspect reads one file: %s, or its best.h5, "
                           "curves.h5 or a checkpoint in checkpoints/", pos[0], model);
        return err_set(err, E_USAGE, "%s is a directory; inspect reads one file: a CSV or HDF5 table, or a model, "
                       "checkpoint or curves file", pos[0]);
    }
    CsvOptions o = csv_options(&a);
    InspectRead r = { .table = a.table, .csv = &o };
    if (h5_table_path_is_hdf5(pos[0]) && (rc = h5guard_check(pos[0], H5GUARD_FILE, probe_inspect, &r, err)))
        return rc;
    return datafile_inspect(pos[0], a.table, &o, stdout, err);
}

int cmd_convert(int argc, char **argv, Err *err)
{
    DataArgs a;
    ConvertReport rep;
    const char *pos[2];
    memset(&rep, 0, sizeof rep);
    int rc = data_args("convert", argc, argv, 2, 1, &a, pos, err);
    if (rc)
        return rc;
    struct stat st;
    int plain = stat(pos[1], &st) == 0 ? S_ISREG(st.st_mode) : errno == ENOENT; /* devices: datafile_convert says */
    if (plain && !h5_table_path_is_hdf5(pos[1])) {
        const char *dot = strrchr(pos[1], '.'), *slash = strrchr(pos[1], '/');
        int stem = dot && (!slash || dot > slash) ? (int)(dot - pos[1]) : (int)strlen(pos[1]);
        return err_set(err, E_USAGE, "%s: convert writes an HDF5 table, and a file is read as one by its name's .h5 "
                       "or .hdf5 ending: name it %.*s.h5", pos[1], stem, pos[1]);
    }
    CsvOptions o = csv_options(&a);
    rc = datafile_convert(pos[0], pos[1], a.table, &o, a.compress, &rep, err);
    if (rc == 0 && !a.quiet) /* notes only when there is no error line: an error is one line */
        for (int c = 0; c < rep.ncols; c++)
            if (!rep.cols[c].is_numeric)
                term_line(stderr, "housenet: convert: column \"%.40s\" stored as text (first text at line %zu: \"%s\")",
                        rep.cols[c].name, rep.cols[c].text_line, rep.cols[c].text_example);
    if (rc == 0)
        printf("converted %zu rows x %d columns of %s into %s (table /%s, %d float64, %d text, chunks of %d rows, "
               "%s)\n", rep.rows, rep.written, pos[0], pos[1], a.table ? a.table : "table", rep.written - rep.text,
               rep.text, (int)h5_table_chunk_rows(rep.written),
               rep.compressed ? "shuffle + deflate"
               : a.compress ? "uncompressed: this HDF5 has no deflate encoder"
                            : "uncompressed; --compress for shuffle + deflate");
    datafile_report_free(&rep);
    return rc;
}
