/* colname: choosing among column names for messages. Shared by the CSV and
 * HDF5 table readers so that both answer an unknown column the same way:
 * the closest name as a did-you-mean hint and a bounded list of the names;
 * and text from the input made safe for a terminal. Opens no file. */
#ifndef HOUSENET_COLNAME_H
#define HOUSENET_COLNAME_H

#include <stddef.h>
#include <stdio.h>

/* Bytes of one name quoted in a message, and of a whole "columns are" list. */
#define COLNAME_SHOW 40
#define COLNAME_LIST_MAX 480

/* Index of the name closest to want (edit distance, ASCII case folded, first
 * 63 bytes) when it is close enough to be a likely typo -- at most about a
 * third of want's length and not all of it, or equal up to case -- else -1. */
int colname_closest(const char *want, const char *const *names, int n);

/* The length of s before a '#' that follows a space or tab, and before
 * the spaces and tabs ahead of it ("price  # in USD" -> 5), or -1 when s
 * holds no such '#'. To its writer it starts a comment; inih reads it as
 * part of the value (after a value only ';' starts one). colname_closest
 * offers a name equal to the part before it. */
long colname_hash_comment(const char *s);

/* Writes "a, b, c" into out (cap bytes; cap >= COLNAME_LIST_MAX + 48 shows
 * everything that fits the budget): each name cut to COLNAME_SHOW bytes, the
 * list cut before COLNAME_LIST_MAX bytes, then ", ... (N more)". */
void colname_list(char *out, size_t cap, const char *const *names, int n);

/* Copies s into out (cap bytes, NUL-terminated, cut at a whole character
 * when short) with every byte that could act on a terminal written as
 * \xNN: control bytes (ESC, CR, LF, ...), DEL, C1 controls and bytes that
 * are not part of valid UTF-8. For text from the input on its way to
 * stderr or a terminal (docs/hardening.md). Returns out. */
char *term_escape(char *out, size_t cap, const char *s);

/* s escaped as term_escape does, whole, in memory the caller frees; NULL
 * when out of memory. */
char *term_escape_new(const char *s);

/* Length (1..4) of the character at p (avail bytes) as a terminal may be
 * given it, or 0 when term_escape writes the byte at p as \xNN. */
int term_char(const unsigned char *p, size_t avail);
/* Length (1 or 2) of the control character at p: a C0 control or DEL (one
 * byte), a C1 control (U+0080..U+009F, two bytes); 0 for anything else. */
int term_control(const unsigned char *p, size_t avail);

/* Writes s[0..len) to f as term_escape would, with no bound on its length;
 * keep_newlines: a line feed stays one (a text of several lines). */
void term_write(FILE *f, const char *s, size_t len, int keep_newlines);

/* The longest line term_line prints (before escaping), in bytes. */
#define TERM_LINE_MAX 2048

/* Prints fmt's text to f, escaped as term_escape does, then a newline: a
 * warning or note that quotes the input (a column name, a level, a
 * message of a failed read) is one line that cannot act on a terminal.
 * The text is cut at TERM_LINE_MAX - 1 bytes. */
void term_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The offset of the first byte of s[0..len) that is not part of valid
 * UTF-8 (a cut, overlong or surrogate form is invalid), or -1 when all of
 * it is valid. Names and levels are stored in HDF5 files as UTF-8, which
 * h5py decodes. */
long colname_utf8_invalid(const char *s, size_t len);
/* The offset of the first byte of s[0..len) that is not plain text: a
 * byte colname_utf8_invalid refuses, or a control character other than TAB
 * (0x01-0x1F, DEL, a C1 control U+0080..U+009F): what term_escape would
 * show as \xNN. -1 when there is none. colname_utf8_invalid(s + off, ...)
 * == 0 tells a byte that is not UTF-8 from a control character. */
long colname_text_invalid(const char *s, size_t len);
/* The fix that errors about such bytes suggest. */
#define COLNAME_UTF8_FIX "save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 OLD >NEW"

/* The hint for a cell or value s[0..len) of file that is not a number
 * because it holds a character that shows as a space, or as nothing, but
 * is not one to the readers (U+00A0 no-break space, as spreadsheets
 * export, the figure, thin, narrow no-break, ideographic and zero-width
 * spaces, a byte-order mark): "; it holds U+00A0 (a no-break space), ...:
 * delete it, e.g. sed -i 's/\xC2\xA0//g' FILE" into out (cap bytes), naming
 * the first one and file (when it needs no shell quoting; no sed command
 * when file is NULL); "" when there is none. It explains a message's "got "1 000"" that looks like a number. */
void colname_space_hint(char *out, size_t cap, const char *s, size_t len, const char *file);

/* A binary format whose file no text reader should parse: its signature
 * (the first len bytes, neither NUL nor newline among them), its name and
 * what to do with it where CSV text is read. */
typedef struct BinaryKind {
    const char *magic;
    size_t len;
    const char *name;      /* "an HDF5 file" */
    const char *as_csv;    /* the fix when it was given as CSV */
    const char *as_config; /* the fix when it was given as the config */
} BinaryKind;

/* The binary format the first bytes p[0..n) of a file are (HDF5, a ZIP
 * archive such as an .xlsx workbook, gzip, UTF-16 text with its byte-order
 * mark, as Excel's "Unicode Text" and Windows Notepad's "Unicode" save),
 * or NULL. */
const BinaryKind *binary_kind(const char *p, size_t n);

#endif
