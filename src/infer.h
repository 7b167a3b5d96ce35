/* infer: a trained network's outputs for rows of inputs, one block at a
 * time on the calling thread (evaluation and prediction are small next to
 * training). Inputs and outputs are in the model's normalised units; the
 * caller applies the Norm. Knows nothing of files. */
#ifndef HOUSENET_INFER_H
#define HOUSENET_INFER_H

#include <stddef.h>

#include "err.h"
#include "net.h"

#define INFER_BLOCK 64

typedef struct Infer {
    const Net *net;   /* borrowed */
    NetWork work;     /* owned, INFER_BLOCK rows */
} Infer;

/* Workspace for net (which must outlive it). E_NOMEM. */
int infer_init(Infer *in, const Net *net, Err *err);
/* NULL-safe; leaves *in zeroed. */
void infer_free(Infer *in);
/* Outputs for n rows of x (n, width[0]) into out (n, noutputs). */
void infer_rows(Infer *in, const double *x, size_t n, double *out);

#endif
