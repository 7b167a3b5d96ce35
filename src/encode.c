/* encode: one-hot inputs from categorical features (see encode.h). */
#include "encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int enc_feat_width(const Vocab *v)
{
    return v && v->is_cat ? v->nlevels + v->other + v->missing : 1;
}

int enc_is_cat(const Encoding *e, int f)
{
    return e->v && e->v[f].is_cat;
}

int enc_any(const Encoding *e)
{
    for (int f = 0; f < e->nfeat; f++)
        if (enc_is_cat(e, f))
            return 1;
    return 0;
}

int enc_offset(const Encoding *e, int f)
{
    if (!e->v)
        return f;
    int off = 0;
    for (int g = 0; g < f; g++)
        off += enc_feat_width(e->v ? &e->v[g] : NULL);
    return off;
}

int enc_width(const Encoding *e)
{
    return enc_offset(e, e->nfeat);
}

void vocab_free(Vocab *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->nlevels && v->levels; i++)
        free(v->levels[i]);
    for (int i = 0; i < v->nrare && v->rare; i++)
        free(v->rare[i]);
    free(v->levels);
    free(v->rare);
    memset(v, 0, sizeof *v);
}

void enc_free(Encoding *e)
{
    if (!e)
        return;
    for (int f = 0; f < e->nfeat && e->v; f++)
        vocab_free(&e->v[f]);
    free(e->v);
    memset(e, 0, sizeof *e);
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A new sorted array of copies of the n texts; NULL when out of memory. */
static char **sorted_copies(char *const *texts, int n)
{
    char **out = calloc((size_t)(n ? n : 1), sizeof *out);
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(texts[i]))) {
            while (i-- > 0)
                free(out[i]);
            free(out);
            return NULL;
        }
    if (out)
        qsort(out, (size_t)n, sizeof *out, cmp_text);
    return out;
}

/* One feature's vocabulary from the counts of its codes among the training rows. */
static int fit_one(Vocab *v, const Levels *lv, const size_t *count, size_t nmissing, int min_count,
                   int with_missing, const char *name, Err *err)
{
    char **keep = calloc((size_t)(lv->n ? lv->n : 1), sizeof *keep);
    char **rare = calloc((size_t)(lv->n ? lv->n : 1), sizeof *rare);
    int rc = 0;
    v->is_cat = 1;
    if (!keep || !rare) {
        rc = err_set(err, E_NOMEM, "out of memory for the levels of \"%.60s\"", name);
        goto done;
    }
    for (int code = 0; code < lv->n; code++) {
        if (count[code] >= (size_t)min_count)
            keep[v->nlevels++] = lv->names[code];
        else if (count[code] > 0)
            rare[v->nrare++] = lv->names[code];
    }
    if (v->nlevels > ENC_MAX_LEVELS) {
        rc = err_set(err, E_DATA, "column \"%.60s\" has %d levels in the training rows, more than %d; raise "
                     "[data] min_category_count, or leave the column out", name, v->nlevels, ENC_MAX_LEVELS);
        v->nlevels = v->nrare = 0;
        goto done;
    }
    int nl = v->nlevels, nr = v->nrare;
    v->nlevels = v->nrare = 0;
    if (!(v->levels = sorted_copies(keep, nl)) || !(v->rare = sorted_copies(rare, nr))) {
        rc = err_set(err, E_NOMEM, "out of memory for the levels of \"%.60s\"", name);
        goto done;
    }
    v->nlevels = nl;
    v->nrare = nr;
    v->other = nr > 0;
    v->missing = with_missing && nmissing > 0;
done:
    free(keep);
    free(rare);
    return rc;
}

