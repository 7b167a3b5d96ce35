/* colname: did-you-mean and name lists for column errors, and text from
 * the input made safe for a terminal (see colname.h). */
#include "colname.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

long colname_hash_comment(const char *s)
{
    for (const char *p = s; (p = strchr(p, '#')); p++)
        if (p > s && (p[-1] == ' ' || p[-1] == '\t')) {
            while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
                p--;
            return (long)(p - s);
        }
    return -1;
}

int colname_closest(const char *want, const char *const *names, int n)
{
    long keep = colname_hash_comment(want);
    for (int i = 0; keep > 0 && i < n; i++)
        if (strlen(names[i]) == (size_t)keep && !strncmp(names[i], want, (size_t)keep))
            return i; /* "price # the price" */
    int best = -1, bestd = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = colname_distance(want, names[i]);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    int wl = (int)strlen(want);
    /* a one-letter name is no typo of another one-letter name */
    return best >= 0 && ((bestd <= (wl + 2) / 3 && bestd < wl) || bestd == 0) ? best : -1;
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

/* Length of the valid UTF-8 character at s (1..4), 0 when the avail bytes
 * at s do not start one. */
static int utf8_len(const unsigned char *s, size_t avail)
{
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if ((size_t)n > avail || (n == 2 && s[0] < 0xC2))
        return 0; /* cut short, overlong */
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, surrogate */
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || s[0] > 0xF4 || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* Length of the character at p (avail bytes) as a terminal may be given
 * it, or 0 when the byte at p is written as \xNN: a control byte, DEL, a
 * C1 control (U+0080..U+009F), a byte that is not part of valid UTF-8. */
int term_control(const unsigned char *p, size_t avail)
{
    int n = utf8_len(p, avail);
    return (n == 1 && (*p < 0x20 || *p == 0x7F)) || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) ? n : 0;
}

int term_char(const unsigned char *p, size_t avail)
{
    int n = utf8_len(p, avail);
    return n == 0 || term_control(p, avail) ? 0 : n;
}

/* The offset of the first byte of s[0..len) that does not start a valid
 * UTF-8 character, or (plain) one term_char refuses other than a TAB. */
static long first_invalid(const char *s, size_t len, int plain)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, n; i < len; i += n)
        if (!(n = (size_t)(!plain ? utf8_len(p + i, len - i) : p[i] == '\t' ? 1 : term_char(p + i, len - i))))
            return (long)i;
    return -1;
}

long colname_utf8_invalid(const char *s, size_t len) { return first_invalid(s, len, 0); }

long colname_text_invalid(const char *s, size_t len) { return first_invalid(s, len, 1); }

char *term_escape(char *out, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (!cap)
        return out;
    while (*p) {
        int n = term_char(p, 4); /* a NUL ends a character early: nothing past it is read */
        size_t w = n ? (size_t)n : 4;
        if (o + w >= cap)
            break;
        if (n)
            memcpy(out + o, p, w);
        else
            snprintf(out + o, cap - o, "\\x%02X", *p);
        p += n ? n : 1;
        o += w;
    }
    out[o] = '\0';
    return out;
}

char *term_escape_new(const char *s)
{
    size_t cap = 4 * strlen(s) + 1; /* \xNN for every byte at the most */
    char *out = malloc(cap);
    return out ? term_escape(out, cap, s) : NULL;
}

void term_write(FILE *f, const char *s, size_t len, int keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        int n = term_char(p + i, len - i);
        if (n)
            fwrite(p + i, 1, (size_t)n, f);
        else if (p[i] == '\n' && keep_newlines)
            fputc('\n', f);
        else
            fprintf(f, "\\x%02X", p[i]);
        i += n ? (size_t)n : 1;
    }
}

void term_line(FILE *f, const char *fmt, ...)
{
    char line[TERM_LINE_MAX], shown[4 * TERM_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(f, "%s\n", term_escape(shown, sizeof shown, line));
}

void colname_space_hint(char *out, size_t cap, const char *s, size_t len, const char *file)
{
    static const struct {
        const char *utf8, *name;
        unsigned cp;
    } SPACES[] = {
        { "\xC2\xA0", "a no-break space", 0xA0 },
        { "\xE2\x80\x87", "a figure space", 0x2007 },
        { "\xE2\x80\x89", "a thin space", 0x2009 },
        { "\xE2\x80\x8B", "a zero-width space", 0x200B },
        { "\xE2\x80\xAF", "a narrow no-break space", 0x202F },
        { "\xE3\x80\x80", "an ideographic space", 0x3000 },
        { "\xEF\xBB\xBF", "a byte-order mark", 0xFEFF },
    };
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < len; i++)
        for (size_t k = 0; k < sizeof SPACES / sizeof SPACES[0]; k++) {
            const char *u = SPACES[k].utf8;
            size_t n = strlen(u);
            if (n <= len - i && memcmp(s + i, u, n) == 0) {
                char sed[16] = "";
                for (size_t b = 0; b < n; b++) /* the bytes as GNU sed's \xHH */
                    snprintf(sed + 4 * b, sizeof sed - 4 * b, "\\x%02X", (unsigned char)u[b]);
                int plain = file && strlen(file) < 200 &&
                            strspn(file, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-+") ==
                                strlen(file);
                snprintf(out, cap, "; it holds U+%04X (%s), which is not a space to housenet: delete it%s%s%s%s",
                         SPACES[k].cp, SPACES[k].name, file ? ", e.g. sed -i 's/" : "", file ? sed : "",
                         file ? "//g' " : "", file ? (plain ? file : "FILE") : "");
                return;
            }
        }
}

const BinaryKind *binary_kind(const char *p, size_t n)
{
#define GIVE_CONFIG "give the command its config (a text file such as configs/ames.ini)"
    static const BinaryKind KINDS[] = {
        { "\x89HDF", 4, "an HDF5 file", "HDF5 tables are read by their name: call it NAME.h5 (or .hdf5)", GIVE_CONFIG },
        { "PK\x03\x04", 4, "a ZIP archive (an .xlsx workbook?)", "save the sheet as CSV (File > Save As > CSV)",
          GIVE_CONFIG },
        { "\x1F\x8B", 2, "gzip-compressed", "decompress it first (gunzip -k FILE)", GIVE_CONFIG },
        { "\xFF\xFE", 2, "UTF-16 text (Excel's \"Unicode Text\", Notepad's \"Unicode\")",
          "save it as \"CSV UTF-8\", or convert it: iconv -f UTF-16 -t UTF-8 FILE >NEW.csv",
          "save it as UTF-8, or convert it: iconv -f UTF-16 -t UTF-8 FILE >NEW.ini" },
        { "\xFE\xFF", 2, "UTF-16 text (big-endian)", "convert it to UTF-8: iconv -f UTF-16 -t UTF-8 FILE >NEW.csv",
          "convert it to UTF-8: iconv -f UTF-16 -t UTF-8 FILE >NEW.ini" },
    };
#undef GIVE_CONFIG
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (n >= KINDS[i].len && memcmp(p, KINDS[i].magic, KINDS[i].len) == 0)
            return &KINDS[i];
    return NULL;
}
