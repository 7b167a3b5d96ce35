/* net: parameter layout, initialisation and the block kernels (see net.h).
 * Shapes: x and activations are (n, width) row-major, W_l is
 * (width[l+1], width[l]) with row i holding the weights into unit i.
 * The block kernels themselves live in kern_isa.c, once per instruction
 * set (the layers one at a time through kern.h's matrix kernels, and a
 * fused kernel for the 2-2-1 sigmoid/linear network; each in double and
 * in float); the block functions here call the set in use. Neither knows
 * of threads: a block's result depends only on its arguments. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "rng.h"
#include "row221.h"

static const char *const ACT_NAMES[] = { "sigmoid", "tanh", "relu", "linear" };

const char *act_name(Activation a)
{
    return (unsigned)a < 4 ? ACT_NAMES[a] : "?";
}

int act_parse(const char *name, Activation *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, ACT_NAMES[i]) == 0) {
            *out = (Activation)i;
            return 0;
        }
    }
    return E_CONFIG;
}

int net_layout(Net *net, int ninputs, const int *hidden, int nhidden, int noutputs,
               Activation hidden_act, Activation out_act, Err *err)
{
    memset(net, 0, sizeof *net);
    if (nhidden < 0 || nhidden + 1 > NET_MAX_LAYERS)
        return err_set(err, E_CONFIG, "a network has at most %d hidden layers, got %d",
                       NET_MAX_LAYERS - 1, nhidden);
    if (ninputs < 1 || noutputs < 1)
        return err_set(err, E_CONFIG, "a network needs at least one input and one output");
    net->nlayers = nhidden + 1;
    net->width[0] = ninputs;
    for (int l = 0; l < nhidden; l++) {
        if (hidden[l] < 1 || hidden[l] > NET_MAX_WIDTH)
            return err_set(err, E_CONFIG, "hidden layer %d has width %d; widths run from 1 to %d",
                           l + 1, hidden[l], NET_MAX_WIDTH);
        net->width[l + 1] = hidden[l];
        net->act[l] = hidden_act;
    }
    net->width[net->nlayers] = noutputs;
    net->act[net->nlayers - 1] = out_act;
    size_t off = 0;
    for (int l = 0; l < net->nlayers; l++) {
        net->off_W[l] = off;
        off += (size_t)net->width[l + 1] * (size_t)net->width[l];
        net->off_b[l] = off;
        off += (size_t)net->width[l + 1];
    }
    net->nparams = off;
    return 0;
}

int net_init(Net *net, int ninputs, const int *hidden, int nhidden, int noutputs,
             Activation hidden_act, Activation out_act, Err *err)
{
    int rc = net_layout(net, ninputs, hidden, nhidden, noutputs, hidden_act, out_act, err);
    if (rc)
        return rc;
    size_t off = net->nparams;
    net->params = calloc(off, sizeof(double));
    if (!net->params) {
        memset(net, 0, sizeof *net);
        return err_set(err, E_NOMEM, "out of memory for %zu parameters", off);
    }
    return 0;
}

void net_free(Net *net)
{
    if (!net)
        return;
    free(net->params);
    memset(net, 0, sizeof *net);
}

void net_init_xavier(Net *net, uint64_t seed)
{
    Rng r = rng_stream(seed, RNG_STREAM_INIT);
    for (int l = 0; l < net->nlayers; l++) {
        int fin = net->width[l], fout = net->width[l + 1];
        double s = sqrt(6.0 / (double)(fin + fout));
        double *W = net_W(net, net->params, l);
        for (size_t k = 0; k < (size_t)fin * (size_t)fout; k++)
            W[k] = (2.0 * rng_uniform(&r) - 1.0) * s;
        memset(net_b(net, net->params, l), 0, (size_t)fout * sizeof(double));
    }
}

void net_init_uniform(Net *net, uint64_t seed, double scale)
{
    Rng r = rng_stream(seed, RNG_STREAM_INIT);
    for (size_t k = 0; k < net->nparams; k++)
        net->params[k] = (2.0 * rng_uniform(&r) - 1.0) * scale;
}

int network_init(NetWork *w, const Net *net, int cap, Err *err)
{
    memset(w, 0, sizeof *w);
    size_t total = 0, maxw = 0, maxwt = 0;
    for (int l = 0; l <= net->nlayers; l++) {
        total += (size_t)cap * (size_t)net->width[l];
        if ((size_t)net->width[l] > maxw)
            maxw = (size_t)net->width[l];
        if (l < net->nlayers && (size_t)net->width[l] * (size_t)net->width[l + 1] > maxwt)
            maxwt = (size_t)net->width[l] * (size_t)net->width[l + 1];
    }
    total += 2 * (size_t)cap * maxw + maxwt;
    /* The float views take the double layout's offsets in floats, then a
     * float gradient of nparams: (total + nparams) floats fit in
     * total + ceil(nparams / 2) doubles. */
    /* 64-byte aligned: a vector load that straddles two cache lines costs
     * the layered kernels about a tenth of their speed. */
    size_t bytes = (total + (net->nparams + 1) / 2) * sizeof(double);
    w->buf = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!w->buf)
        return err_set(err, E_NOMEM, "out of memory for a %d-sample workspace", cap);
    w->cap = cap;
    double *p = w->buf;
    float *pf = (float *)(void *)w->buf;
    for (int l = 0; l <= net->nlayers; l++) {
        w->a[l] = p;
        w->af[l] = pf;
        p += (size_t)cap * (size_t)net->width[l];
        pf += (size_t)cap * (size_t)net->width[l];
    }
    w->delta[0] = p;
    w->delta[1] = p + (size_t)cap * maxw;
    w->scratch = p + 2 * (size_t)cap * maxw;
    w->deltaf[0] = pf;
    w->deltaf[1] = pf + (size_t)cap * maxw;
    w->scratchf = pf + 2 * (size_t)cap * maxw;
    w->gradf = w->scratchf + maxwt;
    return 0;
}

