/* optim: update rules (see optim.h). */
#include "optim.h"

#include <stdlib.h>
#include <string.h>

static const char *const OPTIM_NAMES[] = { "sgd" };

const char *optim_name(OptimKind k)
{
    return (unsigned)k < sizeof OPTIM_NAMES / sizeof OPTIM_NAMES[0] ? OPTIM_NAMES[k] : "?";
}

int optim_init(Optim *o, OptimKind kind, size_t n, Err *err)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->n = n;
    o->nbufs = 0; /* plain SGD keeps no state */
    for (int b = 0; b < o->nbufs; b++) {
        o->buf[b] = calloc(n ? n : 1, sizeof(double));
        if (!o->buf[b]) {
            optim_free(o);
            return err_set(err, E_NOMEM, "out of memory for optimizer state (%zu parameters)", n);
        }
    }
    return 0;
}

void optim_free(Optim *o)
{
    if (!o)
        return;
    for (int b = 0; b < OPTIM_MAX_BUFS; b++)
        free(o->buf[b]);
    memset(o, 0, sizeof *o);
}

void optim_step(Optim *o, double *params, const double *grad, double lr)
{
    switch (o->kind) {
    case OPT_SGD:
        for (size_t k = 0; k < o->n; k++)
            params[k] -= lr * grad[k];
        break;
    }
    o->t++;
}
