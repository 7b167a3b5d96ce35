/* curves: the per-epoch training log in memory (see curves.h).
 * Owns the growing column arrays (capacity doubles, every column shares
 * it). Knows nothing of files: io/h5model.c reads and writes curves.h5. */
#include "curves.h"

#include <stdlib.h>
#include <string.h>

#define CURVES_INITIAL_CAP 64

int curves_init(Curves *c, const char *const *names, int ncols, Err *err)
{
    memset(c, 0, sizeof *c);
    if (ncols < 0 || ncols > CURVES_MAX_COLS)
        return err_set(err, E_CONFIG, "curves: %d columns, expected 0..%d", ncols,
                       CURVES_MAX_COLS);
    for (int j = 0; j < ncols; j++) {
        if (!names[j])
            return err_set(err, E_CONFIG, "curves: column %d has no name", j);
        c->names[j] = names[j];
    }
    c->ncols = ncols;
    int rc = curves_reserve(c, CURVES_INITIAL_CAP, err);
    if (rc)
        curves_free(c);
    return rc;
}

int curves_reserve(Curves *c, size_t cap, Err *err)
{
    if (cap <= c->cap)
        return 0;
    /* Each array is replaced as soon as it has grown, so a failure part way
     * leaves some arrays larger than c->cap: harmless, and nothing leaks. */
    int64_t *e = realloc(c->epoch, cap * sizeof *e);
    if (!e)
        return err_set(err, E_NOMEM, "curves: out of memory for %zu rows", cap);
    c->epoch = e;
    for (int j = 0; j < c->ncols; j++) {
        double *v = realloc(c->cols[j], cap * sizeof *v);
        if (!v)
            return err_set(err, E_NOMEM, "curves: out of memory for %zu rows", cap);
        c->cols[j] = v;
    }
    c->cap = cap;
    return 0;
}

int curves_push(Curves *c, int64_t epoch, const double *vals, Err *err)
{
    if (c->n == c->cap) {
        int rc = curves_reserve(c, c->cap ? 2 * c->cap : CURVES_INITIAL_CAP, err);
        if (rc)
            return rc;
    }
    c->epoch[c->n] = epoch;
    for (int j = 0; j < c->ncols; j++)
        c->cols[j][c->n] = vals[j];
    c->n++;
    return 0;
}

int curves_reserve_steps(Curves *c, size_t cap, Err *err)
{
    if (cap <= c->steps_cap)
        return 0;
    /* As in curves_reserve, each array is replaced as soon as it has grown. */
    int64_t *a = realloc(c->step_no, cap * sizeof *a);
    if (!a)
        goto nomem;
    c->step_no = a;
    if (!(a = realloc(c->step_epoch, cap * sizeof *a)))
        goto nomem;
    c->step_epoch = a;
    double *v = realloc(c->step_loss, cap * sizeof *v);
    if (!v)
        goto nomem;
    c->step_loss = v;
    if (!(v = realloc(c->step_lr, cap * sizeof *v)))
        goto nomem;
    c->step_lr = v;
    c->steps_cap = cap;
    return 0;
nomem:
    return err_set(err, E_NOMEM, "curves: out of memory for %zu step rows", cap);
}

int curves_push_step(Curves *c, int64_t step, int64_t epoch, double loss, double lr, Err *err)
{
    if (c->nsteps == c->steps_cap) {
        int rc = curves_reserve_steps(c, c->steps_cap ? 2 * c->steps_cap : CURVES_INITIAL_CAP, err);
        if (rc)
            return rc;
    }
    c->step_no[c->nsteps] = step;
    c->step_epoch[c->nsteps] = epoch;
    c->step_loss[c->nsteps] = loss;
    c->step_lr[c->nsteps] = lr;
    c->nsteps++;
    return 0;
}

void curves_truncate_steps(Curves *c, int64_t step)
{
    while (c->nsteps > 0 && c->step_no[c->nsteps - 1] > step)
        c->nsteps--;
}

int curves_push_event(Curves *c, int64_t epoch, int64_t step, const char *kind, const char *msg,
                      Err *err)
{
    if (c->nevents == c->events_cap) {
        size_t cap = c->events_cap ? 2 * c->events_cap : 16;
        CurvesEvent *e = realloc(c->events, cap * sizeof *e);
        if (!e)
            return err_set(err, E_NOMEM, "curves: out of memory for %zu events", cap);
        c->events = e;
        c->events_cap = cap;
    }
    CurvesEvent *e = &c->events[c->nevents];
    e->epoch = epoch;
    e->step = step;
    e->kind = strdup(kind);
    e->msg = strdup(msg);
    if (!e->kind || !e->msg) {
        free(e->kind);
        free(e->msg);
        return err_set(err, E_NOMEM, "curves: out of memory for an event");
    }
    c->nevents++;
    return 0;
}

void curves_truncate(Curves *c, size_t keep)
{
    if (keep < c->n)
        c->n = keep;
}

int curves_col(const Curves *c, const char *name)
{
    for (int j = 0; j < c->ncols; j++)
        if (strcmp(c->names[j], name) == 0)
            return j;
    return -1;
}

void curves_free(Curves *c)
{
    if (!c)
        return;
    free(c->epoch);
    for (int j = 0; j < CURVES_MAX_COLS; j++) {
        free(c->cols[j]);
        free(c->owned_names[j]);
    }
    free(c->step_no);
    free(c->step_epoch);
    free(c->step_loss);
    free(c->step_lr);
    for (size_t i = 0; i < c->nevents; i++) {
        free(c->events[i].kind);
        free(c->events[i].msg);
    }
    free(c->events);
    memset(c, 0, sizeof *c);
}
