/* err: error values for the whole program.
 * Owns the Err type and err_set(); knows nothing of files, threads or output.
 * Library code never prints or exits: it fills an Err and returns the code,
 * and main() prints err.msg as one line on stderr. */
#ifndef HOUSENET_ERR_H
#define HOUSENET_ERR_H

/* Error codes: 0 is success, failures are negative. */
enum {
    E_OK = 0,
    E_NOMEM = -1,   /* allocation failed */
    E_IO = -2,      /* a file could not be opened, read or written */
    E_PARSE = -3,   /* a data file is malformed (CSV cell, HDF5 layout) */
    E_CONFIG = -4,  /* a config key or value is wrong (exit status 2) */
    E_DATA = -5,    /* the data cannot be used (too few rows, constant column) */
    E_HDF5 = -6,    /* an HDF5 call failed */
    E_NUMERIC = -7, /* a non-finite value where a finite one is required */
    E_USAGE = -8,   /* a command-line argument is wrong (exit status 2) */
    E_STATE = -9,   /* a file is valid but does not fit (checkpoint vs config) */
    E_STOP = -10,   /* a stop was requested (signal); not a failure of the run */
    E_HELP = -11    /* not a failure: a command was asked for its usage (--help;
                       main prints it, exit status 0) */
};

#define ERR_MSG_MAX 1024

typedef struct Err {
    int code;               /* last code set, 0 when none */
    char msg[ERR_MSG_MAX];  /* one line, no trailing newline */
    int local;              /* in a run of several ranks: this rank alone failed, the others
                               do not know (main prints it with the rank and ends the job);
                               err_set clears it */
} Err;

/* Records code and a printf-formatted message in *err (err may be NULL) and
 * returns code, so that a failure is one line: `return err_set(err, ...);`. */
int err_set(Err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like err_set() but keeps the existing message and puts `fmt` in front of
 * it ("while saving x: <old message>"). Returns err->code. */
int err_prefix(Err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
