/* schedule: learning-rate schedules (see schedule.h). */
#include "schedule.h"

#include <math.h>

#include "kern.h"

static const char *const SCHED_NAMES[] = { "constant", "step", "cosine", "plateau" };

const char *sched_name(SchedKind k)
{
    return (unsigned)k < 4 ? SCHED_NAMES[k] : "?";
}

/* The Taylor series of cos x and of sin x / x in x^2, highest power
 * first, for |x| <= pi/4 (truncation below 1e-18). */
static const double COS_SERIES[] = { 1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600,
                                     -1.0 / 3628800, 1.0 / 40320, -1.0 / 720, 1.0 / 24, -1.0 / 2, 1.0 };
static const double SIN_SERIES[] = { 1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
                                     -1.0 / 39916800, 1.0 / 362880, -1.0 / 5040, 1.0 / 120, -1.0 / 6, 1.0 };

/* c[0] z^8 + c[1] z^7 + ... + c[8] by Horner's scheme. */
static double horner9(const double c[9], double z)
{
    double p = c[0];
    for (int i = 1; i < 9; i++)
        p = c[i] + z * p;
    return p;
}

/* cos(pi t) for t in [0, 1], from products and sums only: libm's cos
 * differs in the last bit between its FMA and non-FMA variants. Exactly
 * 1, 0 and -1 at t = 0, 1/2 and 1. */
static double cos_pi(double t)
{
    double x = M_PI * (t <= 0.25 ? t : t < 0.75 ? 0.5 - t : 1.0 - t);
    if (t <= 0.25)
        return horner9(COS_SERIES, x * x);
    if (t < 0.75)
        return x * horner9(SIN_SERIES, x * x);
    return -horner9(COS_SERIES, x * x);
}

double sched_lr(const Sched *s, double base, double scale, int64_t epoch, int epochs, int64_t step,
                int64_t steps_per_epoch)
{
    double lr = base;
    if (s->kind == SCHED_STEP && s->step_size > 0) {
        int64_t k = (epoch - 1) / s->step_size;
        lr = base * kern_powi(s->gamma, (uint64_t)(k > 0 ? k : 0));
    } else if (s->kind == SCHED_COSINE) {
        double t = epochs > 1 ? (double)(epoch - 1) / (double)(epochs - 1) : 0.0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        lr = s->min_lr + (base - s->min_lr) * 0.5 * (1.0 + cos_pi(t));
    }
    lr *= scale;
    if (s->warmup_epochs > 0 && steps_per_epoch > 0) {
        double ramp = (double)(step + 1) / ((double)s->warmup_epochs * (double)steps_per_epoch);
        if (ramp < 1.0)
            lr *= ramp;
    }
    return lr;
}

double sched_plateau_reduce(const Sched *s, double base, double scale)
{
    if (base * scale <= s->min_lr)
        return scale;
    double next = scale * s->plateau_factor;
    double floor_scale = base > 0 ? s->min_lr / base : 0.0;
    return next < floor_scale ? floor_scale : next;
}
