#!/usr/bin/env python3
"""Independent check of `housenet evaluate` and `housenet predict`.

Recomputes everything from model.h5 and the data with numpy alone: the
seeded split (a port of src/rng.c and data_split), the network's forward
pass, the metrics, the training-mean baseline and least squares (numpy's
lstsq on the raw features and an intercept), then compares with what the
program printed. Run by ctest; exits non-zero on any mismatch.

usage: check_evaluate.py HOUSENET MODEL.h5 WORKDIR
"""
import configparser
import csv
import io
import json
import os
import subprocess
import sys

import h5py
import numpy as np

MASK = (1 << 64) - 1
RTOL = 1e-9


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Rng:
    """splitmix64 streams as in src/rng.c."""

    def __init__(self, seed, stream):
        self.s = mix64(seed ^ mix64((stream + 0x9E3779B97F4A7C15) & MASK))

    def u64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        return mix64(self.s)

    def below(self, n):
        x = self.u64()
        m = x * n
        if (m & MASK) < n:
            t = ((1 << 64) - n) % n
            while (m & MASK) < t:
                x = self.u64()
                m = x * n
        return m >> 64


def split(n, val_frac, test_frac, seed):
    """0 = train, 1 = validation, 2 = test, as data_split does."""
    perm = list(range(n))
    r = Rng(seed, 2)  # RNG_STREAM_SPLIT
    for i in range(n, 1, -1):
        j = r.below(i)
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    nval = int(np.floor(n * val_frac + 0.5))
    ntest = int(np.floor(n * test_frac + 0.5))
    part = np.zeros(n, dtype=int)
    part[perm[:nval]] = 1
    part[perm[nval:nval + ntest]] = 2
    return part


ACT = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


class Model:
    def __init__(self, path):
        f = h5py.File(path, "r")
        acts = [a.decode() if isinstance(a, bytes) else a for a in f["model"].attrs["activations"]]
        self.layers = [(f["model/W%d" % (l + 1)][()], f["model/b%d" % (l + 1)][()], ACT[acts[l]])
                       for l in range(len(acts))]
        self.x_shift = f["norm/x_shift"][()]
        self.x_scale = f["norm/x_scale"][()]
        self.y_shift = float(f["norm"].attrs["y_shift"])
        self.y_scale = float(f["norm"].attrs["y_scale"])
        self.features = list(f["norm/feature_names"].asstr()[()])
        self.target = f["norm"].attrs["target_name"]
        cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
        cp.read_string(f["config"].asstr()[()])
        self.config = cp
        data = cp["data"]
        self.transform = data.get("target_transform", "none")
        logs = [c.strip() for c in data.get("log_features", "").split(",") if c.strip()]
        self.log = np.array([c in logs for c in self.features])

    def inputs(self, x_raw):
        """The features as the network's normalisation sees them: log1p where [data] log_features says."""
        return np.where(self.log, np.log1p(np.where(self.log, x_raw, 0.0)), x_raw)

    def back(self, v):
        """Out of the target transform's space (docs/data.md: clipped to +-700)."""
        if self.transform == "none":
            return v
        v = np.clip(v, -700.0, 700.0)
        return np.exp(v) if self.transform == "log" else np.expm1(v)

    def predict(self, x_raw):
        a = (self.inputs(x_raw) - self.x_shift) / self.x_scale
        for W, b, act in self.layers:
            a = act(a @ W.T + b)
        return self.back(a[:, 0] * self.y_scale + self.y_shift)


def metrics(y, h):
    e = y - h
    nz = y != 0
    return {
        "rmse": float(np.sqrt(np.mean(e * e))),
        "mae": float(np.mean(np.abs(e))),
        "mape": float(100 * np.mean(np.abs(e[nz]) / np.abs(y[nz]))),
        "r2": float(1 - np.sum(e * e) / np.sum((y - y.mean()) ** 2)),
        "rows": int(len(y)),
    }


failures = []


