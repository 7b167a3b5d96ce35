/* Helpers shared by the cmocka tests. Include after <cmocka.h>. */
#ifndef HOUSENET_TESTUTIL_H
#define HOUSENET_TESTUTIL_H

#include <math.h>

/* Fails with both values when |a - b| > tol. */
#define assert_close(a, b, tol) \
    do { \
        double a_ = (a), b_ = (b); \
        if (!(fabs(a_ - b_) <= (tol))) \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

#endif
