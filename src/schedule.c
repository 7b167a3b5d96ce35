/* schedule: learning-rate schedules (see schedule.h). */
#include "schedule.h"

#include <math.h>

static const char *const SCHED_NAMES[] = { "constant", "step", "cosine", "plateau" };

const char *sched_name(SchedKind k)
{
    return (unsigned)k < 4 ? SCHED_NAMES[k] : "?";
}

double sched_lr(const Sched *s, double base, double scale, int64_t epoch, int epochs, int64_t step,
                int64_t steps_per_epoch)
{
    double lr = base;
    if (s->kind == SCHED_STEP && s->step_size > 0) {
        int64_t k = (epoch - 1) / s->step_size;
        lr = base * pow(s->gamma, (double)(k > 0 ? k : 0));
    } else if (s->kind == SCHED_COSINE) {
        double t = epochs > 1 ? (double)(epoch - 1) / (double)(epochs - 1) : 0.0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        lr = s->min_lr + (base - s->min_lr) * 0.5 * (1.0 + cos(M_PI * t));
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