int enc_fit(Encoding *e, int nfeat, const Levels *const *lv, const Dataset *train, int min_count,
            int with_missing, const char *const *names, Err *err)
{
    memset(e, 0, sizeof *e);
    e->nfeat = nfeat;
    int any = 0, rc = 0;
    for (int f = 0; f < nfeat; f++)
        any |= lv[f] != NULL;
    if (!any)
        return 0;
    if (!(e->v = calloc((size_t)nfeat, sizeof *e->v)))
        return err_set(err, E_NOMEM, "out of memory for the vocabularies");
    for (int f = 0; f < nfeat && !rc; f++) {
        if (!lv[f])
            continue;
        size_t *count = calloc((size_t)(lv[f]->n ? lv[f]->n : 1), sizeof *count), nmissing = 0;
        if (!count) {
            rc = err_set(err, E_NOMEM, "out of memory for the vocabularies");
            break;
        }
        for (size_t r = 0; r < train->n; r++) {
            double c = train->x[r * (size_t)nfeat + (size_t)f];
            if (isnan(c))
                nmissing++;
            else if (c >= 0 && c < lv[f]->n)
                count[(size_t)c]++;
        }
        rc = fit_one(&e->v[f], lv[f], count, nmissing, min_count > 0 ? min_count : 1, with_missing,
                     names ? names[f] : "?", err);
        free(count);
    }
    if (rc)
        enc_free(e);
    return rc;
}

/* The index of s among the n ascending texts, or -1. */
static int find_text(char *const *texts, int n, const char *s)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(texts[mid], s);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* map[code] = the input (within the feature) of each level of lv: its
 * own, "other" for a rare one, -1 for one the vocabulary does not know. */
static void level_map(const Vocab *v, const Levels *lv, int *map)
{
    for (int code = 0; code < lv->n; code++) {
        int i = find_text(v->levels, v->nlevels, lv->names[code]);
        if (i < 0 && v->other && find_text(v->rare, v->nrare, lv->names[code]) >= 0)
            i = v->nlevels;
        map[code] = i;
    }
}

void enc_note_unknown(EncUnknown *u, size_t row, const char *text)
{
    if (u->count++ == 0)
        u->first_row = row;
    for (int i = 0; i < u->nshow; i++)
        if (!strncmp(u->show[i], text, sizeof u->show[i] - 1))
            return;
    if (u->nshow < ENC_SHOW)
        snprintf(u->show[u->nshow++], sizeof u->show[0], "%.*s", (int)sizeof u->show[0] - 1, text);
}

int enc_apply(const Encoding *e, const Levels *const *lv, const Dataset *raw, Dataset *out, EncUnknown *unk,
              Err *err)
{
    int width = enc_width(e), nfeat = e->nfeat, rc;
    int **maps = calloc((size_t)(nfeat ? nfeat : 1), sizeof *maps);
    if (!maps)
        return err_set(err, E_NOMEM, "out of memory for the one-hot inputs");
    if ((rc = data_alloc(out, raw->n, width, err)))
        goto done;
    for (int f = 0; f < nfeat; f++) {
        if (!enc_is_cat(e, f))
            continue;
        if (!(maps[f] = malloc((size_t)(lv[f]->n ? lv[f]->n : 1) * sizeof **maps))) {
            rc = err_set(err, E_NOMEM, "out of memory for the one-hot inputs");
            goto done;
        }
        level_map(&e->v[f], lv[f], maps[f]);
    }
    memset(out->x, 0, raw->n * (size_t)width * sizeof *out->x);
    memcpy(out->y, raw->y, raw->n * sizeof *out->y);
    for (size_t r = 0; r < raw->n; r++) {
        const double *x = raw->x + r * (size_t)nfeat;
        double *o = out->x + r * (size_t)width;
        for (int f = 0; f < nfeat; f++) {
            const Vocab *v = e->v ? &e->v[f] : NULL;
            if (!v || !v->is_cat) {
                *o++ = x[f];
                continue;
            }
            int i = -1;
            const char *text = "(missing)";
            if (isnan(x[f])) {
                if (v->missing)
                    i = v->nlevels + v->other;
            } else if (x[f] >= 0 && x[f] < lv[f]->n) {
                i = maps[f][(size_t)x[f]];
                text = lv[f]->names[(size_t)x[f]];
            }
            if (i >= 0)
                o[i] = 1.0;
            else if (unk)
                enc_note_unknown(&unk[f], r, text);
            o += enc_feat_width(v);
        }
    }
done:
    for (int f = 0; f < nfeat; f++)
        free(maps[f]);
    free(maps);
    if (rc)
        data_free(out);
    return rc;
}

