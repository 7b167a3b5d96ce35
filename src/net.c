/* net: parameter layout, initialisation and the block kernels (see net.h).
 * Shapes: x and activations are (n, width) row-major, W_l is
 * (width[l+1], width[l]) with row i holding the weights into unit i. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

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

int net_init(Net *net, int ninputs, const int *hidden, int nhidden, int noutputs,
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
        if (hidden[l] < 1 || hidden[l] > 1 << 20)
            return err_set(err, E_CONFIG, "hidden layer %d has width %d; widths run from 1 to %d",
                           l + 1, hidden[l], 1 << 20);
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
    size_t total = 0, maxw = 0;
    for (int l = 0; l <= net->nlayers; l++) {
        total += (size_t)cap * (size_t)net->width[l];
        if ((size_t)net->width[l] > maxw)
            maxw = (size_t)net->width[l];
    }
    total += 2 * (size_t)cap * maxw;
    w->buf = malloc(total * sizeof(double));
    if (!w->buf)
        return err_set(err, E_NOMEM, "out of memory for a %d-sample workspace", cap);
    w->cap = cap;
    double *p = w->buf;
    for (int l = 0; l <= net->nlayers; l++) {
        w->a[l] = p;
        p += (size_t)cap * (size_t)net->width[l];
    }
    w->delta[0] = p;
    w->delta[1] = p + (size_t)cap * maxw;
    return 0;
}

void network_free(NetWork *w)
{
    if (!w)
        return;
    free(w->buf);
    memset(w, 0, sizeof *w);
}

/* out (n, wo) = act(in (n, wi) W^T + b) */
static void dense_forward(double *restrict out, const double *restrict in,
                          const double *restrict W, const double *restrict b,
                          int n, int wi, int wo, Activation act)
{
    for (int s = 0; s < n; s++) {
        const double *x = in + (size_t)s * wi;
        double *o = out + (size_t)s * wo;
        for (int i = 0; i < wo; i++) {
            const double *Wi = W + (size_t)i * wi;
            double z = b[i];
            for (int j = 0; j < wi; j++)
                z += Wi[j] * x[j];
            o[i] = z;
        }
        switch (act) {
        case ACT_SIGMOID:
            for (int i = 0; i < wo; i++)
                o[i] = 1.0 / (1.0 + exp(-o[i]));
            break;
        case ACT_TANH:
            for (int i = 0; i < wo; i++)
                o[i] = tanh(o[i]);
            break;
        case ACT_RELU:
            for (int i = 0; i < wo; i++)
                o[i] = o[i] > 0.0 ? o[i] : 0.0;
            break;
        case ACT_LINEAR:
            break;
        }
    }
}

/* d (n, w) *= act'(z), written through the activation's output h = act(z). */
static void act_backward(double *restrict d, const double *restrict h, size_t count, Activation act)
{
    switch (act) {
    case ACT_SIGMOID:
        for (size_t k = 0; k < count; k++)
            d[k] *= h[k] * (1.0 - h[k]);
        break;
    case ACT_TANH:
        for (size_t k = 0; k < count; k++)
            d[k] *= 1.0 - h[k] * h[k];
        break;
    case ACT_RELU:
        for (size_t k = 0; k < count; k++)
            d[k] = h[k] > 0.0 ? d[k] : 0.0;
        break;
    case ACT_LINEAR:
        break;
    }
}

/* Given dz (n, wo) of a dense layer: gW (wo, wi) += dz^T in, gb (wo) += sum dz,
 * and, when din is not NULL, din (n, wi) = dz W. */
static void dense_backward(double *restrict gW, double *restrict gb, double *restrict din,
                           const double *restrict dz, const double *restrict in,
                           const double *restrict W, int n, int wi, int wo)
{
    for (int s = 0; s < n; s++) {
        const double *d = dz + (size_t)s * wo;
        const double *x = in + (size_t)s * wi;
        for (int i = 0; i < wo; i++) {
            double *g = gW + (size_t)i * wi;
            for (int j = 0; j < wi; j++)
                g[j] += d[i] * x[j];
            gb[i] += d[i];
        }
        if (din) {
            double *e = din + (size_t)s * wi;
            for (int j = 0; j < wi; j++)
                e[j] = 0.0;
            for (int i = 0; i < wo; i++) {
                const double *Wi = W + (size_t)i * wi;
                for (int j = 0; j < wi; j++)
                    e[j] += d[i] * Wi[j];
            }
        }
    }
}

const double *net_forward_block(const Net *net, const double *params,
                                const double *x, int n, NetWork *w)
{
    const double *in = x;
    for (int l = 0; l < net->nlayers; l++) {
        dense_forward(w->a[l + 1], in, params + net->off_W[l], params + net->off_b[l],
                      n, net->width[l], net->width[l + 1], net->act[l]);
        in = w->a[l + 1];
    }
    return w->a[net->nlayers];
}

static double block_loss(const double *h, const double *y, size_t count)
{
    double loss = 0.0;
    for (size_t k = 0; k < count; k++) {
        double e = y[k] - h[k];
        loss += 0.5 * e * e;
    }
    return loss;
}

double net_backward_block(const Net *net, const double *params, const double *x,
                          const double *y, int n, NetWork *w, double *grad)
{
    int L = net->nlayers;
    size_t nout = (size_t)n * (size_t)net->width[L];
    const double *h = w->a[L];
    double *d = w->delta[0];
    /* dL/dh = -(y - h) = h - y */
    for (size_t k = 0; k < nout; k++)
        d[k] = h[k] - y[k];
    double loss = block_loss(h, y, nout);
    for (int l = L - 1; l >= 0; l--) {
        int wi = net->width[l], wo = net->width[l + 1];
        act_backward(d, w->a[l + 1], (size_t)n * (size_t)wo, net->act[l]);
        double *din = l > 0 ? w->delta[(L - l) & 1] : NULL;
        dense_backward(grad + net->off_W[l], grad + net->off_b[l], din, d, l > 0 ? w->a[l] : x,
                       params + net->off_W[l], n, wi, wo);
        d = din;
    }
    return loss;
}

double net_loss_block(const Net *net, const double *params, const double *x,
                      const double *y, int n, NetWork *w)
{
    const double *h = net_forward_block(net, params, x, n, w);
    return block_loss(h, y, (size_t)n * (size_t)net->width[net->nlayers]);
}
