#!/usr/bin/python3
"""Exits non-zero, naming the first difference, unless run directory RUN
holds the same bytes as REF: model.h5 and best.h5 parameters, the loss
curves and events of curves.h5 (the timing columns aside), and the newest
checkpoint's name, parameters, optimizer state, best parameters and
training state (its epoch_seconds aside).
usage: mpi_same.py REF RUN"""
import glob
import os
import sys

import h5py

TIMING = {"samples_per_s", "wall_time_s", "epoch_seconds"}


def same_group(a, b, what):
    for k in a:
        if k in TIMING:
            continue
        if isinstance(a[k], h5py.Group):
            same_group(a[k], b[k], what + "/" + k)
        elif a[k].dtype.kind == "O":  # strings: compared as values
            if list(a[k][()]) != list(b[k][()]):
                sys.exit("%s/%s differs: %s, %s" % (what, k, list(a[k][()])[:4], list(b[k][()])[:4]))
        elif a[k][()].tobytes() != b[k][()].tobytes():
            sys.exit("%s/%s differs" % (what, k))
    for k, v in a.attrs.items():
        if k not in TIMING and str(v) != str(b.attrs.get(k)):
            sys.exit("%s attribute %s differs: %s, %s" % (what, k, v, b.attrs.get(k)))


def newest(run):
    c = sorted(glob.glob(run + "/checkpoints/ckpt-*.h5"))
    if not c:
        sys.exit(run + ": no checkpoint")
    return c[-1]


ref, run = sys.argv[1], sys.argv[2]
for name in ("model.h5", "best.h5"):
    if os.path.exists(ref + "/" + name) or os.path.exists(run + "/" + name):
        with h5py.File(ref + "/" + name, "r") as a, h5py.File(run + "/" + name, "r") as b:
            same_group(a["model"], b["model"], name + ":/model")
with h5py.File(ref + "/curves.h5", "r") as a, h5py.File(run + "/curves.h5", "r") as b:
    for g in ("curves", "events"):
        same_group(a[g], b[g], "curves.h5:/" + g)
ca, cb = newest(ref), newest(run)
if os.path.basename(ca) != os.path.basename(cb):
    sys.exit("newest checkpoint %s, reference's %s" % (os.path.basename(cb), os.path.basename(ca)))
with h5py.File(ca, "r") as a, h5py.File(cb, "r") as b:
    for g in ("model", "optim", "best", "state"):
        if g in a:
            same_group(a[g], b[g], os.path.basename(ca) + ":/" + g)
