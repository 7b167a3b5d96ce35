/* ols: least squares by the normal equations on standardised features
 * (see ols.h). With standardised columns the Gram matrix is well scaled
 * (diagonal n), so Cholesky in double is accurate for the few features a
 * housing model has. */
#include "ols.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ols_free(Ols *o)
{
    if (!o)
        return;
    free(o->mean);
    free(o->sd);
    free(o->beta);
    memset(o, 0, sizeof *o);
}

/* Cholesky of the SPD matrix a (m, m) in place (lower triangle), then
 * solves a z = b in place of b. Returns the first column whose pivot is
 * not clearly positive, or -1 when the solve succeeded. */
static int cholesky_solve(double *a, double *b, int m)
{
    for (int j = 0; j < m; j++) {
        double d = a[j * m + j];
        for (int k = 0; k < j; k++)
            d -= a[j * m + k] * a[j * m + k];
        /* relative to the column's own scale: a pivot lost to rounding means collinear */
        if (!(d > 1e-10 * a[j * m + j]))
            return j;
        double l = sqrt(d);
        a[j * m + j] = l;
        for (int i = j + 1; i < m; i++) {
            double s = a[i * m + j];
            for (int k = 0; k < j; k++)
                s -= a[i * m + k] * a[j * m + k];
            a[i * m + j] = s / l;
        }
    }
    for (int i = 0; i < m; i++) { /* L y = b */
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= a[i * m + k] * b[k];
        b[i] = s / a[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) { /* L^T z = y */
        double s = b[i];
        for (int k = i + 1; k < m; k++)
            s -= a[k * m + i] * b[k];
        b[i] = s / a[i * m + i];
    }
    return -1;
}

/* ols_fit (lambda 0) and ols_fit_ridge: lambda is added to the diagonal
 * of the standardised features' Gram matrix, never to the intercept's. */
static int fit(Ols *o, const double *x, const double *y, size_t n, int nin, double lambda, Err *err)
{
    memset(o, 0, sizeof *o);
    const int m = nin + 1;
    int rc = 0, *used = NULL;
    double *a = NULL, *z = NULL;
    o->nin = nin;
    o->mean = calloc((size_t)(nin ? nin : 1), sizeof(double));
    o->sd = calloc((size_t)(nin ? nin : 1), sizeof(double));
    o->beta = calloc((size_t)m, sizeof(double));
    a = calloc((size_t)m * (size_t)m, sizeof(double));
    z = calloc((size_t)m, sizeof(double));
    used = calloc((size_t)m, sizeof(int));
    if (!o->mean || !o->sd || !o->beta || !a || !z || !used) {
        rc = err_set(err, E_NOMEM, "out of memory for a least-squares fit of %d features", nin);
        goto done;
    }
    for (int j = 0; j < nin; j++) {
        double s = 0.0;
        for (size_t r = 0; r < n; r++)
            s += x[r * (size_t)nin + (size_t)j];
        o->mean[j] = s / (double)n;
        double ss = 0.0;
        for (size_t r = 0; r < n; r++) {
            double d = x[r * (size_t)nin + (size_t)j] - o->mean[j];
            ss += d * d;
        }
        o->sd[j] = sqrt(ss / (double)n);
    }
    /* used[] maps the columns of the reduced system (intercept + the
     * non-constant features) to beta indices. */
    int k = 0;
    used[k++] = 0;
    for (int j = 0; j < nin; j++) {
        if (o->sd[j] > 0)
            used[k++] = j + 1;
        else
            o->sd[j] = 1.0;
    }
    if (lambda > 0 ? n == 0 : n <= (size_t)k) {
        rc = err_set(err, E_DATA, "least squares needs more than %d rows, got %zu", lambda > 0 ? 0 : k, n);
        goto done;
    }
    /* A = Z^T Z and z = Z^T y, Z = [1, standardised features], row by row */
    for (size_t r = 0; r < n; r++) {
        const double *xr = x + r * (size_t)nin;
        for (int p = 0; p < k; p++) {
            int jp = used[p];
            double vp = jp ? (xr[jp - 1] - o->mean[jp - 1]) / o->sd[jp - 1] : 1.0;
            z[p] += vp * y[r];
            for (int q = 0; q <= p; q++) {
                int jq = used[q];
                double vq = jq ? (xr[jq - 1] - o->mean[jq - 1]) / o->sd[jq - 1] : 1.0;
                a[p * k + q] += vp * vq;
            }
        }
    }
    for (int p = 0; p < k; p++) /* the upper triangle from the lower */
        for (int q = p + 1; q < k; q++)
            a[p * k + q] = a[q * k + p];
    for (int p = 1; p < k; p++)
        a[p * k + p] += lambda;
    int bad = cholesky_solve(a, z, k);
    if (bad >= 0) {
        rc = err_set(err, E_DATA, "least squares: feature %d is a linear combination of the others (collinear)",
                     used[bad]);
        goto done;
    }
    for (int p = 0; p < k; p++)
        o->beta[used[p]] = z[p];
done:
    free(a);
    free(z);
    free(used);
    if (rc)
        ols_free(o);
    return rc;
}

int ols_fit(Ols *o, const double *x, const double *y, size_t n, int nin, Err *err)
{
    return fit(o, x, y, n, nin, 0.0, err);
}

int ols_fit_ridge(Ols *o, const double *x, const double *y, size_t n, int nin, double lambda, Err *err)
{
    if (!(lambda > 0) || !isfinite(lambda)) {
        memset(o, 0, sizeof *o);
        return err_set(err, E_USAGE, "ridge: lambda must be a number above 0, got %g", lambda);
    }
    return fit(o, x, y, n, nin, lambda, err);
}

void ols_predict(const Ols *o, const double *x, size_t n, double *out)
{
    for (size_t r = 0; r < n; r++) {
        const double *xr = x + r * (size_t)o->nin;
        double s = o->beta[0];
        for (int j = 0; j < o->nin; j++)
            s += o->beta[j + 1] * (xr[j] - o->mean[j]) / o->sd[j];
        out[r] = s;
    }
}
