/* ckptwalk: the walker of the checkpoint module (checkpoint.c, private to
 * it): one depth-first pass over an HDF5 file in a fixed order that gives
 * the content checksum and, for `inspect`, the listing. */
#ifndef HOUSENET_CKPTWALK_H
#define HOUSENET_CKPTWALK_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define CKPT_OBJ_MAX 256 /* longest object path the module builds or walks */

/* A dataset transfer property list with a small conversion buffer (close
 * with H5Pclose); H5I_INVALID_HID when HDF5 fails. */
hid_t ckpt_xfer_new(void);

/* Walks open file f from "/" in checksum order (checkpoint.c's header):
 * *hash gets the content checksum. With out, also prints every object,
 * attribute and value, then the /config text. path names f in messages.
 * E_HDF5 or E_PARSE (a damaged layout). */
int ckpt_walk(hid_t f, const char *path, FILE *out, uint64_t *hash, Err *err);

#endif
