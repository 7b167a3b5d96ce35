#!/usr/bin/python3
"""Damaged and hand-edited HDF5 files through every housenet command that
reads one.

A tiny run writes model.h5, curves.h5 and checkpoints, and `housenet convert`
a data table; then, for every dataset and attribute of each file, one change
at a time as a user could make in h5py or HDFView: delete it, change its
type (int, float, variable and fixed length strings, compound, a variable
length sequence), its shape (scalar, 1-D, 2-D, longer, shorter, empty),
its values (NaN, inf, huge, zero, negative), or swap a dataset for a group.
Each damaged file goes through the command that reads it, which must:
not crash (signal, sanitizer report), not hang, exit 1 with exactly one
line on stderr naming the file and the object -- unless the change leaves
a file the layout allows (listed in TOLERATED), which may then be read.
Checkpoints are tried with the checksum left stale (--resume of the run
directory must skip the file with a warning and take the previous one)
and recomputed (the reader behind the checksum must refuse it clearly).

usage: h5_damage.py HOUSENET SOURCE_DIR [-v]
Prints one line per failed check and a summary; exit status 1 on any failure.
"""
import concurrent.futures
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
VERBOSE = "-v" in sys.argv[3:]
TIMEOUT = 30
SANITIZER = re.compile(r"Sanitizer|runtime error:|LeakSanitizer|AddressSanitizer")
FNV_PRIME, MASK = 0x100000001B3, (1 << 64) - 1

failures = []
counts = {}


