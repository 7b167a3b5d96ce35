#!/usr/bin/env python3
"""scikit-learn on the folds `housenet cv` uses (tests/check_cv.py's port of
data_fold_parts), so that its figures stand beside housenet's: least
squares, ridge (alpha 1 on standardised features) and an MLP of the
config's hidden widths, each fitted on a fold's training and validation
rows and measured on its test rows; mean and sd (n - 1) of R^2 and RMSE.
Numeric features only, the config's log_features and target_transform
applied as housenet applies them.

usage: /usr/bin/python3 tools/cv_sklearn.py CONFIG [--folds K] [--repeats R] [--seed S]
"""
import argparse
import configparser
import csv
import os
import sys

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from check_cv import fold_parts  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
    cp.read(a.config)
    d = cp["data"]
    feats = [f.strip() for f in d["features"].replace("\n", " ").split(",") if f.strip()]
    logs = [f.strip() for f in d.get("log_features", "").split(",") if f.strip()]
    target, tt = d["target"], d.get("target_transform", "none")
    seed = a.seed if a.seed is not None else int(cp["train"].get("seed", "1"))
    hidden = tuple(int(h) for h in cp["model"].get("hidden", "2").split(",") if h.strip())
    act = {"sigmoid": "logistic"}.get(cp["model"].get("activation", "sigmoid"), cp["model"].get("activation"))
    path = os.path.join(os.path.dirname(a.config), d["path"])
    rows = list(csv.DictReader(open(path, newline="")))
    X = np.array([[float(r[f]) for f in feats] for r in rows])
    y = np.array([float(r[target]) for r in rows])
    for j, f in enumerate(feats):
        if f in logs:
            X[:, j] = np.log1p(X[:, j])
    fwd = {"none": lambda v: v, "log": np.log, "log1p": np.log1p}[tt]
    back = {"none": lambda v: v, "log": lambda v: np.exp(np.clip(v, -700, 700)),
            "log1p": lambda v: np.expm1(np.clip(v, -700, 700))}[tt]
    models = {
        "least squares": lambda: make_pipeline(StandardScaler(), LinearRegression()),
        "ridge (alpha 1)": lambda: make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
        "MLP%s %s" % (hidden, act): lambda: make_pipeline(StandardScaler(), MLPRegressor(
            hidden, activation=act, max_iter=2000, early_stopping=True, random_state=seed)),
    }
    val_frac = float(d.get("validation_fraction", "0.2"))
    res = {k: ([], []) for k in models}
    for rep in range(a.repeats):
        for fold in range(a.folds):
            part = fold_parts(len(y), a.folds, rep, fold, val_frac, seed)
            fit, test = part != 2, part == 2
            for name, make in models.items():
                m = make()
                ys = fwd(y[fit])
                mu, sd = ys.mean(), ys.std()
                m.fit(X[fit], (ys - mu) / sd)
                h = back(m.predict(X[test]) * sd + mu)
                e = y[test] - h
                res[name][0].append(1 - np.sum(e * e) / np.sum((y[test] - y[test].mean()) ** 2))
                res[name][1].append(np.sqrt(np.mean(e * e)))
    print("%s: scikit-learn, %d folds x %d repeats (seed %d), the folds of housenet cv" %
          (a.config, a.folds, a.repeats, seed))
    for name, (r2, rmse) in res.items():
        print("%-28s R^2 %.4f +- %.4f   RMSE %.0f +- %.0f" % (name, np.mean(r2), np.std(r2, ddof=1),
                                                           np.mean(rmse), np.std(rmse, ddof=1)))


if __name__ == "__main__":
    main()
