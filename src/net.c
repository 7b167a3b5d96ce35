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

/* The fused 2-2-1 block kernel in float64 (grad221) and float32
 * (grad221f): one source, grad221.inc, included once per precision. */
#define G221_NAME grad221
#define G221_T double
#define G221_V KernV8
#define G221_W 8
#define G221_NV 2
#define G221_SPLAT kern_splat
#define G221_LOAD kern_load
#define G221_STORE kern_store
#define G221_HSUM kern_hsum
#define G221_SIGMOIDN kern_sigmoidn
#define G221_EVEN(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14)
#define G221_ODD(lo, hi) __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15)
#include "grad221.inc"

#define G221_NAME grad221f
#define G221_T float
#define G221_V KernF16
#define G221_W 16
#define G221_NV 4
#define G221_SPLAT kern_splatf
#define G221_LOAD kern_loadf
#define G221_STORE kern_storef
#define G221_HSUM kern_hsumf
#define G221_SIGMOIDN kern_sigmoidfn
#define G221_EVEN(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define G221_ODD(lo, hi) __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
#include "grad221.inc"

static int is_221(const Net *net)
{
    return net->nlayers == 2 && net->width[0] == 2 && net->width[1] == 2 && net->width[2] == 1 &&
           net->act[0] == ACT_SIGMOID && net->act[1] == ACT_LINEAR;
}

int net_f32_supported(const Net *net)
{
    return is_221(net);
}

double net_grad_block_f32(const Net *net, const float *params, const float *x, const float *y, int n,
                          double *grad)
{
    (void)net; /* one network so far: net_f32_supported */
    /* A whole block (the trainer's, TRAIN_BLOCK rows) gets a copy of the
     * kernel with n constant: no tail code, 1.4x faster. */
    return n == 64 ? grad221f(params, x, y, 64, grad) : grad221f(params, x, y, n, grad);
}

const char *net_block_kernel(const Net *net)
{
    return is_221(net) ? "fused-2-2-1" : "layered";
}

double net_grad_block(const Net *net, const double *params, const double *x,
                      const double *y, int n, NetWork *w, double *grad)
{
    if (is_221(net)) /* n constant for a whole block: see net_grad_block_f32 */
        return n == 64 ? grad221(params, x, y, 64, grad) : grad221(params, x, y, n, grad);
    net_forward_block(net, params, x, n, w);
    return net_backward_block(net, params, x, y, n, w, grad);
}
