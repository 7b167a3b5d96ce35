/* metrics: RMSE, MAE, MAPE and R^2 (see metrics.h). */
#include "metrics.h"

#include <float.h>
#include <math.h>

/* The sums of the squared and absolute errors in row order. */
static void error_sums(const double *y, const double *h, size_t n, const Norm *nm, double *sse, double *sae)
{
    double s2 = 0.0, s1 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (nm ? norm_target_back(nm, y[i]) : y[i]) - (nm ? norm_target_back(nm, h[i]) : h[i]);
        s2 += e * e;
        s1 += fabs(e);
    }
    *sse = s2;
    *sae = s1;
}

void metrics_errors(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m)
{
    m->rows = n;
    m->rmse = m->mae = m->mape = m->r2 = NAN;
    if (n == 0)
        return;
    double sse, sae;
    error_sums(y, h, n, nm, &sse, &sae);
    m->rmse = sqrt(sse / (double)n);
    m->mae = sae / (double)n;
}

void metrics_compute(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m)
{
    metrics_errors(y, h, n, nm, m);
    if (n == 0)
        return;
    double sse, sae, sape = 0.0, sy = 0.0;
    error_sums(y, h, n, nm, &sse, &sae);
    size_t nape = 0;
    for (size_t i = 0; i < n; i++) {
        double yi = nm ? norm_target_back(nm, y[i]) : y[i], hi = nm ? norm_target_back(nm, h[i]) : h[i];
        double e = yi - hi;
        sy += yi;
        if (yi != 0.0) {
            sape += fabs(e) / fabs(yi);
            nape++;
        }
    }
    double mean = sy / (double)n, sst = 0.0, ymax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double yi = nm ? norm_target_back(nm, y[i]) : y[i], d = yi - mean;
        sst += d * d;
        ymax = fmax(ymax, fabs(yi));
    }
    /* A constant target leaves only rounding in sst (the mean of equal
     * values need not be exact): R^2 is undefined there, not -2e39. */
    double noise = 16.0 * DBL_EPSILON * ymax;
    m->mape = nape ? 100.0 * sape / (double)nape : NAN;
    m->r2 = sst > (double)n * noise * noise ? 1.0 - sse / sst : NAN;
}
