/* metrics: how far predictions are from the truth, in the units users
 * care about (dollars for a price). Pure functions over arrays; knows
 * nothing of networks or files. */
#ifndef HOUSENET_METRICS_H
#define HOUSENET_METRICS_H

#include <stddef.h>

#include "data.h"

typedef struct Metrics {
    double rmse;   /* sqrt(mean (y - h)^2) */
    double mae;    /* mean |y - h| */
    double mape;   /* mean |y - h| / |y| in percent, over the rows with y != 0 (NaN if none) */
    double r2;     /* 1 - sum (y - h)^2 / sum (y - mean y)^2 (NaN when y is constant, up to rounding) */
    size_t rows;
} Metrics;

/* Metrics of predictions h against targets y (n each). Both are mapped to
 * data units first with norm_target_back(nm, v) (de-normalised, then out
 * of log space under a target transform); nm NULL when they are in data
 * units already. Sums run in row order. n = 0 gives NaNs. */
void metrics_compute(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m);

/* metrics_compute's rmse and mae alone (the same bits), mape and r2 NaN:
 * one pass without divisions, for the figures of every epoch. */
void metrics_errors(const double *y, const double *h, size_t n, const Norm *nm, Metrics *m);

#endif
