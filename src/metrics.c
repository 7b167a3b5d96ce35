/* metrics: RMSE, MAE, MAPE and R^2 (see metrics.h). */
#include "metrics.h"

#include <float.h>
#include <math.h>

/* The sums over the rows, in row order, of the squared and absolute errors
 * and, with ape set, of the targets and the absolute percentage errors (rows
 * whose target is 0 have none). */
typedef struct {
    double sse, sae, sy, sape;
    size_t nape;
} ErrSums;

static ErrSums error_sums(const double *y, const double *h, size_t n, const Norm *nm, int ape)
{
    ErrSums s = { 0 };
    for (size_t i = 0; i < n; i++) {
        double yi = nm ? norm_target_back(nm, y[i]) : y[i], hi = nm ? norm_target_back(nm, h[i]) : h[i];
        double e = yi - hi;
        s.sse += e * e;
        s.sae += fabs(e);
        if (ape) {
            s.sy += yi;
            if (yi != 0.0) {
                s.sape += fabs(e) / fabs(yi);
                s.nape++;
            }
        }
    }
    return s;
}

/* Sets m's rows, RMSE and MAE from s (n rows), the rest to NaN. */
static void errors_set(Metrics *m, const ErrSums *s, size_t n)
{
    m->rows = n;
    m->rmse = m->mae = m->mape = m->r2 = NAN;
    if (n == 0)
        return;
    m->rmse = sqrt(s->sse / (double)n);
    m->mae = s->sae / (double)n;
}

void metrics_errors(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m)
{
    ErrSums s = error_sums(y, h, n, nm, 0);
    errors_set(m, &s, n);
}

void metrics_compute(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m)
{
    ErrSums s = error_sums(y, h, n, nm, 1);
    errors_set(m, &s, n);
    if (n == 0)
        return;
    double mean = s.sy / (double)n, sst = 0.0, ymax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double yi = nm ? norm_target_back(nm, y[i]) : y[i], d = yi - mean;
        sst += d * d;
        ymax = fmax(ymax, fabs(yi));
    }
    /* A constant target leaves only rounding in sst (the mean of equal
     * values need not be exact): R^2 is undefined there, not -2e39. */
    double noise = 16.0 * DBL_EPSILON * ymax;
    m->mape = s.nape ? 100.0 * s.sape / (double)s.nape : NAN;
    m->r2 = sst > (double)n * noise * noise ? 1.0 - s.sse / sst : NAN;
}
