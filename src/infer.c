/* infer: block-wise forward passes (see infer.h). */
#include "infer.h"

#include <string.h>

int infer_init(Infer *in, const Net *net, Err *err)
{
    memset(in, 0, sizeof *in);
    in->net = net;
    return network_init(&in->work, net, INFER_BLOCK, err);
}

void infer_free(Infer *in)
{
    if (!in)
        return;
    network_free(&in->work);
    memset(in, 0, sizeof *in);
}

void infer_rows(Infer *in, const double *x, size_t n, double *out)
{
    const Net *net = in->net;
    const size_t nin = (size_t)net->width[0], nout = (size_t)net->width[net->nlayers];
    for (size_t first = 0; first < n; first += INFER_BLOCK) {
        int m = (int)(n - first < INFER_BLOCK ? n - first : INFER_BLOCK);
        /* a[0] is the caller's slot for the block's inputs */
        memcpy(in->work.a[0], x + first * nin, (size_t)m * nin * sizeof(double));
        const double *h = net_forward_block(net, net->params, in->work.a[0], m, &in->work);
        memcpy(out + first * nout, h, (size_t)m * nout * sizeof(double));
    }
}
