/* comm: the one-process Comm and the helpers every Comm shares (see comm.h). */
#include "comm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "rng.h"

static int self_allgatherv(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err)
{
    return 0; /* the one part is already in place */
}

static int self_bcast(const Comm *c, void *buf, size_t n, int root, Err *err)
{
    return 0;
}

static void self_abort(const Comm *c, int status)
{
    exit(status ? status : 1);
}

static void self_finalize(const Comm *c)
{
}

/* no send or recv: there is no other rank to talk to */
static const Comm SELF = { 0, 1, NULL, self_allgatherv, self_bcast, self_abort, self_finalize, NULL, NULL };

const Comm *comm_self(void)
{
    return &SELF;
}

int comm_allgatherv(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err)
{
    c = c ? c : &SELF;
    return c->size == 1 ? 0 : c->allgatherv(c, buf, counts, displs, err);
}

int comm_bcast(const Comm *c, void *buf, size_t n, int root, Err *err)
{
    c = c ? c : &SELF;
    return c->size == 1 ? 0 : c->bcast(c, buf, n, root, err);
}

int comm_send(const Comm *c, const void *buf, size_t n, int dest, Err *err)
{
    if (!c || !c->send || dest < 0 || dest >= c->size || dest == c->rank)
        return err_set(err, E_STATE, "comm: no rank %d to send to [src/comm.c:%d]", dest, __LINE__);
    return c->send(c, buf, n, dest, err);
}

int comm_recv(const Comm *c, void *buf, size_t n, int src, int *from, Err *err)
{
    if (!c || !c->recv || c->size < 2 || src >= c->size || src == (c ? c->rank : 0))
        return err_set(err, E_STATE, "comm: no rank %d to receive from [src/comm.c:%d]", src, __LINE__);
    return c->recv(c, buf, n, src, from, err);
}

int comm_agree(const Comm *c, int rc, Err *err)
{
    c = c ? c : &SELF;
    if (c->size == 1)
        return rc;
    /* One record a rank: its code, then its message. */
    enum { REC = sizeof(int32_t) + ERR_MSG_MAX };
    const size_t k = (size_t)c->size;
    char *buf = calloc(k, REC);
    size_t *counts = calloc(2 * k, sizeof(size_t));
    Err own = { 0 };
    if (err && rc)
        own = *err;
    if (!buf || !counts) {
        free(buf);
        free(counts);
        /* Cannot take part: the job must not go on with one rank missing. */
        c->abort(c, 1);
        return E_NOMEM;
    }
    size_t *displs = counts + k;
    for (size_t q = 0; q < k; q++) {
        counts[q] = REC;
        displs[q] = q * REC;
    }
    int32_t code = rc;
    memcpy(buf + (size_t)c->rank * REC, &code, sizeof code);
    memcpy(buf + (size_t)c->rank * REC + sizeof code, own.msg, ERR_MSG_MAX);
    int grc = c->allgatherv(c, buf, counts, displs, err);
    int out = grc;
    for (size_t q = 0; !grc && q < k; q++) {
        memcpy(&code, buf + q * REC, sizeof code);
        if (code) {
            char msg[ERR_MSG_MAX];
            memcpy(msg, buf + q * REC + sizeof code, ERR_MSG_MAX);
            msg[ERR_MSG_MAX - 1] = '\0';
            /* rank 0's failure reads as one process's would */
            out = q ? err_set(err, code, "rank %zu: %.1000s", q, msg) : err_set(err, code, "%.1000s", msg);
            break;
        }
    }
    free(buf);
    free(counts);
    return out;
}

size_t comm_share(size_t n, int r, int k)
{
    /* floor(n * r / k) without overflow for any n a run can hold */
    return (n / (size_t)k) * (size_t)r + (n % (size_t)k) * (size_t)r / (size_t)k;
}

uint64_t comm_arith_fingerprint(void)
{
    /* volatile: the compiler must not fold these at build time. The
     * kernels give the same bytes on every kernel path and CPU
     * (docs/reproducibility.md), so nodes with and without AVX-512 or FMA
     * agree; a build that contracts, or another arithmetic version, does
     * not. */
    volatile double a = 1.0 + 0x1p-30, b = 1.0 - 0x1p-30, c = -1.0, x = 0.7390851332151607;
    volatile float f = 0.1f;
    double v[8], e[3] = { x, -x * 10.0, x * 3.0 };
    float t = (float)x;
    kern_exp(e, e, 2);
    kern_tanh(e + 2, 1);
    kern_tanhf(&t, 1);
    v[0] = a * b + c;            /* 0 without contraction, -2^-60 with fma */
    v[1] = e[0];
    v[2] = e[2];
    v[3] = e[1];
    v[4] = kern_powi(x, 25);
    v[5] = (double)(f * (float)x + f);
    v[6] = sqrt(x) * x + a;      /* contraction again, in another shape */
    v[7] = (double)t + NET_ARITHMETIC;
    return rng_fnv1a(RNG_FNV_INIT, v, sizeof v);
}
