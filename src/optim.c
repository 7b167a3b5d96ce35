/* optim: update rules (see optim.h). Each rule is one flat loop over the
 * parameters in index order, so an update never depends on the thread count. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"

static const char *const OPTIM_NAMES[] = { "sgd", "momentum", "nesterov", "adam" };
static const int OPTIM_BUFS[] = { 0, 1, 1, 2 };
#define NKINDS ((int)(sizeof OPTIM_NAMES / sizeof OPTIM_NAMES[0]))

const char *optim_name(OptimKind k)
{
    return (unsigned)k < (unsigned)NKINDS ? OPTIM_NAMES[k] : "?";
}

int optim_parse(const char *name, OptimKind *out)
{
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(name, OPTIM_NAMES[k]) == 0) {
            *out = (OptimKind)k;
            return 0;
        }
    return E_CONFIG;
}

int optim_nbufs(OptimKind k)
{
    return (unsigned)k < (unsigned)NKINDS ? OPTIM_BUFS[k] : 0;
}

int optim_init(Optim *o, OptimKind kind, size_t n, Err *err)
{
    memset(o, 0, sizeof *o);
    if ((unsigned)kind >= (unsigned)NKINDS)
        return err_set(err, E_CONFIG, "unknown optimizer %d; optimizers are sgd, momentum, nesterov, adam",
                       (int)kind);
    o->kind = kind;
    o->n = n;
    o->nbufs = OPTIM_BUFS[kind];
    o->hp = (OptimHyper){ .momentum = 0.9, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.0 };
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
    const size_t n = o->n;
    const OptimHyper *h = &o->hp;
    if (o->kind == OPT_SGD) {
        optim_sgd(o, params, grad, n, lr);
        o->t++;
        return;
    }
    optim_decay(o, params, n, lr);
    double *v = o->buf[0], *s = o->buf[1];
    switch (o->kind) {
    case OPT_SGD: /* optim_sgd, above */
        break;
    case OPT_MOMENTUM:
        for (size_t k = 0; k < n; k++) {
            v[k] = h->momentum * v[k] + grad[k];
            params[k] -= lr * v[k];
        }
        break;
    case OPT_NESTEROV:
        for (size_t k = 0; k < n; k++) {
            v[k] = h->momentum * v[k] + grad[k];
            params[k] -= lr * (grad[k] + h->momentum * v[k]);
        }
        break;
    case OPT_ADAM: {
        const uint64_t t = (uint64_t)o->t + 1;
        const double c1 = 1.0 - kern_powi(h->beta1, t), c2 = 1.0 - kern_powi(h->beta2, t);
        for (size_t k = 0; k < n; k++) {
            v[k] = h->beta1 * v[k] + (1.0 - h->beta1) * grad[k];
            s[k] = h->beta2 * s[k] + (1.0 - h->beta2) * grad[k] * grad[k];
            params[k] -= lr * (v[k] / c1) / (sqrt(s[k] / c2) + h->eps);
        }
        break;
    }
    }
    o->t++;
}
