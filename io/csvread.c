/* csvread: named numeric columns (csv_read_columns, or a batch of rows at a
 * time with csv_stream_*) and a description of every column (csv_inspect)
 * from a CSV file with a header row.
 *
 * Owns: tokenizing (libcsv for the general case; a tokenizer of our own for
 * stretches of the file that hold no quote character, which emits exactly
 * the callbacks libcsv would), counting physical lines, header matching,
 * header matching and the file:line:col messages; the strict number
 * grammar and its conversion are csvnum.c's. Does not own: what a column means, what to do with a missing
 * value beyond NaN + a count (src/data.c), printing (main).
 *
 * Tokenizing rules (libcsv 3.0.3, options CSV_APPEND_NULL | CSV_REPALL_NL):
 * a record ends at CR or LF outside quotes; spaces and tabs around an
 * unquoted field are dropped; "" inside a quoted field is one quote; a quote
 * inside an unquoted field is kept as text. Blank lines are skipped (but
 * counted). A physical line ends at LF, CRLF or a lone CR; line numbers
 * count line breaks inside quoted fields too.
 *
 * Numbers: after trimming spaces and tabs, a selected cell must match
 *   [+-]? ( digits [. digits?] | . digits ) ( [eE] [+-]? digits )?
 * in full. Hex, inf, nan, thousands separators and units are rejected
 * before strtod sees them. The value is bit-identical to glibc strtod's
 * (round to nearest even): see csv_number().
 *
 * Speed (tools/bench_csv.sh; figures in docs/performance.md): the file is read
 * in 1 MiB chunks; while no quote character has been seen, whole lines go
 * through csv_fast_tokens() (same callbacks as libcsv, compared against it
 * by the tests), afterwards through libcsv to the end. Values go straight
 * into one column-major block that grows by doubling or by an estimate from
 * the file size, with huge pages requested (page faults were costly:
 * docs/performance.md). Numbers avoid strtod unless the exact paths cannot
 * decide.
 *
 * Streaming uses the same reader and callbacks: the file is read one chunk
 * at a time (csv_input_chunk) and the column block holds only the rows not
 * yet handed out, so memory is bounded by the batch size plus the rows of
 * one chunk, whatever the size of the file. */
#define _DEFAULT_SOURCE /* newlocale, uselocale, strdup (POSIX 2008); madvise */

#include "csvread.h"
#include "csvreader.h"

#include <csv.h> /* libcsv */

#include "colname.h"
#include "csvnum.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The fuzz build (tools/fuzz_csv.c) reads in small chunks, so that inputs
 * of a few hundred bytes cross chunk boundaries. */
#ifndef CSV_CHUNK_BYTES
#define CSV_CHUNK_BYTES (1 << 20)
#endif

enum {
    CSV_CHUNK = CSV_CHUNK_BYTES, /* bytes per fread */
    CSV_NAME_SHOW = COLNAME_SHOW /* bytes of a column name in a message */
};

#define CSV_OPTIONS (CSV_APPEND_NULL | CSV_REPALL_NL)

_Static_assert(sizeof ((CsvColumnInfo *)0)->text_example >= CSV_SHOW + 4, "csv_show writes CSV_SHOW + 4 bytes");


/* ---- small helpers -------------------------------------------------------- */

/* Line breaks inside a (quoted) field: LF, CRLF or a lone CR. */
static size_t csv_breaks(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            n++;
        else if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
            n++;
    }
    return n;
}

/* Writes s[0..len) for a one-line message into out (CSV_SHOW + 4 bytes):
 * at most CSV_SHOW bytes, \n \r \t escaped, other control bytes as '?',
 * cut before a UTF-8 character that does not fit, "..." when cut. */