void enc_fixed_mask(const Encoding *e, unsigned char *fixed)
{
    for (int f = 0, i = 0; f < e->nfeat; f++)
        for (int k = 0, w = enc_feat_width(e->v ? &e->v[f] : NULL); k < w; k++)
            fixed[i++] = (unsigned char)enc_is_cat(e, f);
}

int enc_input_names_new(const Encoding *e, const char *const *feat_names, char ***out, Err *err)
{
    int width = enc_width(e), i = 0;
    char **names = calloc((size_t)(width ? width : 1), sizeof *names);
    if (!names)
        return err_set(err, E_NOMEM, "out of memory for the input names");
    for (int f = 0; f < e->nfeat; f++) {
        const Vocab *v = e->v ? &e->v[f] : NULL;
        if (!v || !v->is_cat) {
            names[i++] = strdup(feat_names[f]);
            continue;
        }
        for (int k = 0; k < enc_feat_width(v); k++) {
            const char *level = k < v->nlevels ? v->levels[k] : k == v->nlevels && v->other ? "(other)" : "(missing)";
            size_t n = strlen(feat_names[f]) + strlen(level) + 2;
            if ((names[i] = malloc(n)))
                snprintf(names[i], n, "%s=%s", feat_names[f], level);
            i++;
        }
    }
    for (int k = 0; k < width; k++)
        if (!names[k]) {
            for (k = 0; k < width; k++)
                free(names[k]);
            free(names);
            return err_set(err, E_NOMEM, "out of memory for the input names");
        }
    *out = names;
    return 0;
}

/* Whether the n texts are strictly ascending. */
static int ascending(char *const *texts, int n)
{
    for (int i = 1; i < n; i++)
        if (strcmp(texts[i - 1], texts[i]) >= 0)
            return 0;
    return 1;
}

int enc_check(const Encoding *e, Err *err)
{
    for (int f = 0; f < e->nfeat && e->v; f++) {
        const Vocab *v = &e->v[f];
        if (!v->is_cat)
            continue;
        const char *why = NULL;
        if (v->nlevels < 0 || v->nlevels > ENC_MAX_LEVELS || v->nrare < 0)
            why = "a level count out of range";
        else if (!ascending(v->levels, v->nlevels) || !ascending(v->rare, v->nrare))
            why = "levels not in ascending order";
        else if (v->other != (v->nrare > 0) || (v->missing != 0 && v->missing != 1))
            why = "inconsistent other/missing flags";
        else if (enc_feat_width(v) < 1)
            why = "no input";
        if (why)
            return err_set(err, E_PARSE, "categorical feature %d: %s; the file is damaged", f + 1, why);
    }
    return 0;
}

int enc_copy(Encoding *dst, const Encoding *src, Err *err)
{
    memset(dst, 0, sizeof *dst);
    dst->nfeat = src->nfeat;
    if (!src->v)
        return 0;
    if (!(dst->v = calloc((size_t)src->nfeat, sizeof *dst->v)))
        return err_set(err, E_NOMEM, "out of memory for the vocabularies");
    for (int f = 0; f < src->nfeat; f++) {
        const Vocab *s = &src->v[f];
        Vocab *d = &dst->v[f];
        *d = (Vocab){ .is_cat = s->is_cat, .other = s->other, .missing = s->missing };
        if (!s->is_cat)
            continue;
        if ((d->levels = sorted_copies(s->levels, s->nlevels)))
            d->nlevels = s->nlevels;
        if ((d->rare = sorted_copies(s->rare, s->nrare)))
            d->nrare = s->nrare;
        if (!d->levels || !d->rare) {
            enc_free(dst);
            return err_set(err, E_NOMEM, "out of memory for the vocabularies");
        }
    }
    return 0;
}
