/* explain: the chain rule written out (see explain.h). */
#include "explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parameter names as in the text: w<l><i><j>, b<l><i>, h<l><i>, z<l><i>
 * (1-based); bracketed when an index has two digits. */
static const char *pname(char *buf, size_t cap, char sym, int l, int i, int j)
{
    int wide = l > 9 || i > 9 || j > 9;
    if (j > 0)
        snprintf(buf, cap, wide ? "%c%d[%d,%d]" : "%c%d%d%d", sym, l, i, j);
    else
        snprintf(buf, cap, wide ? "%c%d[%d]" : "%c%d%d", sym, l, i);
    return buf;
}

/* Name of input j of layer l (1-based): x<j> for the first layer. */
static const char *input_name(char *buf, size_t cap, int l, int j)
{
    if (l == 1) {
        snprintf(buf, cap, "x%d", j);
        return buf;
    }
    return pname(buf, cap, 'h', l - 1, j, 0);
}

static void deriv_text(FILE *out, Activation a, const char *hname, double h)
{
    switch (a) {
    case ACT_SIGMOID:
        fprintf(out, "%s (1 - %s) = %.12g * (1 - %.12g) = %.12g   (sigmoid)\n", hname, hname, h, h, h * (1 - h));
        break;
    case ACT_TANH:
        fprintf(out, "1 - %s^2 = 1 - %.12g^2 = %.12g   (tanh)\n", hname, h, 1 - h * h);
        break;
    case ACT_RELU:
        fprintf(out, "%d   (relu: 1 when %s > 0)\n", h > 0, hname);
        break;
    case ACT_LINEAR:
        fprintf(out, "1   (linear: %s = z)\n", hname);
        break;
    }
}

/* Shortest of %.15g, %.16g and %.17g that reads back as v, so 0.2 prints
 * as 0.2 and every printed value is still exact. Returns buf. */