static void csv_show(char out[CSV_SHOW + 4], const char *s, size_t len)
{
    size_t o = 0, i = 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int esc = c == '\n' || c == '\r' || c == '\t';
        size_t w = esc ? 2 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1; /* a lead byte needs its tail */
        if (o + w > CSV_SHOW)
            break;
        if (esc) {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            out[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        }
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static int csv_is_na(const CsvReader *r, const char *s, size_t len)
{
    for (int i = 0; i < r->opt->n_na_values; i++)
        if (r->na_len[i] == len && memcmp(r->opt->na_values[i], s, len) == 0)
            return 1;
    return 0;
}

/* Trimmed copy of s[0..len) as a C string; NULL when out of memory. */
static char *csv_trimmed_dup(const char *s, size_t len)
{
    const char *p = s, *e = s + len;
    csv_trim(&p, &e);
    char *d = malloc((size_t)(e - p) + 1);
    if (d) {
        memcpy(d, p, (size_t)(e - p));
        d[e - p] = '\0';
    }
    return d;
}

static int csv_fail(CsvReader *r, int code)
{
    r->code = code;
    return code;
}

/* Out of memory is an internal failure: the message names this line. */
#define CSV_NOMEM(r, what)                                                                                   \
    csv_fail((r), err_set((r)->err, E_NOMEM, "%.256s: out of memory %s", (r)->path, (what)))

/* ---- header --------------------------------------------------------------- */

static void csv_header_field(CsvReader *r, const char *s, size_t len)
{
    if (memchr(s, '\0', len)) { /* a C string would end there: "a\0junk" would match "a" */
        csv_fail(r, err_set(r->err, E_PARSE, "%.256s:%zu:%d: a column name holds a NUL byte; the header must be "
                            "text", r->path, r->line, r->nhead + 1));
        return;
    }
    if (colname_utf8_invalid(s, len) >= 0) { /* model and table files store names as UTF-8 */
        csv_fail(r, err_set(r->err, E_PARSE, "%.256s:%zu:%d: column name \"%.*s\" is not UTF-8 text; "
                            COLNAME_UTF8_FIX, r->path, r->line, r->nhead + 1, (int)(len < CSV_NAME_SHOW ? len : CSV_NAME_SHOW), s));
        return;
    }
    if (r->nhead == r->head_cap) {
        int ncap = r->head_cap ? 2 * r->head_cap : 16;
        char **h = realloc(r->head, (size_t)ncap * sizeof *h);
        if (!h) {
            CSV_NOMEM(r, "reading the header");
            return;
        }
        r->head = h;
        r->head_cap = ncap;
    }
    char *name = csv_trimmed_dup(s, len);
    if (!name) {
        CSV_NOMEM(r, "reading the header");
        return;
    }
    r->head[r->nhead++] = name;
    r->line += csv_breaks(s, len);
}

/* "no column" error with the closest header name and the list of names. */
static int csv_unknown_column(CsvReader *r, int c)
{
    const char *want = r->want[c];
    const char *const *head = (const char *const *)r->head;
    int best = colname_closest(want, head, r->nhead);
    char hint[128] = "";
    if (best >= 0)
        snprintf(hint, sizeof hint, " (did you mean \"%.*s\"?)", CSV_NAME_SHOW, r->head[best]);
    char list[COLNAME_LIST_MAX + 64];
    colname_list(list, sizeof list, head, r->nhead);
    return csv_fail(r, err_set(r->err, E_PARSE, "%.256s:%zu: no column \"%.*s\"%s; columns are: %s%s%s",
                               r->path, r->head_line, CSV_NAME_SHOW, want, hint, list,
                               csv_delim_hint(head, r->nhead, (char)r->delim), READ_FIX_ABSENT(r->opt->fix, c)));
}

/* A header that is a spreadsheet's "sep=;" line (split by the delimiter
 * or not): what the errors it leads to add, else "". */
static const char *sep_line_hint(const char *const *head, int nhead)
{
    if (nhead >= 1 && nhead <= 2 && !strncasecmp(head[0], "sep=", 4) && strlen(head[0]) <= 5)
        return "; the first line, \"sep=\" and a delimiter, is a spreadsheet's delimiter line, not the header: "
               "delete it (sed -i 1d on the file), and give that delimiter if it is not ','";
    return "";
}

const char *csv_delim_hint(const char *const *head, int nhead, char delim)
{
    if (*sep_line_hint(head, nhead))
        return sep_line_hint(head, nhead);
    if (nhead == 1 && delim != ';' && strchr(head[0], ';'))
        return "; the header has one column: is the delimiter ';'?";
    if (nhead == 1 && delim != '\t' && strchr(head[0], '\t'))
        return "; the header has one column: is the delimiter a tab?";
    if (nhead == 1 && delim != ',' && strchr(head[0], ','))
        return "; the header has one column: is the delimiter ','?";
    return "";
}

/* The header record has ended: match the requested names (read) or set up
 * the per-column statistics (inspect). */
static void csv_header_done(CsvReader *r)
{
    r->have_header = 1;
    r->head_line = r->rec_line;
    if (r->inspect) {
        r->info = calloc((size_t)r->nhead, sizeof *r->info);
        r->sum = calloc((size_t)r->nhead, sizeof *r->sum);
        r->comp = calloc((size_t)r->nhead, sizeof *r->comp);
        if (!r->info || !r->sum || !r->comp) {
            CSV_NOMEM(r, "for the columns");
            return;
        }
        for (int f = 0; f < r->nhead; f++) {
            r->info[f].min = INFINITY;
            r->info[f].max = -INFINITY;
        }
        return;
    }
    r->sel = malloc((size_t)r->nhead * sizeof *r->sel);
    if (!r->sel) {
        CSV_NOMEM(r, "for the columns");
        return;
    }
    for (int f = 0; f < r->nhead; f++)
        r->sel[f] = -1;
    for (int c = 0; c < r->nwant; c++) {
        const char *w = r->want[c], *we = w + strlen(w);
        csv_trim(&w, &we);
        size_t wl = (size_t)(we - w);
        int first = -1;
        for (int f = 0; f < r->nhead; f++) {
            if (strlen(r->head[f]) != wl || memcmp(r->head[f], w, wl) != 0)
                continue;
            if (first >= 0) {
                csv_fail(r, err_set(r->err, E_PARSE,
                                    "%.256s:%zu: column \"%.*s\" appears twice in the header (columns %d and %d); "
                                    "rename one of them",
                                    r->path, r->head_line, CSV_NAME_SHOW, r->head[f], first + 1, f + 1));
                return;
            }
            first = f;
        }
        if (first < 0) {
            csv_unknown_column(r, c);
            return;
        }
        r->src[c] = first;
        if (r->sel[first] < 0)
            r->sel[first] = c; /* a name requested twice is read once, copied at the end */
    }
}

/* ---- records -------------------------------------------------------------- */

/* Asks Linux for transparent huge pages on a large column block: writing
 * tens of MB into fresh 4 KiB pages costs one page fault each, a visible
 * share of the read time in a VM. Only a hint; errors are ignored. */
static void csv_advise_huge(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (bytes < 2 * huge)
        return;
    uintptr_t b = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (e > b)
        (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static int csv_grow(CsvReader *r)
{
    size_t ncap = r->cap ? 2 * r->cap : 4096;
    if (r->cap && !r->stream && r->file_size > r->bytes_seen && r->bytes_seen > 0) {
        /* rows in the whole file at the bytes per row seen so far, + 5% */
        double est = (double)r->nrows * ((double)r->file_size / (double)r->bytes_seen) * 1.05 + 1024;
        if (est > (double)ncap && est < (double)SIZE_MAX / 16)
            ncap = (size_t)est;
    }
    size_t nw = (size_t)r->nwant;
    if (ncap > SIZE_MAX / sizeof(double) / nw)
        return CSV_NOMEM(r, "for the rows (too many)");
    double *p = realloc(r->cols, ncap * nw * sizeof *p);
    if (!p)
        return CSV_NOMEM(r, "for the rows");
    for (size_t c = nw - 1; c > 0; c--) /* column c moves from c*cap to c*ncap: last first */
        memmove(p + c * ncap, p + c * r->cap, r->nrows * sizeof *p);
    r->cols = p;
    r->cap = ncap;
    csv_advise_huge(p, ncap * nw * sizeof *p);
    return 0;
}

/* A cell that reads like a missing-value marker no list declared: no
 * letter or digit ("?", "-", "."), or a word such as "missing" or "n.a.". */
static int csv_looks_missing(const char *s, size_t len)
{
    static const char *const WORDS[] = { "missing", "na", "n/a", "n.a.", "n.a", "nil", "none", "null", "unknown", "nan",
                                         "empty", "blank", "#value!", "#div/0!", "#ref!" };
    int alnum = 0;
    for (size_t i = 0; i < len; i++)
        alnum |= isalnum((unsigned char)s[i]) != 0;
    if (!alnum)
        return len > 0 && len <= 8;
    for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++)
        if (strlen(WORDS[w]) == len && !strncasecmp(WORDS[w], s, len))
            return 1;
    return 0;
}

/* What makes s[0..len) a number written as a spreadsheet shows it rather
 * than one the readers take ("$350,000", "1,000", "12%", "1,5", "1.234,5"),
 * for the fix an error suggests: "; it is a number written with a currency
 * sign and thousands separators: write plain numbers (350000, 12, 1.5)"
 * into out (cap bytes); "" for any other text. Returns 1 for such a number. */
static int csv_format_hint(char *out, size_t cap, const char *s, size_t len)
{
    static const char *const CURRENCY[] = { "$", "\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5" }; /* $ € £ ¥ */
    const char *p = s, *e = s + len;
    out[0] = '\0';
    csv_trim(&p, &e);
    int currency = 0, percent = 0;
    if (p < e && (*p == '-' || *p == '+'))
        p++;
    for (size_t k = 0; k < sizeof CURRENCY / sizeof CURRENCY[0] && !currency; k++) {
        size_t n = strlen(CURRENCY[k]);
        if ((size_t)(e - p) > n && !memcmp(p, CURRENCY[k], n)) {
            currency = 1;
            p += n;
        }
    }
    while (currency && p < e && *p == ' ')
        p++;
    if (e > p && e[-1] == '%') {
        percent = 1;
        e--;
    }
    /* the digits: groups between ',' and '.' marks */
    int commas = 0, dots = 0, bad_group = 0, last = 0; /* last: 1 ',' 2 '.' */
    size_t group = 0, first_group = 0;
    if (p == e || !csv_isdigit(*p))
        return 0;
    for (const char *q = p; q <= e; q++) {
        if (q < e && csv_isdigit(*q)) {
            group++;
            continue;
        }
        if (!commas && !dots)
            first_group = group;
        else if (last && group != 3)
            bad_group |= last; /* a group after that mark is not three digits */
        if (q == e)
            break;
        if ((*q != ',' && *q != '.') || group == 0)
            return 0;
        last = *q == ',' ? 1 : 2;
        commas += last == 1;
        dots += last == 2;
        group = 0;
    }
    const char *how = NULL;
    if (!commas && dots <= 1)
        how = NULL; /* a plain number, with a sign or mark around it */
    else if (commas && !dots && !(bad_group & 1) && first_group <= 3)
        how = "thousands separators";
    else if (commas && dots == 1 && last == 2 && first_group <= 3 && !(bad_group & 1))
        how = "thousands separators"; /* 1,234.5: the last group's length is free */
    else if (commas == 1 && !dots && (bad_group & 1))
        how = "a decimal comma";
    else if (commas == 1 && dots && last == 1 && first_group <= 3)
        how = "a decimal comma and '.' between thousands";
    else
        return 0;
    if (!how && !currency && !percent)
        return 0;
    snprintf(out, cap, "; it is a number written with %s%s%s%s%s: write plain numbers (350000, 12, 1.5)",
             currency ? "a currency sign" : "", currency && (how || percent) ? " and " : "", how ? how : "",
             how && percent ? " and " : "", percent ? "a percent sign" : "");
    return 1;
}

/* Records the first bad cell of the record (reported when the record ends). */
static void csv_cell_error(CsvReader *r, const char *name, int f, const char *s, size_t len, int kind)
{
    if (r->row_bad)
        return;
    r->row_bad = 1;
    char shown[CSV_SHOW + 4];
    csv_show(shown, s, len);
    if (kind == 0)
        err_set(&r->pending, E_PARSE,
                "%.256s:%zu:%d: column \"%.*s\": missing value; %s",
                r->path, r->line, f + 1, CSV_NAME_SHOW, name, READ_FIX_MISSING(r->opt->fix));
    else if (kind == -2)
        err_set(&r->pending, E_PARSE,
                "%.256s:%zu:%d: column \"%.*s\": expected a number, got \"%s\" (beyond the range of a double)",
                r->path, r->line, f + 1, CSV_NAME_SHOW, name, shown);
    else {
        char hint[256];
        colname_space_hint(hint, sizeof hint, s, len, r->path);
        if (!hint[0] && !csv_format_hint(hint, sizeof hint, s, len) && csv_looks_missing(s, len))
            snprintf(hint, sizeof hint, "%s", CSV_MISSING_HINT);
        err_set(&r->pending, E_PARSE, "%.256s:%zu:%d: column \"%.*s\": expected a number, got \"%s\"%s",
                r->path, r->line, f + 1, CSV_NAME_SHOW, name, shown, hint);
    }
}

/* A text cell p[0..len) of out column c (file column f): its level's
 * code into *v; 0, or -1 after recording the error. */
static int csv_text_cell(CsvReader *r, int c, int f, const char *p, size_t len, double *v)
{
    CsvTextCol *t = &r->tc[c];
    int code = memchr(p, '\0', len) ? -3 : colname_utf8_invalid(p, len) >= 0 ? -4 : levels_intern(&t->lv, p, len);
    if (code == -1) {
        CSV_NOMEM(r, "for the levels of a text column");
        return -1;
    }
    if (code < 0) {
        if (!r->row_bad && code == -4) /* a level is stored in the model file as UTF-8 */
            err_set(&r->pending, E_PARSE, "%.256s:%zu:%d: column \"%.*s\": the text \"%.*s\" is not UTF-8; "
                    COLNAME_UTF8_FIX, r->path, r->line, f + 1, CSV_NAME_SHOW, r->want[c], (int)(len < 32 ? len : 32), p);
        else if (!r->row_bad)
            err_set(&r->pending, E_PARSE, code == -2 ? "%.256s:%zu:%d: column \"%.*s\": more than %d distinct "
                    "texts: an identifier, not a category; leave the column out of [data] features"
                    : "%.256s:%zu:%d: column \"%.*s\": a NUL byte in a text cell; remove it from the file",
                    r->path, r->line, f + 1, CSV_NAME_SHOW, r->want[c], LEVELS_MAX);
        r->row_bad = 1;
        return -1;
    }
    if (t->ntext++ == 0) {
        t->text_line = r->line;
        t->text_col = f + 1;
        csv_show(t->text_show, p, len);
    }
    char fmt[160];
    if (t->nformat + 1 == t->ntext) /* only while every text cell so far was such a number */
        t->nformat += (size_t)csv_format_hint(fmt, sizeof fmt, p, len);
    *v = (double)code;
    return 0;
}

static void csv_read_cell(CsvReader *r, int c, int f, const char *s, size_t len)
{
    const char *p = s, *e = s + len;
    csv_trim(&p, &e);
    double v;
    int mode = r->tc ? r->opt->text[c] : CSV_COL_NUMBER;
    if (p == e || (r->opt->n_na_values && csv_is_na(r, p, (size_t)(e - p)))) {
        if (!r->opt->allow_missing)
            csv_cell_error(r, r->want[c], f, p, (size_t)(e - p), 0);
        v = NAN;
        r->missing[c]++;
    } else if (mode == CSV_COL_TEXT) {
        if (csv_text_cell(r, c, f, p, (size_t)(e - p), &v))
            return;
    } else {
        int rc = csv_number(p, (size_t)(e - p), r->x87_ok, &v);
        if (rc == -1 && mode == CSV_COL_AUTO) {
            if (csv_text_cell(r, c, f, p, (size_t)(e - p), &v))
                return;
        } else if (rc < 0) {
            csv_cell_error(r, r->want[c], f, p, (size_t)(e - p), rc);
            r->line += csv_breaks(s, len);
            return;
        } else if (mode == CSV_COL_AUTO && r->tc[c].nnum++ == 0) {
            r->tc[c].num_line = r->line;
            r->tc[c].num_col = f + 1;
            csv_show(r->tc[c].num_show, p, (size_t)(e - p));
        }
    }
    r->line += csv_breaks(s, len);
    r->cols[(size_t)c * r->cap + r->nrows] = v;
}

/* After the whole file: an auto column with no text cell is numbers, one
 * with no number cell is text, one with both is an error; the levels of
 * the text columns move to out->text. */
static int csv_text_done(CsvReader *r, Table *out)
{
    for (int c = 0; c < r->nwant; c++) {
        CsvTextCol *t = &r->tc[c];
        int c0 = r->sel[r->src[c]]; /* a name requested twice was read once, into c0 */
        if (c0 != c)
            t = &r->tc[c0];
        if (r->opt->text[c0] == CSV_COL_AUTO && t->ntext && t->nnum) {
            int num = t->nnum < t->ntext; /* report a cell of the smaller kind */
            char hint[256];
            snprintf(hint, sizeof hint, "; %zu other cells are %s: fix the cell, or list the column in [data] "
                     "categorical to read every value as a level", num ? t->ntext : t->nnum,
                     num ? "text" : "numbers");
            if (!num && csv_looks_missing(t->text_show, strlen(t->text_show)))
                snprintf(hint, sizeof hint, "%s", CSV_MISSING_HINT);
            if (!num) {
                char space[256];
                colname_space_hint(space, sizeof space, t->text_show, strlen(t->text_show), r->path);
                if (space[0] || csv_format_hint(space, sizeof space, t->text_show, strlen(t->text_show)))
                    snprintf(hint, sizeof hint, "%s", space);
            }
            return err_set(r->err, E_PARSE, "%.256s:%zu:%d: column \"%.*s\": %s \"%s\"%s", r->path,
                           num ? t->num_line : t->text_line, num ? t->num_col : t->text_col, CSV_NAME_SHOW,
                           r->want[c], num ? "a number among text:" : "expected a number, got",
                           num ? t->num_show : t->text_show, hint);
        }
        if (r->opt->text[c0] == CSV_COL_AUTO && t->ntext && t->ntext == t->nformat) {
            /* "$350,000" in every cell: a numeric column as a spreadsheet
             * shows it, which would otherwise become levels in silence */
            char hint[160];
            csv_format_hint(hint, sizeof hint, t->text_show, strlen(t->text_show));
            return err_set(r->err, E_PARSE, "%.256s:%zu:%d: column \"%.*s\": expected a number, got \"%s\"%s, or list "
                           "the column in [data] categorical to read its values as levels", r->path, t->text_line,
                           t->text_col, CSV_NAME_SHOW, r->want[c], t->text_show, hint);
        }
        if (!t->ntext && r->opt->text[c0] != CSV_COL_TEXT)
            continue;
        if (!out->text && !(out->text = calloc((size_t)r->nwant, sizeof *out->text)))
            return err_set(r->err, E_NOMEM, "%.256s: out of memory", r->path);
        if (!(out->text[c] = calloc(1, sizeof *out->text[c])) || levels_copy(out->text[c], &t->lv))
            return err_set(r->err, E_NOMEM, "%.256s: out of memory", r->path);
    }
    return 0;
}

static void csv_inspect_cell(CsvReader *r, int f, const char *s, size_t len)
{
    if (f >= r->nhead) {
        r->line += csv_breaks(s, len);
        return;
    }
    CsvColumnInfo *ci = &r->info[f];
    const char *p = s, *e = s + len;
    csv_trim(&p, &e);
    double v;
    if (p == e || (r->opt->n_na_values && csv_is_na(r, p, (size_t)(e - p)))) {
        ci->missing++;
    } else if (csv_number(p, (size_t)(e - p), r->x87_ok, &v) == 0) {
        ci->n_numbers++;
        if (v < ci->min)
            ci->min = v;
        if (v > ci->max)
            ci->max = v;
        double t = r->sum[f] + v; /* Neumaier: keeps the mean of large, close values exact enough */
        if (fabs(r->sum[f]) >= fabs(v))
            r->comp[f] += (r->sum[f] - t) + v;
        else
            r->comp[f] += (v - t) + r->sum[f];
        r->sum[f] = t;
    } else if (ci->text_line == 0) {
        ci->text_line = r->line;
        csv_show(ci->text_example, p, (size_t)(e - p));
    }
    r->line += csv_breaks(s, len);
}

/* libcsv field callback (also called by csv_fast_tokens). */
static void csv_on_field(void *data, size_t len, void *ud)
{
    CsvReader *r = ud;
    const char *s = data;
    if (r->code)
        return;
    r->pending_cr = 0;
    if (r->field == 0) {
        r->rec_line = r->line;
        r->rec_bytes = 0;
    }
    int f = r->field++;
    r->rec_bytes += len + 1;
    if (csv_check_record(r->path, r->rec_line, (size_t)r->field, r->rec_bytes, r->err)) {
        csv_fail(r, E_PARSE);
        return;
    }
    if (!r->have_header) {
        csv_header_field(r, s, len);
        return;
    }
    if (r->inspect) {
        csv_inspect_cell(r, f, s, len);
        return;
    }
    if (f == 0 && r->nrows == r->cap && csv_grow(r) < 0)
        return;
    r->bytes_seen += len + 1;
    int c = f < r->nhead ? r->sel[f] : -1;
    if (c < 0) {
        r->line += csv_breaks(s, len);
        return;
    }
    csv_read_cell(r, c, f, s, len);
}

static void csv_end_record(CsvReader *r)
{
    if (!r->have_header) {
        csv_header_done(r);
        return;
    }
    if (r->field != r->nhead) {
        const char *hint = *sep_line_hint((const char *const *)r->head, r->nhead)
                               ? sep_line_hint((const char *const *)r->head, r->nhead)
                           : r->field > r->nhead ? "; a value that holds the delimiter must be quoted"
                                                 : "; fill the missing fields (empty is allowed) or check the delimiter";
        csv_fail(r, err_set(r->err, E_PARSE, "%.256s:%zu: row has %d field%s, the header has %d%s", r->path,
                            r->rec_line, r->field, r->field == 1 ? "" : "s", r->nhead, hint));
        return;
    }
    if (r->row_bad) {
        if (r->err)
            *r->err = r->pending;
        csv_fail(r, r->pending.code);
        return;
    }
    r->nrows++;
}

/* libcsv record callback: c is the CR or LF that ended the record, -1 at the
 * end of the file. With CSV_REPALL_NL every CR and LF outside quotes comes
 * here, blank lines as records of no fields. */
static void csv_on_record(int c, void *ud)
{
    CsvReader *r = ud;
    if (r->code)
        return;
    if (r->field > 0)
        csv_end_record(r);
    r->field = 0;
    csv_count_line_end(c, &r->line, &r->pending_cr);
}

/* Tokenizes s[0..len), which holds no quote character, emitting the same
 * callbacks libcsv would (CSV_REPALL_NL semantics). Unless final, s ends
 * with CR or LF; when final, an unterminated last record is ended with -1
 * as csv_fini does. */
static void csv_fast_tokens(CsvReader *r, char *s, size_t len, int final)
{
    const unsigned char delim = r->delim;
    unsigned char *p = (unsigned char *)s, *end = p + len;
    while (p < end && !r->code) {
        unsigned char c = *p;
        if ((c == ' ' || c == '\t') && c != delim) { /* before the first field */
            p++;
            continue;
        }
        if (c == '\r' || c == '\n') {
            csv_on_record(c, r);
            p++;
            continue;
        }
        for (;;) { /* fields of one record */
            while (p < end && (*p == ' ' || *p == '\t') && *p != delim)
                p++;
            unsigned char *fs = p;
            while (p < end && *p != delim && *p != '\r' && *p != '\n')
                p++;
            unsigned char *fe = p;
            while (fe > fs && (fe[-1] == ' ' || fe[-1] == '\t'))
                fe--;
            csv_on_field(fs, (size_t)(fe - fs), r);
            if (p == end) {
                if (final)
                    csv_on_record(-1, r);
                return;
            }
            if (*p++ == delim)
                continue;
            csv_on_record(p[-1], r);
            break;
        }
    }
}

/* ---- driver --------------------------------------------------------------- */


/* Checks the delimiter, opens the file and sets up the tokenizers. On
 * failure everything opened is closed again (csv_input_close is safe). */
int csv_input_open(CsvReader *r, CsvInput *in)
{
    memset(in, 0, sizeof *in);
    in->cloc = (locale_t)0;
    unsigned char d = r->opt && r->opt->delimiter ? (unsigned char)r->opt->delimiter : ',';
    if (!csv_delimiter_ok((char)d))
        return csv_fail(r, err_set(r->err, E_CONFIG, "%.256s: the delimiter '%c' cannot be used; use "
                                   CSV_DELIMITER_RULE, r->path, d == '\r' || d == '\n' ? '?' : d));
    r->delim = d;
    r->line = 1;
    r->rec_line = 1;
    r->x87_ok = csv_x87_ok();
    if (r->opt->n_na_values > 0) {
        r->na_len = malloc((size_t)r->opt->n_na_values * sizeof *r->na_len);
        if (!r->na_len)
            return CSV_NOMEM(r, "for the NA tokens");
        for (int i = 0; i < r->opt->n_na_values; i++)
            r->na_len[i] = strlen(r->opt->na_values[i]);
    }

    in->f = fopen(r->path, "rb");
    if (!in->f) {
        int e = errno;
        return csv_fail(r, err_set(r->err, E_IO, "%.256s: cannot open: %s", r->path, strerror(e)));
    }
    struct stat st;
    if (fstat(fileno(in->f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        r->file_size = (size_t)st.st_size;
    in->cap = r->file_size && r->file_size < CSV_CHUNK ? r->file_size + 1 : CSV_CHUNK;
    in->buf = malloc(in->cap + 1);
    if (!in->buf || csv_init(&in->cp, CSV_OPTIONS) != 0)
        return CSV_NOMEM(r, "for the read buffer");
    in->cp_live = 1;
    csv_set_delim(&in->cp, d);
    csv_set_blk_size(&in->cp, 4096); /* the field buffer grows by this much; default 128 */
    in->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (in->cloc == (locale_t)0)
        return CSV_NOMEM(r, "creating the C locale");
    in->fast = !r->opt->libcsv_only;
    in->first = 1;
    return 0;
}

void csv_input_close(CsvInput *in)
{
    if (in->cloc != (locale_t)0)
        freelocale(in->cloc);
    if (in->cp_live)
        csv_free(&in->cp);
    free(in->buf);
    if (in->f)
        fclose(in->f);
    memset(in, 0, sizeof *in);
}

/* After the last byte: libcsv's end of input, then the checks that need
 * the whole file (empty, header only). */
static void csv_input_end(CsvReader *r, CsvInput *in)
{
    if (!r->code) {
        /* strict at the end only: an unclosed quote is an error, while a
         * stray quote inside a text field (not strict) is just text */
        csv_set_opts(&in->cp, CSV_OPTIONS | CSV_STRICT | CSV_STRICT_FINI);
        if (csv_fini(&in->cp, csv_on_field, csv_on_record, r) != 0 && !r->code)
            csv_fail(r, err_set(r->err, E_PARSE,
                                "%.256s:%zu:%d: a quoted field is not closed; "
                                "a '\"' inside a quoted value must be doubled (\"\")",
                                r->path, r->line, r->field + 1));
    }
    if (r->code)
        return;
    if (!r->have_header)
        csv_fail(r, err_set(r->err, E_PARSE, "%.256s: file is empty; expected a header row", r->path));
    else if (r->rows_done + r->nrows == 0)
        csv_fail(r, err_set(r->err, E_PARSE, "%.256s: no data rows after the header (line %zu)", r->path,
                            r->head_line));
}

/* Reads one chunk of the file and sends it through the callbacks; at the
 * end of the file also finishes the input (in->done). The quote-free
 * tokenizer runs on whole lines while no quote character has been seen
 * (so that the handover to libcsv is at a record start); from the first
 * chunk holding a quote (or a line longer than a chunk) to the end, libcsv
 * tokenizes. Returns 0 or r->code. */
int csv_input_chunk(CsvReader *r, CsvInput *in)
{
    locale_t old = uselocale(in->cloc); /* strtod reads the decimal point from LC_NUMERIC */
    size_t want = in->cap - in->fill;
    size_t n = fread(in->buf + in->fill, 1, want, in->f);
    if (n < want) {
        if (ferror(in->f)) {
            int e = errno;
            csv_fail(r, err_set(r->err, E_IO, "%.256s: read error: %s", r->path, strerror(e)));
            goto done;
        }
        in->eof = 1;
    }
    in->fill += n;
    char *data = in->buf;
    size_t len = in->fill;
    if (in->first) {
        in->first = 0;
        size_t skip;
        int rc = csv_file_start(r->path, data, len, &skip, r->err);
        if (rc) {
            csv_fail(r, rc);
            goto done;
        }
        data += skip;
        len -= skip;
    }
    if (in->fast && memchr(data, '"', len))
        in->fast = 0;
    if (in->fast && in->eof) {
        data[len] = '\0';
        csv_fast_tokens(r, data, len, 1);
        in->fill = 0;
    } else {
        size_t cut = 0;
        if (in->fast) {
            cut = len;
            while (cut > 0 && data[cut - 1] != '\n' && data[cut - 1] != '\r')
                cut--;
            if (cut == 0)
                in->fast = 0; /* one line fills the buffer */
        }
        if (cut > 0) {
            csv_fast_tokens(r, data, cut, 0);
            memmove(in->buf, data + cut, len - cut);
            in->fill = len - cut;
        } else {
            if (csv_parse(&in->cp, data, len, csv_on_field, csv_on_record, r) != len) {
                CSV_NOMEM(r, csv_strerror(csv_error(&in->cp)));
                goto done;
            }
            /* a field without end grows in libcsv's buffer, unseen by the callbacks */
            if (!r->code && csv_check_record(r->path, r->field ? r->rec_line : r->line, (size_t)r->field,
                                             (r->field ? r->rec_bytes : 0) + in->cp.entry_pos, r->err)) {
                csv_fail(r, E_PARSE);
                goto done;
            }
            in->fill = 0;
        }
    }
    if (in->eof) {
        csv_input_end(r, in);
        in->done = 1;
    }
done:
    uselocale(old);
    return r->code;
}

/* Reads the whole file through the callbacks; on success the header and
 * the rows are in *r. */
static int csv_run(CsvReader *r)
{
    CsvInput in;
    int rc = csv_input_open(r, &in);
    while (rc == 0 && !in.done)
        rc = csv_input_chunk(r, &in);
    csv_input_close(&in);
    return rc;
}

void csv_reader_free(CsvReader *r)
{
    for (int f = 0; f < r->nhead; f++)
        free(r->head[f]);
    free(r->head);
    free(r->na_len);
    free(r->sel);
    free(r->src);
    free(r->cols);
    free(r->missing);
    for (int c = 0; c < r->nwant && r->tc; c++)
        levels_free(&r->tc[c].lv);
    free(r->tc);
    free(r->info);
    free(r->sum);
    free(r->comp);
}

int csv_read_columns(const char *path, const char *const *names, int ncols,
                     const CsvOptions *opt, Table *out, Err *err)
{
    static const CsvOptions defaults = {0};
    int rc = 0;
    CsvReader r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.path = path;
    r.opt = opt ? opt : &defaults;
    r.want = names;
    r.nwant = ncols;
    r.err = err;
    if (ncols < 1)
        return err_set(err, E_CONFIG, "%.256s: no columns requested", path);

    r.src = malloc((size_t)ncols * sizeof *r.src);
    r.missing = calloc((size_t)ncols, sizeof *r.missing);
    if (r.opt->text)
        r.tc = calloc((size_t)ncols, sizeof *r.tc);
    if (!r.src || !r.missing || (r.opt->text && !r.tc)) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory", path);
        goto done;
    }
    rc = csv_run(&r);
    if (rc < 0)
        goto done;
    if (r.opt->min_rows > 1 && r.nrows < (size_t)r.opt->min_rows) {
        rc = err_set(err, E_DATA, "%.256s: only %zu data row%s after the header; need at least %d", path, r.nrows,
                     r.nrows == 1 ? "" : "s", r.opt->min_rows);
        goto done;
    }

    /* close the gaps between columns (stride cap -> nrows), then copy the
     * columns that were requested twice */
    size_t n = r.nrows;
    for (int c = 1; c < ncols; c++)
        memmove(r.cols + (size_t)c * n, r.cols + (size_t)c * r.cap, n * sizeof *r.cols);
    for (int c = 0; c < ncols; c++) {
        int c0 = r.sel[r.src[c]];
        if (c0 != c) {
            memcpy(r.cols + (size_t)c * n, r.cols + (size_t)c0 * n, n * sizeof *r.cols);
            r.missing[c] = r.missing[c0];
        }
    }
    double *shrunk = realloc(r.cols, (size_t)ncols * n * sizeof *r.cols);
    if (shrunk)
        r.cols = shrunk;

    out->names = calloc((size_t)ncols, sizeof *out->names);
    if (!out->names) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory", path);
        goto done;
    }
    out->ncols = ncols;
    for (int c = 0; c < ncols; c++) {
        out->names[c] = strdup(names[c]);
        if (!out->names[c]) {
            rc = err_set(err, E_NOMEM, "%.256s: out of memory", path);
            goto done;
        }
    }
    if (r.tc && (rc = csv_text_done(&r, out)))
        goto done;
    out->nrows = n;
    out->cols = r.cols;
    out->missing = r.missing;
    r.cols = NULL;
    r.missing = NULL;

done:
    if (rc < 0)
        table_free(out);
    csv_reader_free(&r);
    return rc;
}

int csv_inspect(const char *path, const CsvOptions *opt, CsvColumnInfo **cols,
                int *ncols, size_t *nrows, Err *err)
{
    static const CsvOptions defaults = {0};
    int rc = 0;
    CsvReader r;
    memset(&r, 0, sizeof r);
    *cols = NULL;
    *ncols = 0;
    *nrows = 0;
    r.path = path;
    r.opt = opt ? opt : &defaults;
    r.inspect = 1;
    r.err = err;

    rc = csv_run(&r);
    if (rc < 0)
        goto done;
    for (int f = 0; f < r.nhead; f++) {
        CsvColumnInfo *ci = &r.info[f];
        ci->name = r.head[f];
        r.head[f] = NULL;
        ci->is_numeric = ci->text_line == 0;
        if (ci->n_numbers) {
            ci->mean = (r.sum[f] + r.comp[f]) / (double)ci->n_numbers;
        } else {
            ci->min = ci->max = ci->mean = NAN;
        }
    }
    *cols = r.info;
    *ncols = r.nhead;
    *nrows = r.nrows;
    r.info = NULL;

done:
    csv_reader_free(&r);
    return rc;
}

void csv_inspect_free(CsvColumnInfo **cols, int *ncols)
{
    if (!cols)
        return;
    if (*cols && ncols)
        for (int c = 0; c < *ncols; c++)
            free((*cols)[c].name);
    free(*cols);
    *cols = NULL;
    if (ncols)
        *ncols = 0;
}

int csv_file_start(const char *path, const char *p, size_t n, size_t *skip, Err *err)
{
    const BinaryKind *k = binary_kind(p, n);
    *skip = 0;
    if (k)
        return err_set(err, E_PARSE, "%.256s: this is %s, not CSV text; %s", path, k->name, k->as_csv);
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte-order mark */
        *skip = 3;
    return 0;
}
