/* curves: the training log held in memory: one row per epoch (named
 * float64 series next to an int64 epoch column), an optional row every few
 * steps (step, epoch, batch loss, learning rate), and the events of the
 * run (rollbacks, early stop, checkpoints: epoch, step, kind, message).
 * io/ writes them to curves.h5. The whole log is kept so that a checkpoint
 * can carry it and a resumed run continues it with no missing or
 * duplicated row. */
#ifndef HOUSENET_CURVES_H
#define HOUSENET_CURVES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CURVES_MAX_COLS 16

typedef struct CurvesEvent {
    int64_t epoch, step;  /* where training stood */
    char *kind;           /* owned, one word: rollback, early_stop, checkpoint, ... */
    char *msg;            /* owned, one line */
} CurvesEvent;

typedef struct Curves {
    size_t n, cap;
    int ncols;
    const char *names[CURVES_MAX_COLS]; /* static strings, or owned_names[c] */
    char *owned_names[CURVES_MAX_COLS]; /* names read from a file (NULL when static), freed by curves_free */
    int64_t *epoch;                     /* owned, (cap) */
    double *cols[CURVES_MAX_COLS];      /* owned, (cap) each */
    /* step log: row i is step step_no[i] of epoch step_epoch[i] (1-based) */
    size_t nsteps, steps_cap;
    int64_t *step_no, *step_epoch;      /* owned, (steps_cap) each */
    double *step_loss, *step_lr;        /* owned, (steps_cap) each */
    size_t nevents, events_cap;
    CurvesEvent *events;                /* owned, (events_cap) */
} Curves;

/* Starts an empty log with the given column names (static strings; at most
 * CURVES_MAX_COLS, none NULL). E_CONFIG on a bad column count, E_NOMEM. */
int curves_init(Curves *c, const char *const *names, int ncols, Err *err);
/* Appends a row; vals has ncols values. E_NOMEM on failure. */
int curves_push(Curves *c, int64_t epoch, const double *vals, Err *err);
/* Grows capacity to at least cap rows (n unchanged). E_NOMEM on failure. */
int curves_reserve(Curves *c, size_t cap, Err *err);
/* Drops rows so that n = min(n, keep). */
void curves_truncate(Curves *c, size_t keep);
/* Appends a step row (step: steps taken so far, epoch: the epoch it
 * belongs to, loss: the batch loss, lr: its rate). E_NOMEM on failure. */
int curves_push_step(Curves *c, int64_t step, int64_t epoch, double loss, double lr, Err *err);
/* Grows the step log's capacity to at least cap rows. E_NOMEM on failure. */
int curves_reserve_steps(Curves *c, size_t cap, Err *err);
/* Drops the step rows after step `step` (after a rollback or a resume). */
void curves_truncate_steps(Curves *c, int64_t step);
/* Appends an event; kind and msg are copied. E_NOMEM on failure. */
int curves_push_event(Curves *c, int64_t epoch, int64_t step, const char *kind, const char *msg,
                      Err *err);
/* Index of the named column or -1. */
int curves_col(const Curves *c, const char *name);
/* NULL-safe; frees the columns, owned names, step rows and events,
 * leaves *c zeroed. */
void curves_free(Curves *c);

#endif
