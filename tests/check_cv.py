#!/usr/bin/env python3
"""Independent check of `housenet cv`.

Runs cv with --json, then recomputes with numpy alone: the folds (a port of
data_fold_parts over src/rng.c's streams), each fold's network output from
its model.h5, the metrics, and the three baselines on each fold's training
rows (the training mean, least squares, ridge with lambda 1 on standardised
features), the per-fold table and the mean and sd (n - 1) of every figure.
It also checks the JSON keys the command promises, that every row is a test
row exactly once per repeat, that validation rows come from the training
folds, and that `housenet evaluate` on a fold's run measures the same.

usage: check_cv.py HOUSENET CONFIG WORKDIR FOLDS REPEATS SEED [--set ...]...
"""
import csv
import json
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_evaluate import Model, Rng, metrics  # noqa: E402

RTOL = 1e-9
failures = []


def close(name, got, want, rtol=RTOL):
    if not (abs(got - want) <= rtol * max(1.0, abs(want))):
        failures.append("%s: housenet %.17g, numpy %.17g" % (name, got, want))


def shuffle(r, items):
    for i in range(len(items), 1, -1):
        j = r.below(i)
        items[i - 1], items[j] = items[j], items[i - 1]


def fold_parts(n, folds, repeat, fold, val_frac, seed):
    """0 train, 1 validation, 2 test, as data_fold_parts deals them."""
    perm = list(range(n))
    shuffle(Rng(seed, 4 | repeat << 32), perm)  # RNG_STREAM_FOLDS
    part = np.zeros(n, dtype=int)
    for i, row in enumerate(perm):
        part[row] = 2 if i % folds == fold else 0
    rest = [r for r in range(n) if part[r] == 0]
    nval = int(np.floor(len(rest) * val_frac + 0.5))
    shuffle(Rng(seed, 5 | repeat << 32 | fold << 8), rest)  # RNG_STREAM_FOLD_VAL
    part[rest[:nval]] = 1
    return part


def baselines(model, X, y, Xtr, ytr):
    Z, Ztr = model.inputs(X), model.inputs(Xtr)
    A = np.column_stack([np.ones(len(Ztr)), Ztr])
    beta, *_ = np.linalg.lstsq(A, ytr, rcond=None)
    ols = np.column_stack([np.ones(len(Z)), Z]) @ beta
    mu, sd = Ztr.mean(axis=0), Ztr.std(axis=0)
    S = (Ztr - mu) / sd
    w = np.linalg.solve(S.T @ S + 1.0 * np.eye(S.shape[1]), S.T @ (ytr - ytr.mean()))
    ridge = ytr.mean() + ((Z - mu) / sd) @ w
    return {"mean": metrics(y, np.full(len(y), ytr.mean())), "ols": metrics(y, ols), "ridge": metrics(y, ridge)}


def main():
    housenet, config, work = sys.argv[1:4]
    folds, repeats, seed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    run = os.path.join(work, "cvrun")
    args = [housenet, "cv", config, "--folds", str(folds), "--repeats", str(repeats), "--seed", str(seed),
            "--json", "--quiet", "--set", "run.dir=" + run] + sys.argv[7:]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("FAIL: %s: status %d: %s" % (" ".join(args), p.returncode, p.stderr))
    got = json.loads(p.stdout)
    want_keys = {"folds", "repeats", "rows", "r2", "rmse", "mae", "mape", "per_fold", "baselines"}
    if not want_keys <= set(got):
        failures.append("JSON keys: %s lack %s" % (sorted(got), sorted(want_keys - set(got))))
    if got["folds"] != folds or got["repeats"] != repeats or len(got["per_fold"]) != folds * repeats:
        failures.append("folds/repeats/per_fold: %r %r %d" % (got["folds"], got["repeats"], len(got["per_fold"])))
    if sorted(got["baselines"]) != ["mean", "ols", "ridge"]:
        failures.append("baselines: %s" % sorted(got["baselines"]))

    model = Model(os.path.join(got["per_fold"][0]["dir"], "model.h5"))
    rows = list(csv.DictReader(open(model.config["data"]["path"], newline="")))
    X = np.array([[float(r[c]) for c in model.features] for r in rows])
    y = np.array([float(r[model.target]) for r in rows])
    n = len(rows)
    if got["rows"] != n:
        failures.append("rows: %d, the file has %d" % (got["rows"], n))
    val_frac = float(model.config["data"]["validation_fraction"])
    table = list(csv.DictReader(open(os.path.join(run, "cv", "folds.csv"), newline="")))
    per = {k: [] for k in ("model", "mean", "ols", "ridge")}
    tested = np.zeros((repeats, n), dtype=int)
    for i, pf in enumerate(got["per_fold"]):
        rep, fold = pf["repeat"] - 1, pf["fold"] - 1
        if (rep, fold) != (i // folds, i % folds):
            failures.append("per_fold %d is repeat %d fold %d" % (i, rep + 1, fold + 1))
        m = Model(os.path.join(pf["dir"], "model.h5"))
        f = h5py.File(os.path.join(pf["dir"], "model.h5"), "r")
        test, val = f["split/test_rows"][()], f["split/val_rows"][()]
        part = fold_parts(n, folds, rep, fold, val_frac, seed)
        if list(test) != list(np.flatnonzero(part == 2)) or list(val) != list(np.flatnonzero(part == 1)):
            failures.append("repeat %d fold %d: the recorded rows are not data_fold_parts'" % (rep + 1, fold + 1))
        tested[rep, test] += 1
        tr = part == 0
        want = {"model": metrics(y[test], m.predict(X[test]))}
        want.update(baselines(m, X[test], y[test], X[tr], y[tr]))
        for k in ("rmse", "mae", "mape", "r2"):
            close("fold %d %s" % (i + 1, k), pf[k], want["model"][k])
            for who in per:
                close("folds.csv row %d %s_%s" % (i + 1, who, k), float(table[i]["%s_%s" % (who, k)]), want[who][k])
        for who in per:
            per[who].append(want[who])
        ev = json.loads(subprocess.run([housenet, "evaluate", "--model", os.path.join(pf["dir"], "model.h5"),
                                        "--json"], capture_output=True, text=True, check=True).stdout)
        close("evaluate on fold %d r2" % (i + 1), ev["r2"], pf["r2"], 0.0)
        close("evaluate on fold %d ridge r2" % (i + 1), ev["baselines"]["ridge"]["r2"], want["ridge"]["r2"])
    if not (tested == 1).all():
        failures.append("a row is a test row other than once per repeat")
    for who in per:
        for k in ("rmse", "mae", "mape", "r2"):
            v = np.array([w[k] for w in per[who]])
            at = got if who == "model" else got["baselines"][who]
            close("%s %s mean" % (who, k), at[k]["mean"], v.mean())
            close("%s %s sd" % (who, k), at[k]["sd"], v.std(ddof=1) if len(v) > 1 else 0.0, 1e-7)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("ok: cv's folds, per-fold figures, baselines, summary and evaluate on a fold match numpy "
          "(R^2 %.4f +- %.4f, least squares %.4f)" % (got["r2"]["mean"], got["r2"]["sd"],
                                                     got["baselines"]["ols"]["r2"]["mean"]))


if __name__ == "__main__":
    main()
