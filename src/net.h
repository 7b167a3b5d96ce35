/* net: a fully connected network and its pure kernels.
 * Owns the parameter layout (one contiguous double buffer with per-layer
 * views), initialisation, and the forward/backward passes over a block of
 * samples. Knows nothing of threads, files, config or optimisers: gradient,
 * optimiser-state and accumulator buffers all use the same layout as
 * params, so updates, reductions and checkpoints are flat loops. */
#ifndef HOUSENET_NET_H
#define HOUSENET_NET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NET_MAX_LAYERS 16 /* weight layers: hidden layers + the output layer */
#define NET_MAX_WIDTH 65536 /* units in one hidden layer */
/* Rows of the block the kernels are specialised for (train.h's TRAIN_BLOCK). */
#define NET_BLOCK 64

typedef enum Activation {
    ACT_SIGMOID = 0,
    ACT_TANH = 1,
    ACT_RELU = 2,
    ACT_LINEAR = 3
} Activation;

typedef struct Net {
    int nlayers;                          /* weight layers, >= 1 */
    int width[NET_MAX_LAYERS + 1];        /* width[0] inputs .. width[nlayers] outputs */
    Activation act[NET_MAX_LAYERS];       /* activation applied by layer l */
    size_t off_W[NET_MAX_LAYERS];         /* W_l: (width[l+1], width[l]), row i = weights into unit i */
    size_t off_b[NET_MAX_LAYERS];         /* b_l: (width[l+1]) */
    size_t nparams;
    double *params;                       /* owned, nparams doubles */
} Net;

/* Block workspace: activations of every layer for up to `cap` samples, and
 * two delta buffers for the backward pass. One per worker thread. The
 * float views (net_grad_block_f32) share buf with the double ones: a call
 * of either precision leaves the other's contents unspecified. */
typedef struct NetWork {
    int cap;
    double *buf;                          /* owned: one allocation */
    double *a[NET_MAX_LAYERS + 1];        /* a[l]: (cap, width[l]); a[0] is free for the caller's gathered inputs */
    double *delta[2];                     /* (cap, max width) each */
    double *scratch;                      /* (max width[l] * width[l+1]): a transposed weight matrix */
    float *af[NET_MAX_LAYERS + 1];        /* the same shapes in float, in buf */
    float *deltaf[2];
    float *scratchf;
    float *gradf;                         /* (nparams): a block's gradient sums in float */
} NetWork;

/* Name <-> value for activations ("sigmoid", "tanh", "relu", "linear").
 * act_parse returns 0, or E_CONFIG for an unknown name. */
const char *act_name(Activation a);
int act_parse(const char *name, Activation *out);

/* The layout net_init builds (widths, activations, offsets, nparams)
 * without allocating: params stays NULL. For sizing a network before it is
 * allocated (--dry-run, the memory check). Errors as net_init. */
int net_layout(Net *net, int ninputs, const int *hidden, int nhidden, int noutputs,
               Activation hidden_act, Activation out_act, Err *err);
/* Builds the layout for ninputs -> hidden[0] -> ... -> hidden[nhidden-1] -> noutputs
 * and allocates zeroed params. Fails with E_CONFIG on a bad shape, E_NOMEM. */
int net_init(Net *net, int ninputs, const int *hidden, int nhidden, int noutputs,
             Activation hidden_act, Activation out_act, Err *err);
/* NULL-safe; leaves *net zeroed. */
void net_free(Net *net);

/* Views into any buffer with the params layout. */
static inline double *net_W(const Net *net, double *buf, int l) { return buf + net->off_W[l]; }
static inline double *net_b(const Net *net, double *buf, int l) { return buf + net->off_b[l]; }

/* Xavier/Glorot uniform weights U(-s, s), s = sqrt(6/(fan_in+fan_out)), and
 * zero biases; deterministic in seed. */
void net_init_xavier(Net *net, uint64_t seed);
/* Every weight and bias U(-scale, scale); deterministic in seed. */
void net_init_uniform(Net *net, uint64_t seed, double scale);