def run(args, cwd):
    """(exit status, stderr) of housenet ARGS; a hang is status None."""
    try:
        p = subprocess.run([BIN] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "(hung for %d s)" % TIMEOUT
    return p.returncode, p.stderr.decode("utf-8", "replace")


# ---- mutations ---------------------------------------------------------------

def values_of(o):
    v = o[()]
    if isinstance(o, h5py.Dataset) and o.dtype.kind == "O":
        v = o.asstr()[()]
    return np.asarray(v)


def as_kind(v, kind):
    """v (a numpy array) converted to kind: i, f, vs, fs, compound, vlen."""
    shape = v.shape
    flat = v.reshape(-1)
    if kind == "i":
        if flat.dtype.kind in "fiu":
            return np.nan_to_num(flat.astype("f8")).astype("i8").reshape(shape)
        return np.arange(flat.size, dtype="i8").reshape(shape)
    if kind == "f":
        if flat.dtype.kind in "fiu":
            return flat.astype("f8").reshape(shape)
        return np.linspace(0.5, 1.5, flat.size).reshape(shape)
    if kind == "vs":
        return np.array([str(x) for x in flat], dtype=h5py.string_dtype()).reshape(shape)
    if kind == "fs":
        b = [str(x).encode() for x in flat]
        return np.array(b, dtype="S%d" % max([1] + [len(x) for x in b])).reshape(shape)
    if kind == "compound":
        c = np.zeros(flat.size, dtype=[("a", "f8"), ("b", "i4")])
        return c.reshape(shape)
    raise ValueError(kind)


def reshape_to(v, how):
    flat = v.reshape(-1)
    if how == "scalar":
        return flat[0] if flat.size else np.zeros((), v.dtype)[()]
    if how == "1d":
        return flat if v.ndim != 1 else flat[:1]
    if how == "2d":
        return flat.reshape(1, -1) if v.ndim != 2 else flat.reshape(-1, 1)
    if how == "longer":
        return np.concatenate([flat, flat[:1] if flat.size else np.zeros(1, v.dtype)]) if v.ndim <= 1 \
            else np.concatenate([v, v[:1]])
    if how == "shorter":
        return flat[:-1] if v.ndim <= 1 else v[:-1]
    if how == "empty":
        return flat[:0]
    raise ValueError(how)


def with_value(v, what):
    """v with its first element set to what (nan, inf, huge, zero, neg)."""
    v = np.array(v, copy=True)
    flat = v.reshape(-1)
    if flat.size == 0:
        return None
    if flat.dtype.kind == "f":
        flat[0] = {"nan": np.nan, "inf": np.inf, "huge": 1e308, "zero": 0.0, "neg": -1.0}[what]
    elif flat.dtype.kind == "i":
        if what in ("nan", "inf"):
            return None
        flat[0] = {"huge": 2**62, "zero": 0, "neg": -1}[what]
    elif flat.dtype.kind == "u":
        if what in ("nan", "inf", "neg"):
            return None
        flat[0] = {"huge": 2**63, "zero": 0}[what]
    else:
        return None
    return v


MUTATIONS = (["delete", "group", "type_i", "type_f", "type_vs", "type_fs", "type_compound", "type_vlen",
              "shape_scalar", "shape_1d", "shape_2d", "shape_longer", "shape_shorter", "shape_empty"]
             + ["value_" + w for w in ("nan", "inf", "huge", "zero", "neg")])


def mutate(path, obj, attr, mut):
    """Applies mut to dataset obj (attr None) or attribute obj@attr of file
    path; False when mut does not apply (e.g. NaN into a string)."""
    with h5py.File(path, "r+") as f:
        holder = f[obj]
        v = values_of(holder) if attr is None else np.asarray(holder.attrs[attr])
        if v.dtype.kind in "OU":
            v = np.asarray(v, dtype=h5py.string_dtype())

        def put(new):
            if attr is None:
                parent, name = f[obj].parent, obj.rsplit("/", 1)[1]
                del parent[name]
                if isinstance(new, str) and new == "group":
                    parent.create_group(name)
                elif isinstance(new, tuple):  # (data, dtype)
                    parent.create_dataset(name, data=new[0], dtype=new[1])
                else:
                    parent[name] = new
            else:
                del holder.attrs[attr]
                if isinstance(new, tuple):
                    holder.attrs.create(attr, new[0], dtype=new[1])
                else:
                    holder.attrs[attr] = new

        if mut == "delete":
            if attr is None:
                del f[obj]
            else:
                del holder.attrs[attr]
        elif mut == "group":
            if attr is not None:
                return False
            put("group")
        elif mut.startswith("type_"):
            kind = mut[5:]
            if kind == "vlen":
                dt = h5py.vlen_dtype(np.dtype("f8"))
                flat = np.empty(max(v.size, 1), dtype=object)
                for i in range(flat.size):
                    flat[i] = np.arange(i % 3 + 1, dtype="f8")
                put((flat.reshape(v.shape) if v.size else flat[:0], dt))
            else:
                if (kind == "i" and v.dtype.kind in "iu") or (kind == "f" and v.dtype.kind == "f") or \
                        (kind == "vs" and v.dtype.kind == "O"):
                    return False
                put(as_kind(v, kind))
        elif mut.startswith("shape_") or mut.startswith("value_"):
            new = reshape_to(v, mut[6:]) if mut.startswith("shape_") else with_value(v, mut[6:])
            if new is None:
                return False
            new = np.asarray(new, dtype=v.dtype)
            if new.shape == v.shape and (v.dtype.kind == "O" or np.array_equal(new, v, equal_nan=True)):
                return False  # the same file
            put(new)
        else:
            raise ValueError(mut)
    return True


def objects(path):
    """[(obj, attr)] of every dataset (attr None) and attribute of path."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, o):
            out.extend(("/" + name, a) for a in o.attrs)
            if isinstance(o, h5py.Dataset):
                out.append(("/" + name, None))
        out.extend(("/", a) for a in f.attrs)
        f.visititems(visit)
    return out


def label(obj, attr):
    return "%s@%s" % (obj, attr) if attr else obj


def rechecksum(path):
    """Recomputes the checkpoint checksum as docs/formats.md documents it."""
    h = [0xCBF29CE484222325]

    def fold(b):
        x = h[0]
        for c in b:
            x = ((x ^ c) * FNV_PRIME) & MASK
        h[0] = x

    def values(v):
        a = np.asarray(v)
        if a.dtype.kind in "OUS":
            for s in a.reshape(-1):
                fold((s if isinstance(s, bytes) else str(s).encode()) + b"\0")
        else:
            fold(a.tobytes())

    def obj(p, o):
        fold(p.encode() + b"\0")
        if isinstance(o, h5py.Dataset):
            values(o[()] if o.dtype.kind != "O" else o.asstr()[()])
        for name in sorted(o.attrs):
            if p == "/" and name == "checksum":
                continue
            fold(name.encode() + b"\0")
            values(o.attrs[name])
    try:
        with h5py.File(path, "r+") as f:
            obj("/", f)
            f.visititems(lambda name, o: obj("/" + name, o))
            if "checksum" in f.attrs:
                f.attrs.create("checksum", h[0], dtype="u8")
    except Exception:  # a type h5py cannot hash the documented way: left stale
        pass


# ---- checks ------------------------------------------------------------------

def record(reader, what, problem):
    failures.append("%s: %s: %s" % (reader, what, problem))


def check(reader, what, rc, stderr, path, names, may_succeed):
    """Asserts the outcome of one damaged file; names: strings of which
    one must be in the message (the object)."""
    counts[reader] = counts.get(reader, 0) + 1
    lines = [l for l in stderr.splitlines() if l.strip()]
    if rc is None:
        return record(reader, what, "hung")
    if SANITIZER.search(stderr):
        return record(reader, what, "sanitizer report: " + " | ".join(lines[:6]))
    if rc < 0 or rc >= 128:
        return record(reader, what, "crashed (status %d): %s" % (rc, " | ".join(lines[-4:])))
    if rc == 0:
        if not may_succeed:
            record(reader, what, "exit 0: the damage was accepted" + (": " + " | ".join(lines) if lines else ""))
        return
    if rc != 1:
        return record(reader, what, "exit %d, expected 1: %s" % (rc, " | ".join(lines)))
    if len(lines) != 1:
        return record(reader, what, "%d lines on stderr: %s" % (len(lines), " | ".join(lines)))
    msg = lines[0]
    if not msg.startswith("housenet: ") or path not in msg:
        return record(reader, what, "message does not name the file: " + msg)
    if names and not may_succeed and not any(n in msg for n in names):
        return record(reader, what, "message names none of %s: %s" % (names, msg))
    if VERBOSE:
        print("ok  %-10s %-45s %s" % (reader, what, msg))


def names_for(obj, attr):
    """What a message about obj/attr may name: the attribute, or the
    object or its parent group (which holds one member fewer)."""
    if attr:
        return [attr, obj + ":"]
    return [obj, obj.rsplit("/", 1)[0] + ":", obj.rsplit("/", 1)[0] + "/"]


# ---- what a layout allows ----------------------------------------------------

PARAMS = re.compile(r"^/(model/[Wb]\d+|best/params|optim/state|rollback/values)$")


def tolerated(reader, obj, attr, mut):
    """True when the damaged file is still one the layout allows, or the
    damage is to something the command does not check (it may then
    succeed; a failure must still be one clear line)."""
    val = mut.startswith("value_")
    if reader.startswith("inspect"):
        return True  # a listing of whatever the file holds: only a crash or an unclear failure fails
    if attr and mut in ("shape_1d", "shape_2d"):
        return True  # one value as (1,) or (1, 1): the same value
    if obj == "/" and attr == "arithmetic":
        return True  # a record of how the parameters were computed; older files have none
    if (obj == "/config" and mut in ("shape_1d", "shape_2d")) or (obj.endswith("_names") and mut == "shape_2d"):
        return True  # the same strings, all of them, in another shape: read as they are
    if mut == "type_fs" and (reader != "resume" or obj.split("/")[1] in ("model", "norm", "config")):
        return True  # strings may be fixed length (/model, /norm, /config: one reader for every file)
    if reader in ("evaluate", "predict"):
        if val and (PARAMS.match(obj) or obj in ("/norm/x_shift", "/norm/x_scale") or attr in ("y_shift", "y_scale")):
            return mut in ("value_huge", "value_zero", "value_neg") and not (
                (obj == "/norm/x_scale" or attr == "y_scale") and mut != "value_huge")
        if obj.startswith("/split") or obj.startswith("/data"):
            # The split record is read by evaluate with the model's own data;
            # counts and hashes are not checked, row lists only for order and range.
            return val or mut in ("shape_1d", "shape_shorter", "shape_longer", "shape_empty") and obj.startswith("/split/") \
                or (attr == "rows_filtered" and mut == "delete")
    if reader == "curves":
        if obj.startswith("/curves/") and obj != "/curves/epoch" and mut == "delete":
            return True  # a column fewer
        if val and attr not in ("version", "format"):
            return True  # any number is a curve value
    if reader == "table":
        if (val and mut != "value_nan" or mut == "type_i") and attr is None:
            return True  # data; integers are read exactly
        if obj == "/" and attr in ("format", "version", "source"):
            return True  # a table does not need them
        if obj.endswith("/Lot_Area"):
            return True  # a column the config does not read
    if reader == "resume":
        if obj.startswith("/curves/") and val:
            return True  # logged numbers
        if val and mut in ("value_huge", "value_zero", "value_neg") and (PARAMS.match(obj) or obj.startswith("/norm")):
            return not ((obj == "/norm/x_scale" or attr == "y_scale") and mut != "value_huge")
        if obj in ("/state", "/rollback", "/best", "/data", "/optim") and val:
            return True  # values a run may reach; the data identity is compared
    return False


# ---- the readers -------------------------------------------------------------

def setup(work):
    ini = os.path.join(SRC, "configs", "ames.ini")
    sets = ["--set", "model.hidden=2", "--set", "train.epochs=2", "--set", "train.batch_size=500",
            "--set", "run.checkpoint_every=1", "--set", "run.keep_checkpoints=10",
            "--set", "run.log_every_steps=2", "--quiet"]
    rc, err = run(["train", ini, "--set", "run.dir=" + os.path.join(work, "run")] + sets, cwd=os.path.join(SRC, "configs"))
    if rc != 0:
        sys.exit("setup: train: " + err)
    with open(os.path.join(SRC, "datasets", "ames_housing.csv")) as f, \
            open(os.path.join(work, "small.csv"), "w", newline="") as g:
        r = csv.DictReader(f)
        cols = ["Gr_Liv_Area", "TotRms_AbvGrd", "Sale_Price", "Lot_Area"]
        w = csv.writer(g)
        w.writerow(cols)
        for i, row in zip(range(400), r):
            w.writerow([row[c] for c in cols])
    rc, err = run(["convert", os.path.join(work, "small.csv"), os.path.join(work, "table.h5"), "--quiet"], cwd=work)
    if rc != 0:
        sys.exit("setup: convert: " + err)
    with open(os.path.join(work, "input.csv"), "w") as f:
        f.write("Gr_Liv_Area,TotRms_AbvGrd\n1500,6\n2200,8\n900,4\n")
    # a model with categorical features: its /categories group
    rc, err = run(["train", ini, "--set", "run.dir=" + os.path.join(work, "runcat"),
                   "--set", "data.features=Gr_Liv_Area,Bldg_Type,MS_SubClass", "--set", "data.min_category_count=20"]
                  + sets, cwd=os.path.join(SRC, "configs"))
    if rc != 0:
        sys.exit("setup: train (categorical): " + err)
    with open(os.path.join(work, "input_cat.csv"), "w") as f:
        f.write("Gr_Liv_Area,Bldg_Type,MS_SubClass\n1500,OneFam,Two_Story_1946_and_Newer\n900,Duplex,Split_Foyer\n")
    return ini, sets


FAMILIES = [[m for m in MUTATIONS if m.startswith(p)] for p in ("delete", "group", "type_", "shape_", "value_")]


def cases(path):
    """The (obj, attr, mut) to try on path: with H5_DAMAGE_ALL=1 every
    mutation of every object; else, to keep the run short, every object
    gets a deletion, a dataset a swap for a group, and one mutation of
    each of type, shape and value, rotating through them object by object
    (so that every mutation meets many objects)."""
    out = []
    everything = os.environ.get("H5_DAMAGE_ALL") == "1"
    for k, (obj, attr) in enumerate(objects(path)):
        for fam in FAMILIES:
            for mut in (fam if everything else [fam[k % len(fam)]]):
                if not (mut == "group" and attr is not None):
                    out.append((obj, attr, mut))
    return out


# Damage that each command must refuse whatever the sample above picks: the
# defects this test was written for (exit 0 with the damage accepted).
REGRESSIONS = {
    "model.h5": [("/norm", "y_scale", "value_zero"), ("/norm/x_scale", None, "value_neg"),
                 ("/norm/x_shift", None, "value_nan"), ("/model/b1", None, "value_inf"),
                 ("/split", "validation_fraction", "value_nan"), ("/split", "test_fraction", "value_neg"),
                 ("/split/val_rows", None, "value_huge")],
    "ckpt": [("/optim/state", None, "value_nan"), ("/best/params", None, "value_inf"),
             ("/norm", "y_scale", "value_neg"), ("/state", "lr", "value_nan"), ("/state", "epoch", "value_neg"),
             ("/norm/feature_names", None, "delete"), ("/norm", "target_name", "type_f"),
             ("/model/W1", None, "type_vlen")],
}


def one(work, src, n, obj, attr, mut, runs, fix=None, must=False):
    """Copies src, applies the mutation, runs every (reader, args, may)."""
    d = os.path.join(work, "m%05d-%s" % (n, mut))
    os.mkdir(d)
    dst = os.path.join(d, os.path.basename(src))
    shutil.copy(src, dst)
    try:
        if not mutate(dst, obj, attr, mut):
            shutil.rmtree(d)
            return
    except (TypeError, ValueError, OSError, KeyError) as e:  # h5py cannot make it: not a case
        if VERBOSE:
            print("skip %s %s: %s" % (label(obj, attr), mut, e))
        shutil.rmtree(d)
        return
    if fix:
        fix(dst)
    what = "%s %s" % (label(obj, attr), mut)
    for reader, args in runs(dst, d):
        rc, err = run(args, cwd=os.path.join(SRC, "configs"))
        # a listing shows whatever the file holds: "must" is for the commands that use it
        may = (not must or reader.startswith("inspect")) and tolerated(reader, obj, attr, mut)
        check(reader, what, rc, err, dst, names_for(obj, attr), may)
    shutil.rmtree(d)


def main():
    work = tempfile.mkdtemp(prefix="housenet-h5damage-")
    try:
        ini, sets = setup(work)
        rundir = os.path.join(work, "run")
        ckdir = os.path.join(rundir, "checkpoints")
        ckpts = sorted(os.listdir(ckdir))
        jobs = []

        def model_runs(p, d):
            runs = [("evaluate", ["evaluate", "--model", p]),
                    ("predict", ["predict", "--model", p, os.path.join(work, "input.csv"), "-o", os.path.join(d, "o.csv")])]
            if "type" in os.path.basename(d) or os.environ.get("H5_DAMAGE_ALL") == "1":
                runs.append(("inspect-model", ["inspect", p]))  # the listing reads every type
            return runs

        def cat_runs(p, d):
            return [("evaluate", ["evaluate", "--model", p]),
                    ("predict", ["predict", "--model", p, os.path.join(work, "input_cat.csv"), "-o",
                                 os.path.join(d, "o.csv")])]

        def curves_runs(p, d):
            # Each export reads the whole file: one of the three is enough.
            return [("curves", ["curves", "export", p, "--csv", "--events", "-o", os.path.join(d, "e.csv")])]

        def table_runs(p, d):
            return [("table", ["train", ini, "--set", "data.path=" + p, "--set", "run.dir=" + os.path.join(d, "r"),
                               "--dry-run"]),
                    ("inspect-table", ["inspect", p])]

        def ckpt_runs(p, d):
            return [("resume", ["train", ini] + sets + ["--set", "run.dir=" + os.path.join(d, "r"), "--resume", p])]

        for src, runs in ((os.path.join(rundir, "model.h5"), model_runs),
                          (os.path.join(rundir, "curves.h5"), curves_runs),
                          (os.path.join(work, "table.h5"), table_runs)):
            for obj, attr, mut in cases(src):
                jobs.append((src, obj, attr, mut, runs, None, False))
        catmodel = os.path.join(work, "runcat", "model.h5")
        for obj, attr, mut in cases(catmodel):
            if obj.startswith("/categories") or (obj == "/" and attr == "version"):
                jobs.append((catmodel, obj, attr, mut, cat_runs, None, False))
        for obj, attr, mut in REGRESSIONS["model.h5"]:
            jobs.append((os.path.join(rundir, "model.h5"), obj, attr, mut, model_runs, None, True))
        newest = os.path.join(ckdir, ckpts[-1])
        for obj, attr, mut in cases(newest):
            if not (obj == "/" and attr == "checksum"):
                jobs.append((newest, obj, attr, mut, ckpt_runs, rechecksum, False))
        for obj, attr, mut in REGRESSIONS["ckpt"]:
            jobs.append((newest, obj, attr, mut, ckpt_runs, rechecksum, True))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            futs = [ex.submit(one, work, src, n, obj, attr, mut, runs, fix, must)
                    for n, (src, obj, attr, mut, runs, fix, must) in enumerate(jobs)]
            for fu in futs:
                fu.result()
        stale_checksum(work, ini, sets, rundir, ckpts)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(counts.values())
    print("h5_damage: %d runs (%s); %d failed" % (total, ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                                                  len(failures)))
    for f in failures:
        print("FAIL - " + f)
    sys.exit(1 if failures else 0)


def stale_checksum(work, ini, sets, rundir, ckpts):
    """--resume of a run directory whose newest checkpoint was edited (the
    checksum no longer matches) skips it with one warning, renames it
    *.damaged and continues from the previous one."""
    for k, (obj, attr, mut) in enumerate([("/model/W1", None, "value_nan"), ("/state", "epoch", "type_f"),
                                          ("/config", None, "delete"), ("/", "format", "delete")]):
        d = os.path.join(work, "stale%d" % k)
        shutil.copytree(rundir, d)
        ck = os.path.join(d, "checkpoints", ckpts[-1])
        mutate(ck, obj, attr, mut)
        rc, err = run(["train", ini] + sets + ["--set", "run.dir=" + d, "--set", "train.epochs=3", "--resume"],
                      cwd=os.path.join(SRC, "configs"))
        what = "%s %s (stale checksum)" % (label(obj, attr), mut)
        counts["resume-fallback"] = counts.get("resume-fallback", 0) + 1
        lines = [l for l in err.splitlines() if l.strip()]
        if rc != 0 or SANITIZER.search(err):
            record("resume-fallback", what, "exit %s: %s" % (rc, " | ".join(lines)))
        elif not any("warning" in l and ck in l and "trying the previous checkpoint" in l for l in lines):
            record("resume-fallback", what, "no warning naming %s: %s" % (ck, " | ".join(lines)))
        elif not os.path.exists(ck + ".damaged"):
            record("resume-fallback", what, "not renamed to .damaged")


if __name__ == "__main__":
    main()
