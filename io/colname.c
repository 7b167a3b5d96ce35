/* colname: did-you-mean and name lists for column errors (see colname.h). */
#include "colname.h"

#include <stdio.h>
#include <string.h>

static int colname_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Edit distance between a and b (ASCII case folded, first 63 bytes). */
static int colname_distance(const char *a, const char *b)
{
    int la = (int)strnlen(a, 63), lb = (int)strnlen(b, 63);
    int row[64];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (colname_lower(a[i - 1]) != colname_lower(b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

int colname_closest(const char *want, const char *const *names, int n)
{
    int best = -1, bestd = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = colname_distance(want, names[i]);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    int wl = (int)strlen(want);
    return best >= 0 && (bestd <= (wl + 2) / 3 || bestd == 0) ? best : -1;
}

void colname_list(char *out, size_t cap, const char *const *names, int n)
{
    size_t o = 0, budget = cap > 48 ? cap - 48 : 0;
    if (budget > COLNAME_LIST_MAX)
        budget = COLNAME_LIST_MAX;
    int i = 0;
    out[0] = '\0';
    for (; i < n; i++) {
        int w = snprintf(out + o, cap - o, "%s%.*s", i ? ", " : "", COLNAME_SHOW, names[i]);
        if (w < 0 || o + (size_t)w > budget)
            break;
        o += (size_t)w;
    }
    out[o] = '\0';
    if (i < n)
        snprintf(out + o, cap - o, ", ... (%d more)", n - i);
}
