/* optim: the parameter update rule and its state.
 * State buffers use the params layout (one nparams-long slice per buffer),
 * so updates, checkpoints and resumes are flat loops over n. Knows nothing
 * of threads, files or schedules: the learning rate of each step is given. */
#ifndef HOUSENET_OPTIM_H
#define HOUSENET_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum OptimKind { OPT_SGD = 0 } OptimKind;

#define OPTIM_MAX_BUFS 2

typedef struct Optim {
    OptimKind kind;
    size_t n;                       /* parameters */
    int nbufs;                      /* state buffers in use */
    double *buf[OPTIM_MAX_BUFS];    /* owned, n doubles each (e.g. velocity, second moment) */
    int64_t t;                      /* updates applied */
} Optim;

/* Allocates the zeroed state kind needs for n parameters. */
int optim_init(Optim *o, OptimKind kind, size_t n, Err *err);
/* NULL-safe; leaves *o zeroed. */
void optim_free(Optim *o);
/* One update of params (n) with grad (n), the gradient of the mean batch
 * loss, at learning rate lr. */
void optim_step(Optim *o, double *params, const double *grad, double lr);
const char *optim_name(OptimKind k);

#endif
