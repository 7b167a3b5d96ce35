/* configkeys: what io/config.c, configkeys.c and configread.c share
 * (private to them): the table of config keys -- for each key its section,
 * name, type, place in Config, default, range, choices, whether a resume
 * may change it, and its help text -- and the setters the reader calls. */
#ifndef HOUSENET_CONFIGKEYS_H
#define HOUSENET_CONFIGKEYS_H

#include <stddef.h>

#include "config.h"

typedef enum { T_INT, T_U64, T_DOUBLE, T_BOOL, T_STR, T_PATH, T_ENUM, T_LIST, T_INTLIST } KeyType;

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
} KeyDef;

extern const KeyDef CFG_KEYS[];
extern const int CFG_NKEYS;

#define CFG_KEYS_MAX (sizeof ((Config *)0)->key_line / sizeof(int)) /* bound of CFG_NKEYS */

/* Sets (section, name) = value; where names the origin for messages
 * ("file:line" or "--set"). */
int cfg_assign(Config *c, const char *section, const char *name, const char *value,
               const char *base_dir, const char *where, int line, Err *err);

/* Copies src into dst[cap], cut short if need be; always terminated. */
void cfg_copy_str(char *dst, size_t cap, const char *src);

/* The directory of path (relative paths in a config are taken from it). */
void cfg_dir_of(const char *path, char *dir, size_t cap);

/* Index of (section, name) in CFG_KEYS, or -1. */
int cfg_find_key(const char *section, const char *name);

/* [init] W<l> / b<l> as cfg_text_new names and writes it. */
int cfg_init_fits_stored_line(int layer, int is_bias, const char *val, char *why, size_t wcap);

/* [init] keys: W<l> or b<l>, l from 1 to NET_MAX_LAYERS. */
int cfg_init_key(const char *name, int *layer, int *is_bias);

#endif