void network_free(NetWork *w)
{
    if (!w)
        return;
    free(w->buf);
    memset(w, 0, sizeof *w);
}

int net_is_221(const Net *net)
{
    return net->nlayers == 2 && net->width[0] == 2 && net->width[1] == 2 && net->width[2] == 1 &&
           net->act[0] == ACT_SIGMOID && net->act[1] == ACT_LINEAR;
}

double net_grad_row221(const double *p, const double *x, double y, double *grad)
{
    return row221_grad(p, x, y, grad);
}

const char *net_block_kernel(const Net *net)
{
    return net_is_221(net) ? "fused-2-2-1" : "layered";
}

/* The block kernels of the instruction set in use (kern.h, kern_isa.c). */
const double *net_forward_block(const Net *net, const double *params, const double *x, int n, NetWork *w)
{
    return kern_active->forward_block(net, params, x, n, w);
}

double net_backward_block(const Net *net, const double *params, const double *x, const double *y, int n,
                          NetWork *w, double *grad)
{
    return kern_active->backward_block(net, params, x, y, n, w, grad);
}

double net_loss_block(const Net *net, const double *params, const double *x, const double *y, int n, NetWork *w)
{
    return kern_active->loss_block(net, params, x, y, n, w);
}

double net_sq_loss(const double *h, const double *y, size_t count)
{
    return kern_active->sq_loss(h, y, count);
}

double net_grad_block(const Net *net, const double *params, const double *x, const double *y, int n, NetWork *w,
                      double *grad)
{
    return kern_active->grad_block(net, params, x, y, n, w, grad);
}

double net_grad_block_f32(const Net *net, const float *params, const float *x, const float *y, int n,
                          NetWork *w, double *grad)
{
    return kern_active->grad_block_f32(net, params, x, y, n, w, grad);
}

double net_grad_runs221(const double *p, const double *x, const double *y, const NetRun *runs, int n,
                        double *grad)
{
    return kern_active->grad_runs221(p, x, y, runs, n, grad);
}

double net_grad_runs221_f32(const float *p, const float *x, const float *y, const NetRun *runs, int n,
                            double *grad)
{
    return kern_active->grad_runs221_f32(p, x, y, runs, n, grad);
}
