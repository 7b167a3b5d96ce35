/* progress: what a training run says on stderr while it runs. On a
 * terminal, one progress bar redrawn in place (epoch, loss, validation
 * loss, samples/s, time left); otherwise one line per epoch, so that logs
 * stay greppable; nothing when quiet. Events (rollbacks, early stop) are
 * one line each in both modes. Owns no file: it writes to the stream it
 * is given. */
#ifndef HOUSENET_PROGRESS_H
#define HOUSENET_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "train.h"

typedef struct Progress {
    FILE *f;
    int tty;                  /* draw a bar (else lines) */
    int quiet;
    int epochs;
    int64_t steps_per_epoch;
    size_t rows;              /* training rows per epoch */
    const char *target;       /* name of the target column, for units */
    double t_start;           /* when progress_init ran */
    double last_draw;
    int64_t clock_every;      /* steps between two looks at the clock (about 1024 rows) */
    int64_t clock_step;       /* the step count at the last look */
    int64_t first_epoch;      /* the epoch this process started from (a resume starts later) */
    int bar_shown;            /* the bar is on screen and must be cleared before a line */
    double train_loss, val_loss, val_rmse; /* of the last finished epoch (NaN before) */
    double rate;              /* samples/s of the last finished epoch (NaN before) */
    int no_val;               /* no validation rows: the validation figures are left out (set after init) */
} Progress;

/* Starts the display for a run of `epochs` epochs of `rows` rows in
 * steps_per_epoch steps, from epoch first_epoch. tty: f is a terminal. */
void progress_init(Progress *p, FILE *f, int tty, int quiet, int epochs, int64_t steps_per_epoch,
                   size_t rows, int64_t first_epoch, const char *target);
/* After a step (redraws the bar at most ten times a second; lines: nothing). */
void progress_step(Progress *p, const TrainState *st, double batch_loss);
/* After an epoch; val_rmse and val_mae in target units (NaN without validation rows). */
void progress_epoch(Progress *p, const EpochStats *s, double val_rmse, double val_mae);
/* One event line: `kind: msg`. */
void progress_event(Progress *p, const char *kind, const char *msg);
/* Ends the bar's line (if one is shown). */
void progress_end(Progress *p);

#endif
