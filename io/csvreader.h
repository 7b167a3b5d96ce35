/* csvreader: the CSV reader's state, shared by csvread.c (whole files,
 * csv_inspect) and csvstream.c (a batch of rows at a time). Private to
 * those two files. */
#ifndef HOUSENET_CSVREADER_H
#define HOUSENET_CSVREADER_H

#include <csv.h> /* libcsv */
#include <locale.h>
#include <stdio.h>

#include "csvread.h"
#include "levels.h"

enum { CSV_SHOW = 32 }; /* bytes of a cell quoted in a message */

/* A column read as text or auto (CsvOptions.text): its levels, and where
 * its first text and first number cells are, for a mixed column's error. */
typedef struct CsvTextCol {
    Levels lv;
    size_t ntext, nnum;
    size_t nformat;          /* text cells that are numbers written as a spreadsheet shows them,
                              * counted while every one so far is (== ntext: all of them) */
    size_t text_line, num_line;
    int text_col, num_col;
    char text_show[CSV_SHOW + 4], num_show[CSV_SHOW + 4];
} CsvTextCol;

/* State shared by the tokenizer callbacks; one per call. */
typedef struct CsvReader {
    /* fixed for the call */
    const char *path;
    const CsvOptions *opt;
    unsigned char delim;
    int inspect;                /* 0: csv_read_columns, 1: csv_inspect */
    const char *const *want;    /* read: requested names, nwant of them */
    int nwant;
    size_t *na_len;             /* strlen of each opt->na_values[i] */
    int x87_ok;                 /* the x87 unit rounds to 64 bits (precision control) */

    /* position */
    size_t line;                /* physical line of the next byte not yet reported */
    size_t rec_line;            /* line where the current record starts */
    size_t rec_bytes;           /* bytes of the current record's fields so far */
    int pending_cr;             /* the last event was a record ended by CR */
    int field;                  /* fields seen so far in the current record */

    /* header */
    int have_header;
    size_t head_line;
    char **head;                /* nhead trimmed names, owned */
    int nhead, head_cap;

    /* read mode: out column c holds file column src[c]; sel[f] is the out
     * column of file column f or -1. cols is column-major with stride cap. */
    int *sel;
    int *src;
    double *cols;
    size_t cap, nrows;
    size_t rows_done;           /* stream: rows already handed out and removed from cols */
    int stream;                 /* cols holds a window of rows: grow by doubling only */
    size_t *missing;
    CsvTextCol *tc;             /* NULL, or nwant entries when opt->text is set */
    size_t file_size;           /* 0 when unknown */
    size_t bytes_seen;          /* bytes of the data fields so far, to size cols */

    /* inspect mode: one entry per header field */
    CsvColumnInfo *info;
    double *sum, *comp;         /* Neumaier sums for the means */

    /* errors: the first bad cell of a record waits in pending until the
     * record ends, so that a ragged row is reported as ragged */
    int row_bad;
    Err pending;
    int code;                   /* nonzero: stop; the message is in *err */
    Err *err;
} CsvReader;

/* The input side of a read: the file, the chunk buffer and libcsv, kept
 * between chunks so that a stream can stop after any chunk. */
typedef struct CsvInput {
    FILE *f;
    char *buf;                  /* cap + 1 bytes */
    size_t cap;                 /* CSV_CHUNK, or less for a smaller file */
    size_t fill;                /* bytes carried over to the next chunk (a partial line) */
    struct csv_parser cp;
    int cp_live;
    locale_t cloc;              /* "C" LC_NUMERIC, in force while a chunk is parsed */
    int fast;                   /* still on the quote-free tokenizer */
    int first;                  /* the next chunk is the first (byte-order mark) */
    int eof;                    /* the file has been read to its end */
    int done;                   /* eof and the end of input has been handled */
} CsvInput;

/* Checks the delimiter, opens the file and sets up the tokenizers. On
 * failure everything opened is closed again (csv_input_close is safe). */
int csv_input_open(CsvReader *r, CsvInput *in);
/* Parses the next chunk of the file through the callbacks; 0, or the
 * error code (the message is in *r->err). */
int csv_input_chunk(CsvReader *r, CsvInput *in);
/* Closes what csv_input_open opened; safe on a failed open. */
void csv_input_close(CsvInput *in);
/* Frees what the reader holds (not *r itself). */
void csv_reader_free(CsvReader *r);

#endif
