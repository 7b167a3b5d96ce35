/* row221: the gradient of the 2-2-1 network (sigmoid hidden layer, linear
 * output, L = 1/2 (y - h)^2) for one sample, inline: net_grad_row221
 * (net.c) and the one-row training loop (trainloop.c) share it. */
#ifndef HOUSENET_ROW221_H
#define HOUSENET_ROW221_H

#include "kern.h"

/* The lane of the fused 2-2-1 kernel (grad221.inc) that carries the one
 * sample of a one-row block, in scalar code: its operations in its order,
 * each gradient element and the loss taken from a vector whose other
 * lanes hold +0 (the padding's sums: their error is +0 and the sums start
 * at +0), which the horizontal sum leaves unchanged. So the bits of
 * net_grad_block(net, p, x, &y, 1, ...) on every kernel path
 * (tests/test_net.c compares them). p: the 9 parameters (W1 row-major,
 * b1, W2, b2); the gradient is added (+=) into grad (9), the loss
 * returned. */
static inline double row221_grad(const double *p, const double *x, double y, double *grad)
{
    const double a = x[0], b = x[1];
    const double u = kern_sigmoid1(p[4] + p[0] * a + p[1] * b);
    const double v = kern_sigmoid1(p[5] + p[2] * a + p[3] * b);
    const double e = p[8] + p[6] * u + p[7] * v - y;
    const double d0 = e * p[6] * (u * (1.0 - u));
    const double d1 = e * p[7] * (v * (1.0 - v));
    const double g[9] = { d0 * a, d0 * b, d1 * a, d1 * b, d0, d1, e * u, e * v, e };
    for (int k = 0; k < 9; k++)
        grad[k] += 0.0 + g[k];
    return 0.5 * (0.0 + e * e);
}

#endif
