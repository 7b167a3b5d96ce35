/* net: parameter layout, initialisation and the block kernels (see net.h).
 * Shapes: x and activations are (n, width) row-major, W_l is
 * (width[l+1], width[l]) with row i holding the weights into unit i.
 * The layers run one at a time over the whole block through kern.h's
 * matrix kernels; the 2-2-1 sigmoid/linear network has a fused kernel of
 * its own (grad221). Neither knows of threads: a block's result depends
 * only on its arguments. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
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
    size_t total = 0, maxw = 0, maxwt = 0;
    for (int l = 0; l <= net->nlayers; l++) {
        total += (size_t)cap * (size_t)net->width[l];
        if ((size_t)net->width[l] > maxw)
            maxw = (size_t)net->width[l];
        if (l < net->nlayers && (size_t)net->width[l] * (size_t)net->width[l + 1] > maxwt)
            maxwt = (size_t)net->width[l] * (size_t)net->width[l + 1];
    }
    total += 2 * (size_t)cap * maxw + maxwt;
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
    w->scratch = p + 2 * (size_t)cap * maxw;
    return 0;
}

void network_free(NetWork *w)
{
    if (!w)
        return;
    free(w->buf);
    memset(w, 0, sizeof *w);
}

/* out (n, wo) = act(in (n, wi) W^T + b), a layer at a time over the block.
 * With 8 or more units and 4 or more samples the product is vectorised
 * along the units (W transposed into scratch, (wi, wo) at most); units past
 * the last multiple of 8, and blocks of 1 to 3 samples, use dot products
 * with the rows of W as they are. */
