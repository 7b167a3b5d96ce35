/* optim: the parameter update rule and its state.
 * State buffers use the params layout (one nparams-long slice per buffer),
 * so updates, checkpoints and resumes are flat loops over n. All state that
 * must survive a resume is in buf[0..nbufs) and t; the hyperparameters in
 * hp come from the config. Knows nothing of threads, files or schedules:
 * the learning rate of each step is given. */
#ifndef HOUSENET_OPTIM_H
#define HOUSENET_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum OptimKind { OPT_SGD = 0, OPT_MOMENTUM = 1, OPT_NESTEROV = 2, OPT_ADAM = 3 } OptimKind;

#define OPTIM_MAX_BUFS 2

/* Hyperparameters. optim_init sets the defaults shown. */
typedef struct OptimHyper {
    double momentum;      /* momentum, nesterov: velocity decay (0.9) */
    double beta1, beta2;  /* adam: decay of the first and second moment (0.9, 0.999) */
    double eps;           /* adam: added to sqrt(second moment) (1e-8) */
    double weight_decay;  /* decoupled: p *= 1 - lr * weight_decay before each update (0) */
} OptimHyper;

typedef struct Optim {
    OptimKind kind;
    size_t n;                       /* parameters */
    int nbufs;                      /* state buffers in use */
    double *buf[OPTIM_MAX_BUFS];    /* owned, n doubles each (e.g. velocity, second moment) */
    int64_t t;                      /* updates applied */
    OptimHyper hp;
} Optim;

/* Allocates the zeroed state kind needs for n parameters (sgd none,
 * momentum and nesterov the velocity, adam the first and second moments)
 * and sets hp to the defaults. E_CONFIG for an unknown kind, E_NOMEM. */
int optim_init(Optim *o, OptimKind kind, size_t n, Err *err);
/* NULL-safe; leaves *o zeroed. */
void optim_free(Optim *o);
/* One update of params (n) with grad (n), the gradient of the mean batch
 * loss, at learning rate lr (g = grad, v = buf[0], s = buf[1]):
 *   sgd       p -= lr g
 *   momentum  v = mu v + g;  p -= lr v
 *   nesterov  v = mu v + g;  p -= lr (g + mu v)
 *   adam      t += 1; v = b1 v + (1-b1) g; s = b2 s + (1-b2) g^2;
 *             p -= lr (v / (1-b1^t)) / (sqrt(s / (1-b2^t)) + eps)
 * each after the decoupled decay p *= 1 - lr weight_decay. */
void optim_step(Optim *o, double *params, const double *grad, double lr);

/* The decoupled decay p *= 1 - lr weight_decay (none at 0), before every
 * rule's update. */
static inline void optim_decay(const Optim *o, double *params, size_t n, double lr)
{
    if (o->hp.weight_decay == 0.0)
        return;
    const double keep = 1.0 - lr * o->hp.weight_decay;
    for (size_t k = 0; k < n; k++)
        params[k] *= keep;
}

/* The update of sgd (o->kind OPT_SGD) over n parameters, inline, without
 * counting it in o->t (optim_step does): the one-row loop of the 2-2-1
 * network (trainloop.c) passes n = 9, keeps the parameters in registers
 * and counts the update once it has checked it. */
static inline void optim_sgd(const Optim *o, double *params, const double *grad, size_t n, double lr)
{
    optim_decay(o, params, n, lr);
    for (size_t k = 0; k < n; k++)
        params[k] -= lr * grad[k];
}
/* Name <-> kind: "sgd", "momentum", "nesterov", "adam". optim_parse
 * returns 0, or E_CONFIG for an unknown name. */
const char *optim_name(OptimKind k);
int optim_parse(const char *name, OptimKind *out);
/* State buffers kind keeps (0, 1 or 2). */
int optim_nbufs(OptimKind k);

#endif