int network_init(NetWork *w, const Net *net, int cap, Err *err);
void network_free(NetWork *w);

/* Forward pass of n <= w->cap samples. x: (n, width[0]) row-major.
 * Leaves every layer's activations in w->a; returns w->a[nlayers], (n, noutputs). */
const double *net_forward_block(const Net *net, const double *params,
                                const double *x, int n, NetWork *w);

/* Backward pass for the block last run through net_forward_block with the
 * same params and x. y: (n, noutputs). Adds (+=, the caller zeroes) the gradient
 * of the summed loss sum_i 1/2 (y_i - h_i)^2 into grad (params layout) and
 * returns that summed loss. */
double net_backward_block(const Net *net, const double *params, const double *x,
                          const double *y, int n, NetWork *w, double *grad);

/* Summed loss sum_i 1/2 (y_i - h_i)^2 of the block; forward only. */
double net_loss_block(const Net *net, const double *params, const double *x,
                      const double *y, int n, NetWork *w);

/* sum_k 1/2 (y[k] - h[k])^2 for k < count, in k order: net_loss_block
 * is this sum of net_forward_block's outputs, bit for bit. */
double net_sq_loss(const double *h, const double *y, size_t count);

/* net_forward_block then net_backward_block in one call -- adds the summed
 * gradient into grad (+=, the caller zeroes), returns the summed loss --
 * through the fastest kernel for the network: the 2-2-1 sigmoid/linear
 * network runs fused, 8 samples a vector, with nothing stored in w (whose
 * contents are then unspecified); any other takes the two calls. The two
 * routes agree to rounding (tested to 1e-12), and either result
 * depends only on the arguments. */
double net_grad_block(const Net *net, const double *params, const double *x,
                      const double *y, int n, NetWork *w, double *grad);

/* net_grad_block in float32, for every network net_init builds:
 * params (params layout), x (n, width[0]) and y (n, noutputs) are float;
 * the forward pass, the error and the block's gradient sums run in float
 * (the 2-2-1 sigmoid/linear network fused, as net_grad_block, the others
 * a layer at a time in w's float views, n <= w->cap), and the sums are
 * added (+=) into grad in double. Returns the summed loss. Within float
 * rounding of net_grad_block on the same values (tests/test_net.c checks
 * the tolerance); depends only on the arguments. */
double net_grad_block_f32(const Net *net, const float *params, const float *x, const float *y, int n,
                          NetWork *w, double *grad);

/* A run of n consecutive rows, from row row on, of a block whose rows are
 * read where they are (net_grad_runs221). */
typedef struct NetRun {
    size_t row;
    int n;
} NetRun;

/* net_grad_block of the 2-2-1 sigmoid/linear network (params p) on the n
 * rows that runs lists in order -- runs of consecutive rows of x (rows, 2)
 * and y (rows), their lengths summing to n -- read in place: bit for bit
 * net_grad_block on those rows copied into one block, without the copy.
 * net_grad_runs221_f32 is the same for net_grad_block_f32. */
double net_grad_runs221(const double *p, const double *x, const double *y, const NetRun *runs, int n,
                        double *grad);
double net_grad_runs221_f32(const float *p, const float *x, const float *y, const NetRun *runs, int n,
                            double *grad);

/* 1 for the 2-2-1 network with a sigmoid hidden layer and a linear
 * output, which net_grad_block and net_grad_block_f32 run fused. */
int net_is_221(const Net *net);

/* net_grad_block of the 2-2-1 sigmoid/linear network (params p) for the
 * one sample x (2 values), y: the gradient added (+=) into grad (9
 * values), the loss returned, bit for bit the block kernel's on every
 * kernel path, without the vector lanes a single sample leaves idle. */
double net_grad_row221(const double *p, const double *x, double y, double *grad);

/* Which kernel net_grad_block uses for net: "fused-2-2-1" or "layered". */
const char *net_block_kernel(const Net *net);

#endif
