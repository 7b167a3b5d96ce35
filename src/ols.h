/* ols: ordinary least squares with an intercept, the linear baseline that
 * `housenet evaluate` puts beside the network. The features are
 * standardised on the fitting rows, then the normal equations are solved
 * by Cholesky (small p: exact enough, and no library needed). Knows
 * nothing of files or networks. */
#ifndef HOUSENET_OLS_H
#define HOUSENET_OLS_H

#include <stddef.h>

#include "err.h"

typedef struct Ols {
    int nin;
    double *mean;   /* owned, (nin): feature means on the fitting rows */
    double *sd;     /* owned, (nin): population sd (1 for a constant feature, whose coefficient is 0) */
    double *beta;   /* owned, (nin + 1): intercept, then one coefficient per standardised feature */
} Ols;

/* Fits y ~ b0 + sum_j bj (x_j - mean_j) / sd_j on n rows of x (n, nin)
 * row-major. E_DATA when n <= the number of non-constant features or they
 * are collinear (naming the feature index), E_NOMEM. *o is zeroed on failure. */
int ols_fit(Ols *o, const double *x, const double *y, size_t n, int nin, Err *err);
/* Ridge regression: minimises sum_r (y_r - b0 - sum_j bj z_rj)^2 +
 * lambda sum_j bj^2 over the standardised features z (the intercept is
 * not penalised), the form of scikit-learn's Ridge(alpha=lambda) on
 * StandardScaler features. Unlike ols_fit it is defined for collinear
 * features (one-hot columns with an intercept) and any n >= 1. lambda > 0
 * and finite, else E_USAGE; E_NOMEM. Predict and free as for ols_fit. */
int ols_fit_ridge(Ols *o, const double *x, const double *y, size_t n, int nin, double lambda, Err *err);
/* Predictions for n rows of x into out. */
void ols_predict(const Ols *o, const double *x, size_t n, double *out);
/* NULL-safe; leaves *o zeroed. */
void ols_free(Ols *o);

#endif
