/* configkeys: what io/config.c, configkeys.c and configread.c share
 * (private to them): the table of config keys -- for each key its section,
 * name, type, place in Config, default, range, choices, whether a resume
 * may change it, its help text and its hook -- and the setters the reader
 * calls. config.c has one setter per type; configkeys.c the rows and hooks. */
#ifndef HOUSENET_CONFIGKEYS_H
#define HOUSENET_CONFIGKEYS_H

#include <stddef.h>

#include "config.h"

typedef enum { T_INT, T_U64, T_DOUBLE, T_BOOL, T_STR, T_PATH, T_ENUM, T_LIST, T_INTLIST } KeyType;

/* A list item's bytes with its NUL (the size of Config's name fields). */
#define CFG_ITEM_LEN 256

/* What one key does beyond its type: a row's hook (NULL: nothing more).
 * A hook that fails returns -1 with the reason in why[wcap]. */
typedef struct KeyHook {
    /* T_STR: stores the trimmed text v, shorter than cap, as out (e.g. a
     * delimiter's name as the character itself). NULL: as written. */
    int (*parse)(const char *v, char *out, size_t cap, char *why, size_t wcap);
    /* The stored text as cfg_text_new writes it. NULL: as stored. */
    void (*show)(const char *stored, char *buf, size_t cap);
    /* T_LIST, T_INTLIST: an item's bytes with its NUL; 0 = CFG_ITEM_LEN. */
    size_t item_len;
    /* T_LIST, T_INTLIST: what Config derives from the list's n items, each
     * trimmed and non-empty; called before the list text is stored. */
    int (*items)(Config *c, char items[][CFG_ITEM_LEN], int n, char *why, size_t wcap);
} KeyHook;

/* One row of the table. A new key is a row; a key that needs more than its
 * type's parsing names a KeyHook last. */
typedef struct KeyDef {
    const char *section;
    const char *name;
    KeyType type;
    size_t offset;        /* into Config */
    size_t size;          /* of a string field */
    const char *def;      /* default, as it would be written in the file */
    double min, max;      /* range of numbers and list lengths */
    const char *choices;  /* T_ENUM: "a|b|c", value = index */
    int resume_safe;      /* may change when resuming a run */
    const char *help;
    const KeyHook *hook;  /* NULL for none */
} KeyDef;

extern const KeyDef CFG_KEYS[];
extern const int CFG_NKEYS;

#define CFG_KEYS_MAX (sizeof ((Config *)0)->key_line / sizeof(int)) /* bound of CFG_NKEYS */

/* 0 when section is one of a run's ([data], [model], [train], [run],
 * [init]), else E_CONFIG at where with a did-you-mean. */
int cfg_check_section(const char *section, const char *where, Err *err);

/* Sets (section, name) = value; where names the origin for messages
 * ("file:line" or "--set"). */
int cfg_assign(Config *c, const char *section, const char *name, const char *value,
               const char *base_dir, const char *where, int line, Err *err);

/* What an error about value adds when it holds a '#' after a space
 * (colname_hash_comment): "; a '#' after a value is part of the value:
 * write "name = <the part before it>" ...", made in buf; else "". */
const char *cfg_hash_hint(const char *name, const char *value, char *buf, size_t cap);

/* Copies src into dst[cap], cut short if need be; always terminated. */
void cfg_copy_str(char *dst, size_t cap, const char *src);

/* The directory of path (relative paths in a config are taken from it). */
void cfg_dir_of(const char *path, char *dir, size_t cap);

/* A whole number (strtoll, nothing after it): 0, or -1. */
int cfg_parse_long(const char *v, long long *out);

/* Index of (section, name) in CFG_KEYS, or -1. */
int cfg_find_key(const char *section, const char *name);

/* [init] W<l> / b<l> as cfg_text_new names and writes it. */
int cfg_init_fits_stored_line(int layer, int is_bias, const char *val, char *why, size_t wcap);

/* [init] keys: W<l> or b<l>, l from 1 to NET_MAX_LAYERS. */
int cfg_init_key(const char *name, int *layer, int *is_bias);

#endif