static void dense_forward(double *restrict out, const double *restrict in, const double *restrict W,
                          const double *restrict b, int n, int wi, int wo, Activation act, double *restrict scratch)
{
    int wo8 = n >= 4 ? wo & ~7 : 0;
    if (wo8) {
        kern_transpose(wo8, wi, W, wi, scratch, wo8);
        kern_gemm(n, wo8, wi, in, wi, 1, scratch, wo8, out, wo, b, 0);
    }
    if (wo8 < wo)
        kern_gemm_dot(n, wo - wo8, wi, in, wi, W + (size_t)wo8 * wi, wi, out + wo8, wo, b + wo8, 0);
    size_t count = (size_t)n * (size_t)wo;
    switch (act) {
    case ACT_SIGMOID:
        kern_sigmoid(out, count);
        break;
    case ACT_TANH:
        for (size_t k = 0; k < count; k++)
            out[k] = tanh(out[k]);
        break;
    case ACT_RELU:
        for (size_t k = 0; k < count; k++)
            out[k] = out[k] > 0.0 ? out[k] : 0.0;
        break;
    case ACT_LINEAR:
        break;
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
 * and, when din is not NULL, din (n, wi) = dz W. The weight gradient is
 * vectorised along its wider side: with fewer than 8 inputs and 8 or more
 * units it is formed transposed in scratch ((wi, wo)) and added back. */
static void dense_backward(double *restrict gW, double *restrict gb, double *restrict din,
                           const double *restrict dz, const double *restrict in,
                           const double *restrict W, int n, int wi, int wo, double *restrict scratch)
{
    for (int s = 0; s < n; s++)
        for (int i = 0; i < wo; i++)
            gb[i] += dz[(size_t)s * wo + i];
    if (wi < 8 && wo >= 8) {
        kern_gemm(wi, wo, n, in, 1, wi, dz, wo, scratch, wo, NULL, 0);
        for (int i = 0; i < wo; i++)
            for (int j = 0; j < wi; j++)
                gW[(size_t)i * wi + j] += scratch[(size_t)j * wo + i];
    } else {
        kern_gemm(wo, wi, n, dz, 1, wo, in, wi, gW, wi, NULL, 1);
    }
    if (din)
        kern_gemm(n, wi, wo, dz, wo, 1, W, wi, din, wi, NULL, 0);
}

const double *net_forward_block(const Net *net, const double *params,
                                const double *x, int n, NetWork *w)
{
    const double *in = x;
    for (int l = 0; l < net->nlayers; l++) {
        dense_forward(w->a[l + 1], in, params + net->off_W[l], params + net->off_b[l],
                      n, net->width[l], net->width[l + 1], net->act[l], w->scratch);
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
                       params + net->off_W[l], n, wi, wo, w->scratch);
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

/* The fused block kernel of the 2-2-1 sigmoid/linear network, lanes =
 * samples, in chunks of 64 samples and three passes over each, all in L1:
 * split x into its columns (zero-padded to whole vectors), the forward
 * pass to the hidden outputs (two vectors at a time, so that the exp
 * chains interleave), then the output, error and gradient sums. Splitting
 * the passes keeps each loop's constants and accumulators in registers.
 * p is the params layout (W1 row-major, b1, W2, b2). Adds the gradient
 * into grad, returns the summed loss. */
static double grad221(const double *p, const double *x, const double *y, int n, double *grad)
{
    enum { CHUNK = 64 };
    double c0[CHUNK], c1[CHUNK], yc[CHUNK], h0[CHUNK], h1[CHUNK];
    KernV8 g[10];
    for (int k = 0; k < 10; k++)
        g[k] = kern_splat(0.0);
    for (int first = 0; first < n; first += CHUNK) {
        const int m = n - first < CHUNK ? n - first : CHUNK;
        const int m8 = (m + 7) & ~7;
        int s = 0;
        for (; s + 8 <= m; s += 8) {
            KernV8 lo = kern_load(x + 2 * (first + s)), hi = kern_load(x + 2 * (first + s) + 8);
            kern_store(c0 + s, __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14));
            kern_store(c1 + s, __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15));
            kern_store(yc + s, kern_load(y + first + s));
        }
        for (; s < m8; s++) {
            int in = s < m;
            c0[s] = in ? x[2 * (first + s)] : 0.0;
            c1[s] = in ? x[2 * (first + s) + 1] : 0.0;
            yc[s] = in ? y[first + s] : 0.0;
        }
        /* forward: h = sigmoid(W1 x + b1) */
        for (s = 0; s < m8; s += 16) {
            const int nv = m8 - s >= 16 ? 2 : 1;
            KernV8 h[4];
            for (int j = 0; j < nv; j++) {
                KernV8 a = kern_load(c0 + s + 8 * j), b = kern_load(c1 + s + 8 * j);
                h[2 * j] = kern_splat(p[4]) + kern_splat(p[0]) * a + kern_splat(p[1]) * b;
                h[2 * j + 1] = kern_splat(p[5]) + kern_splat(p[2]) * a + kern_splat(p[3]) * b;
            }
            if (nv == 2)
                kern_sigmoidn(h, 4);
            else
                kern_sigmoidn(h, 2);
            for (int j = 0; j < nv; j++) {
                kern_store(h0 + s + 8 * j, h[2 * j]);
                kern_store(h1 + s + 8 * j, h[2 * j + 1]);
            }
        }
        /* output, error e = out - y (zero in padding lanes), gradient sums */
        for (s = 0; s < m8; s += 8) {
            KernV8 a = kern_load(c0 + s), b = kern_load(c1 + s);
            KernV8 u = kern_load(h0 + s), v = kern_load(h1 + s);
            KernV8 e = kern_splat(p[8]) + kern_splat(p[6]) * u + kern_splat(p[7]) * v - kern_load(yc + s);
            if (s + 8 > m)
                for (int i = m - s; i < 8; i++)
                    e[i] = 0.0;
            KernV8 d0 = e * kern_splat(p[6]) * (u * (kern_splat(1.0) - u));
            KernV8 d1 = e * kern_splat(p[7]) * (v * (kern_splat(1.0) - v));
            g[0] += d0 * a;
            g[1] += d0 * b;
            g[2] += d1 * a;
            g[3] += d1 * b;
            g[4] += d0;
            g[5] += d1;
            g[6] += e * u;
            g[7] += e * v;
            g[8] += e;
            g[9] += e * e;
        }
    }
    for (int k = 0; k < 9; k++)
        grad[k] += kern_hsum(g[k]);
    return 0.5 * kern_hsum(g[9]);
}

static int is_221(const Net *net)
{
    return net->nlayers == 2 && net->width[0] == 2 && net->width[1] == 2 && net->width[2] == 1 &&
           net->act[0] == ACT_SIGMOID && net->act[1] == ACT_LINEAR;
}

const char *net_block_kernel(const Net *net)
{
    return is_221(net) ? "fused-2-2-1" : "layered";
}

double net_grad_block(const Net *net, const double *params, const double *x,
                      const double *y, int n, NetWork *w, double *grad)
{
    if (is_221(net))
        return grad221(params, x, y, n, grad);
    net_forward_block(net, params, x, n, w);
    return net_backward_block(net, params, x, y, n, w, grad);
}
