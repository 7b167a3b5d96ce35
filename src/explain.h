/* explain: one forward and one backward pass on one row, written out term
 * by term in the notation of the worked example (w111 = layer 1, unit 1,
 * input 1), so a pen-and-paper calculation can be checked line by line.
 * Writes to a stream it is given; opens no file. */
#ifndef HOUSENET_EXPLAIN_H
#define HOUSENET_EXPLAIN_H

#include <stdio.h>

#include "err.h"
#include "net.h"

/* Explains one plain gradient-descent step with learning rate lr on input x
 * (width[0] values) and target y, both in the network's (normalised) units.
 * names (may be NULL) label the inputs and target (nin + 1 strings).
 * net is not changed. The gradients written are those of the training
 * kernel (net_backward_block); the chain-rule products are recomputed
 * alongside and the largest difference is reported. */
int explain_step(FILE *out, const Net *net, const double *x, double y, double lr,
                 const char *const *names, Err *err);

#endif
