/* progress: the bar and the epoch lines (see progress.h). */
#include "progress.h"

#include <math.h>

#include "train.h"

#define BAR_WIDTH 24
#define REDRAW_S 0.1

void progress_init(Progress *p, FILE *f, int tty, int quiet, int epochs, int64_t steps_per_epoch,
                   size_t rows, int64_t first_epoch, const char *target)
{
    *p = (Progress){ .f = f, .tty = tty, .quiet = quiet, .epochs = epochs,
                     .steps_per_epoch = steps_per_epoch, .rows = rows, .target = target,
                     .t_start = train_now_s(), .first_epoch = first_epoch,
                     .train_loss = NAN, .val_loss = NAN, .val_rmse = NAN, .rate = NAN };
    const size_t steps = steps_per_epoch > 0 ? (size_t)steps_per_epoch : 1;
    p->clock_every = train_clock_every((rows + steps - 1) / steps); /* rows a step */
}

/* "1:02:03", "2:03" or "3.4s". */
static void fmt_time(char *buf, size_t cap, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%d:%02d", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
}

/* The bar at `done` epochs (fractional) of the run. */
static void draw(Progress *p, double done, double loss)
{
    double t = train_now_s(), elapsed = t - p->t_start;
    double frac = p->epochs > 0 ? done / p->epochs : 1.0;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    double ran = done - (double)p->first_epoch; /* epochs run by this process */
    double per_epoch = ran > 0 ? elapsed / ran : NAN;
    char bar[BAR_WIDTH + 1], eta[32], rate[32] = "-", val[32] = "";
    if (isfinite(p->rate))
        snprintf(rate, sizeof rate, "%.3g", p->rate);
    if (!p->no_val)
        snprintf(val, sizeof val, "  val %.4g", p->val_loss);
    int full = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < full ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fmt_time(eta, sizeof eta, per_epoch * (p->epochs - done));
    fprintf(p->f, "\r[%s] %3.0f%% epoch %lld/%d  loss %.4g%s  %s samples/s  left %s\033[K", bar,
            100 * frac, (long long)ceil(done > 0 ? done : 0), p->epochs, loss, val, rate, eta);
    fflush(p->f);
    p->bar_shown = 1;
    p->last_draw = t;
}

void progress_step(Progress *p, const TrainState *st, double batch_loss)
{
    /* by step counts, not calls: on_step need not run at every step (a
     * rollback moves the count back) */
    if (p->quiet || !p->tty || (st->step >= p->clock_step && st->step - p->clock_step < p->clock_every))
        return;
    p->clock_step = st->step;
    if (train_now_s() - p->last_draw < REDRAW_S)
        return;
    double within = p->steps_per_epoch > 0 ? (double)st->epoch_step / (double)p->steps_per_epoch : 0.0;
    draw(p, (double)st->epoch + within, batch_loss);
}

void progress_epoch(Progress *p, const EpochStats *s, double val_rmse, double val_mae)
{
    p->train_loss = s->train_loss;
    p->val_loss = s->val_loss;
    p->val_rmse = val_rmse;
    if (s->epoch > 0)
        p->rate = s->samples_per_s;
    if (p->quiet)
        return;
    if (p->tty) {
        if (s->epoch == 0 || s->epoch >= p->epochs || train_now_s() - p->last_draw >= REDRAW_S)
            draw(p, (double)s->epoch, s->train_loss);
        return;
    }
    fprintf(p->f, "epoch %lld/%d  train_loss %.6g  ", (long long)s->epoch, p->epochs, s->train_loss);
    if (!p->no_val) /* NaN, every one, without validation rows */
        fprintf(p->f, "val_loss %.6g  val_rmse %.6g  val_mae %.6g  ", s->val_loss, val_rmse, val_mae);
    fprintf(p->f, "lr %.4g  ", s->lr);
    if (s->epoch == 0) /* no step yet: no gradient norm nor rate (the curves hold NaN and 0) */
        fprintf(p->f, "(before training)\n");
    else
        fprintf(p->f, "grad_norm %.4g  %.4g samples/s  %.3g s\n", s->grad_norm, s->samples_per_s, s->seconds);
    fflush(p->f);
}

void progress_event(Progress *p, const char *kind, const char *msg)
{
    if (p->quiet)
        return;
    if (p->bar_shown)
        fputs("\r\033[K", p->f);
    p->bar_shown = 0;
    fprintf(p->f, "housenet: %s: %s\n", kind, msg);
    fflush(p->f);
}

void progress_end(Progress *p)
{
    if (p->bar_shown && !p->quiet)
        fputc('\n', p->f);
    p->bar_shown = 0;
    fflush(p->f);
}