def close(name, got, want, rtol=RTOL):
    if not abs(got - want) <= rtol * max(1.0, abs(want)):
        failures.append("%s: housenet %.17g, numpy %.17g" % (name, got, want))


def compare(label, got, want):
    for k in ("rmse", "mae", "mape", "r2"):
        close("%s %s" % (label, k), got[k], want[k])
    if got["rows"] != want["rows"]:
        failures.append("%s rows: %d vs %d" % (label, got["rows"], want["rows"]))


def expected(model, X, y, Xtrain, ytrain):
    mean = np.full(len(y), ytrain.mean())
    # least squares in the target's units on the features the network sees
    A = np.column_stack([np.ones(len(Xtrain)), model.inputs(Xtrain)])
    beta, *_ = np.linalg.lstsq(A, ytrain, rcond=None)
    ols = np.column_stack([np.ones(len(X)), model.inputs(X)]) @ beta
    return metrics(y, model.predict(X)), metrics(y, mean), metrics(y, ols)


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("FAIL: %s: status %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def main():
    housenet, model_path, work = sys.argv[1:4]
    model = Model(model_path)
    data = model.config["data"]
    rows = list(csv.DictReader(open(data["path"], newline="")))
    X = np.array([[float(r[c]) for c in model.features] for r in rows])
    y = np.array([float(r[model.target]) for r in rows])
    part = split(len(rows), float(data["validation_fraction"]), float(data["test_fraction"]),
                 int(model.config["train"]["seed"]))
    tr, te = part == 0, part == 2

    # 1. evaluate on the model's own test split
    got = json.loads(run([housenet, "evaluate", "--model", model_path, "--json"]).stdout)
    want = expected(model, X[te], y[te], X[tr], y[tr])
    compare("test split: model", got, want[0])
    compare("test split: mean", got["baselines"]["mean"], want[1])
    compare("test split: ols", got["baselines"]["ols"], want[2])

    # 2. evaluate on a file of its own: 300 rows, columns in another order, a text column
    pick = np.arange(0, len(rows), 9)[:300]
    path = os.path.join(work, "eval_rows.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["note", model.target] + model.features[::-1])
        for i in pick:
            w.writerow(["row, %d" % i, rows[i][model.target]] + [rows[i][c] for c in model.features[::-1]])
    got = json.loads(run([housenet, "evaluate", "--model", model_path, path, "--json"]).stdout)
    want = expected(model, X[pick], y[pick], X[tr], y[tr])
    compare("DATA.csv: model", got, want[0])
    compare("DATA.csv: mean", got["baselines"]["mean"], want[1])
    compare("DATA.csv: ols", got["baselines"]["ols"], want[2])

    # 3. predict: every input column back unchanged, then predicted_<target>
    path = os.path.join(work, "predict_in.csv")
    out = os.path.join(work, "predict_out.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", 'quoted "name"'] + model.features)
        for k, i in enumerate(pick[:50]):
            w.writerow([k, "house %d, line\nbreak" % i] + [rows[i][c] for c in model.features])
    p = run([housenet, "predict", "--model", model_path, path, "-o", out])
    back = list(csv.reader(open(out, newline="")))
    src = list(csv.reader(open(path, newline="")))
    if back[0] != src[0] + ["predicted_" + model.target]:
        failures.append("predict header: %r" % back[0])
    if [r[:-1] for r in back[1:]] != src[1:]:
        failures.append("predict: the input cells did not come back unchanged")
    pred = np.array([float(r[-1]) for r in back[1:]])
    want = model.predict(X[pick[:50]])
    for k in range(len(want)):
        close("predict row %d" % k, pred[k], want[k], 1e-9)  # printed with 10 digits
    if p.stderr:
        failures.append("predict warned on training-range inputs: %s" % p.stderr)

    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("ok: evaluate (test split and DATA.csv, model and both baselines) and predict match numpy")


if __name__ == "__main__":
    main()