static const char *exact(char *buf, size_t cap, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static double deriv(Activation a, double h)
{
    switch (a) {
    case ACT_SIGMOID: return h * (1 - h);
    case ACT_TANH: return 1 - h * h;
    case ACT_RELU: return h > 0;
    case ACT_LINEAR: return 1;
    }
    return 1;
}

/* What the stages of explain_step share. */
typedef struct Explain {
    FILE *out;
    const Net *net;
    const double *x;        /* (nin) the row's inputs */
    double y, lr;
    NetWork w;
    const double *h;        /* the output of the forward pass (in w) */
    double *grad;           /* (nparams) the training kernel's gradient */
    double *hand;           /* (nparams) the chain rule's, as printed */
    double *after;          /* (nparams) the parameters after the step */
    double *dz;             /* (max width) dL/dz of the current layer */
    double *dh;             /* (max width) dL/dh of the layer below */
    double *dzup;           /* (max width) dL/dz of the layer above */
} Explain;

static void explain_input(const Explain *E, const char *const *names)
{
    FILE *out = E->out;
    const int nin = E->net->width[0];
    fprintf(out, "One step of gradient descent, term by term (values in the network's normalised units)\n\n");
    fprintf(out, "Input\n");
    for (int j = 0; j < nin; j++)
        fprintf(out, "  x%d = %.12g%s%s%s\n", j + 1, E->x[j], names ? "   (" : "", names ? names[j] : "",
                names ? ")" : "");
    fprintf(out, "  y  = %.12g%s%s%s\n", E->y, names ? "   (" : "", names ? names[nin] : "", names ? ")" : "");
    fprintf(out, "  learning rate eta = %.12g\n", E->lr);
}

/* z and h of unit i (1-based) of layer l, term by term. */
static void forward_unit(const Explain *E, int l, int i)
{
    FILE *out = E->out;
    const Net *net = E->net;
    char a[48], b[48], c[48];
    int wi = net->width[l - 1];
    const double *W = net->params + net->off_W[l - 1];
    const double *bias = net->params + net->off_b[l - 1];
    const double *in = l == 1 ? E->x : E->w.a[l - 1];
    double z = bias[i - 1];
    for (int j = 0; j < wi; j++)
        z += W[(size_t)(i - 1) * wi + j] * in[j];
    fprintf(out, "    %s = %s", pname(a, sizeof a, 'z', l, i, 0), pname(b, sizeof b, 'b', l, i, 0));
    for (int j = 1; j <= wi && wi <= 8; j++)
        fprintf(out, " + %s*%s", pname(b, sizeof b, 'w', l, i, j), input_name(c, sizeof c, l, j));
    if (wi <= 8) {
        fprintf(out, "\n         = %.12g", bias[i - 1]);
        for (int j = 0; j < wi; j++)
            fprintf(out, " + %.12g*%.12g", W[(size_t)(i - 1) * wi + j], in[j]);
    } else {
        fprintf(out, " + ... (%d inputs)", wi);
    }
    fprintf(out, " = %.12g\n", z);
    fprintf(out, "    %s = %s(%s) = %.12g\n", pname(b, sizeof b, 'h', l, i, 0), act_name(net->act[l - 1]),
            pname(a, sizeof a, 'z', l, i, 0), E->w.a[l][i - 1]);
}

/* The forward pass and the loss; returns the loss. */
static double explain_forward(Explain *E)
{
    FILE *out = E->out;
    const Net *net = E->net;
    const int L = net->nlayers;
    char a[48];
    E->h = net_forward_block(net, net->params, E->x, 1, &E->w);
    fprintf(out, "\nForward pass\n");
    for (int l = 1; l <= L; l++) {
        fprintf(out, "  layer %d (%s)%s\n", l, act_name(net->act[l - 1]), l == L ? ", the output" : "");
        for (int i = 1; i <= net->width[l]; i++)
            forward_unit(E, l, i);
    }
    double loss0 = 0.5 * (E->y - E->h[0]) * (E->y - E->h[0]);
    fprintf(out, "  L = 1/2 (y - %s)^2 = 1/2 (%.12g - %.12g)^2 = %.12g\n",
            pname(a, sizeof a, 'h', L, 1, 0), E->y, E->h[0], loss0);
    return loss0;
}

/* dL/dh of unit i of hidden layer l: the sum over the units k above of
 * dL/dz<l+1,k> * w<l+1,k,i>. */
static void backward_dh(const Explain *E, int l, int i, const char *hn)
{
    FILE *out = E->out;
    const Net *net = E->net;
    char b[48], c[48];
    int wo = net->width[l], wa = net->width[l + 1];
    const double *Wa = net->params + net->off_W[l];
    fprintf(out, "    dL/d%s =", hn);
    for (int k = 1; k <= wa && wa <= 4; k++)
        fprintf(out, "%s dL/d%s * %s", k > 1 ? " +" : "", pname(b, sizeof b, 'z', l + 1, k, 0),
                pname(c, sizeof c, 'w', l + 1, k, i));
    if (wa > 4)
        fprintf(out, " sum over k of dL/dz%dk * w%dk%d", l + 1, l + 1, i);
    else
        for (int k = 1; k <= wa; k++)
            fprintf(out, "%s %.12g * %.12g", k > 1 ? " +" : " =", E->dzup[k - 1],
                    Wa[(size_t)(k - 1) * wo + (i - 1)]);
    fprintf(out, " = %.12g\n", E->dh[i - 1]);
}

/* Unit i of layer l backward: dL/dh, dh/dz, dL/dz, and the unit's weight
 * and bias gradients into E->hand. */
static void backward_unit(Explain *E, int l, int i)
{
    FILE *out = E->out;
    const Net *net = E->net;
    const int L = net->nlayers, wi = net->width[l - 1];
    const double *in = l == 1 ? E->x : E->w.a[l - 1];
    double *gW = E->hand + net->off_W[l - 1], *gb = E->hand + net->off_b[l - 1];
    char a[48], b[48], c[48];
    const char *hn = pname(a, sizeof a, 'h', l, i, 0);
    double hv = E->w.a[l][i - 1];
    if (l == L)
        fprintf(out, "    dL/d%s = -(y - %s) = -(%.12g - %.12g) = %.12g\n", hn, hn, E->y, hv, E->dh[i - 1]);
    else
        backward_dh(E, l, i, hn);
    fprintf(out, "    d%s/d%s = ", hn, pname(b, sizeof b, 'z', l, i, 0));
    deriv_text(out, net->act[l - 1], hn, hv);
    E->dz[i - 1] = E->dh[i - 1] * deriv(net->act[l - 1], hv);
    fprintf(out, "    dL/d%s = dL/d%s * d%s/d%s = %.12g\n", pname(b, sizeof b, 'z', l, i, 0), hn, hn,
            pname(c, sizeof c, 'z', l, i, 0), E->dz[i - 1]);
    for (int j = 1; j <= wi; j++) {
        char wn[48];
        pname(wn, sizeof wn, 'w', l, i, j);
        double g = E->dz[i - 1] * in[j - 1];
        gW[(size_t)(i - 1) * wi + (j - 1)] = g;
        fprintf(out, "    dL/d%s = dL/d%s * d%s/d%s = %.12g * %s (%.12g) = %.12g\n", wn,
                pname(b, sizeof b, 'z', l, i, 0), pname(c, sizeof c, 'z', l, i, 0), wn,
                E->dz[i - 1], input_name(a, sizeof a, l, j), in[j - 1], g);
    }
    gb[i - 1] = E->dz[i - 1];
    fprintf(out, "    dL/d%s = dL/d%s * 1 = %.12g\n", pname(b, sizeof b, 'b', l, i, 0),
            pname(c, sizeof c, 'z', l, i, 0), E->dz[i - 1]);
}

/* The backward pass, layer by layer from the output, into E->hand. */
static void explain_backward(Explain *E)
{
    const Net *net = E->net;
    const int L = net->nlayers;
    fprintf(E->out, "\nBackward pass (chain rule)\n");
    for (int i = 0; i < net->width[L]; i++)
        E->dh[i] = E->h[i] - E->y;
    for (int l = L; l >= 1; l--) {
        int wi = net->width[l - 1], wo = net->width[l];
        const double *W = net->params + net->off_W[l - 1];
        fprintf(E->out, "  layer %d\n", l);
        for (int i = 1; i <= wo; i++)
            backward_unit(E, l, i);
        memcpy(E->dzup, E->dz, (size_t)wo * sizeof(double));
        /* dL/dh of the layer below: sum over this layer's units. */
        for (int j = 0; j < wi; j++) {
            double s = 0.0;
            for (int i = 0; i < wo; i++)
                s += E->dz[i] * W[(size_t)i * wi + j];
            E->dh[j] = s;
        }
    }
}

/* p - eta * dL/dp for every parameter, from the kernel's gradient, into
 * E->after. */
static void explain_update(Explain *E)
{
    const Net *net = E->net;
    char a[48];
    fprintf(E->out, "\nUpdate: p <- p - eta * dL/dp\n");
    memcpy(E->after, net->params, net->nparams * sizeof(double));
    for (int l = 1; l <= net->nlayers; l++) {
        int wi = net->width[l - 1], wo = net->width[l];
        for (int i = 1; i <= wo; i++) {
            for (int j = 1; j <= wi + 1; j++) {
                size_t k = j <= wi ? net->off_W[l - 1] + (size_t)(i - 1) * wi + (j - 1) : net->off_b[l - 1] + (i - 1);
                E->after[k] = net->params[k] - E->lr * E->grad[k];
                char e1[32], e2[32], e3[32], e4[32];
                fprintf(E->out, "  %-8s %s - %s * %s = %s\n",
                        j <= wi ? pname(a, sizeof a, 'w', l, i, j) : pname(a, sizeof a, 'b', l, i, 0),
                        exact(e1, sizeof e1, net->params[k]), exact(e2, sizeof e2, E->lr),
                        exact(e3, sizeof e3, E->grad[k]), exact(e4, sizeof e4, E->after[k]));
            }
        }
    }
}

/* The loss after the step against loss0, and the largest difference of
 * the printed gradient from the kernel's. */
static void explain_check(Explain *E, double loss0)
{
    const Net *net = E->net;
    char a[48];
    const double *h = net_forward_block(net, E->after, E->x, 1, &E->w);
    double loss1 = 0.5 * (E->y - h[0]) * (E->y - h[0]);
    char e1[32], e2[32], e3[32];
    fprintf(E->out, "\nAfter the step: %s = %s, L = %s (before: %s, %s)\n", pname(a, sizeof a, 'h', net->nlayers, 1, 0),
            exact(e1, sizeof e1, h[0]), exact(e2, sizeof e2, loss1), exact(e3, sizeof e3, loss0),
            loss1 < loss0 ? "lower" : "not lower: try a smaller learning rate");
    double maxd = 0.0;
    for (size_t k = 0; k < net->nparams; k++) {
        double d = fabs(E->grad[k] - E->hand[k]);
        maxd = d > maxd ? d : maxd;
    }
    fprintf(E->out, "Check: the chain-rule products above and the training kernel's gradient differ by at most %.3g\n",
            maxd);
}

int explain_step(FILE *out, const Net *net, const double *x, double y, double lr,
                 const char *const *names, Err *err)
{
    int rc = E_NOMEM;
    Explain E = { out, net, x, y, lr, { 0 }, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
    int maxw = 0;
    for (int l = 0; l <= net->nlayers; l++)
        maxw = net->width[l] > maxw ? net->width[l] : maxw;
    E.grad = calloc(net->nparams, sizeof(double));
    E.hand = calloc(net->nparams, sizeof(double));
    E.after = malloc(net->nparams * sizeof(double));
    E.dz = calloc((size_t)maxw, sizeof(double));
    E.dh = calloc((size_t)maxw, sizeof(double));
    E.dzup = calloc((size_t)maxw, sizeof(double));
    if (!E.grad || !E.hand || !E.after || !E.dz || !E.dh || !E.dzup) {
        err_set(err, E_NOMEM, "out of memory for explain");
        goto done;
    }
    if ((rc = network_init(&E.w, net, 1, err)))
        goto done;
    explain_input(&E, names);
    double loss0 = explain_forward(&E);
    /* Kernel gradient, for the update and the check. */
    net_backward_block(net, net->params, x, &y, 1, &E.w, E.grad);
    explain_backward(&E);
    explain_update(&E);
    explain_check(&E, loss0);
    rc = 0;
done:
    network_free(&E.w);
    free(E.grad);
    free(E.hand);
    free(E.after);
    free(E.dz);
    free(E.dh);
    free(E.dzup);
    return rc;
}
