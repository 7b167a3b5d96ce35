/* schedule (prefix sched_): the learning-rate schedule, as a pure function
 * of where training stands. Owns the rules (constant, step, cosine,
 * plateau, linear warm-up); the state they read (epoch, step, the reduction
 * scale) lives in the trainer's TrainState, so a resumed run continues the
 * same schedule. Knows nothing of optimizers, files or threads. (Not
 * sched.h: with src/ on the include path that name hid the system's
 * <sched.h>, which <pthread.h> includes.) */
#ifndef HOUSENET_SCHED_H
#define HOUSENET_SCHED_H

#include <stdint.h>

typedef enum SchedKind {
    SCHED_CONSTANT = 0,
    SCHED_STEP = 1,
    SCHED_COSINE = 2,
    SCHED_PLATEAU = 3
} SchedKind;

/* A zeroed Sched is the constant schedule without warm-up. */
typedef struct Sched {
    SchedKind kind;
    int warmup_epochs;     /* linear warm-up, step by step, over this many epochs; 0 = none */
    int step_size;         /* step: epochs between reductions (>= 1) */
    double gamma;          /* step: factor per reduction */
    double min_lr;         /* cosine: the rate of the last epoch; plateau: no reduction below it */
    double plateau_factor; /* plateau: factor per reduction */
    int plateau_patience;  /* plateau: epochs without improvement before a reduction */
} Sched;

/* The rate of the step numbered `step` (0-based, counted over the whole
 * run) in epoch `epoch` (1-based) of `epochs`:
 *   base_epoch(epoch) * scale * warmup(step), where
 *   constant, plateau: base_epoch = base
 *   step:    base * gamma^floor((epoch - 1) / step_size)
 *   cosine:  min_lr + (base - min_lr) (1 + cos(pi (epoch - 1) / (epochs - 1))) / 2
 *   warmup:  min(1, (step + 1) / (warmup_epochs * steps_per_epoch))
 * scale is the product of the reductions so far (plateau, divergence). */
double sched_lr(const Sched *s, double base, double scale, int64_t epoch, int epochs, int64_t step,
                int64_t steps_per_epoch);

/* The scale after a plateau reduction: scale * plateau_factor, but not
 * below min_lr / base. Returns scale unchanged when base * scale is
 * already at or below min_lr. */
double sched_plateau_reduce(const Sched *s, double base, double scale);

const char *sched_name(SchedKind k);

#endif
