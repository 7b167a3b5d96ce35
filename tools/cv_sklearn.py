#!/usr/bin/env python3
"""scikit-learn on the folds `housenet cv` uses (tests/check_cv.py's port of
data_fold_parts), so that its figures stand beside housenet's: least
squares, ridge (alpha 1 on standardised features) and an MLP of the
config's hidden widths, each fitted on a fold's training and validation
rows and measured on its test rows; mean and sd (n - 1) of R^2 and RMSE.
Categorical features (those [data] categorical lists, and those whose
every cell is text) one-hot encoded with levels seen fewer than
min_category_count times grouped (OneHotEncoder's min_frequency) and
unknown levels as zeros; missing cells (the config's na_values, default
pandas') as a "missing" level for categorical features and the training
mean for numeric ones; the config's log_features and target_transform
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
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

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
    na = set(t.strip() for t in d.get("na_values", "NA, N/A, n/a, NaN, nan, -NaN, -nan, null, NULL, None, <NA>, "
                                                  "#N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, 1.#IND, 1.#QNAN").split(","))
    listed = [f.strip() for f in d.get("categorical", "").replace("\n", " ").split(",") if f.strip()]

    def number(v):
        try:
            return float(v)
        except ValueError:
            return None
    cats = [f for f in feats if f in listed or all(number(r[f].strip()) is None for r in rows
                                                   if r[f].strip() and r[f].strip() not in na)]
    nums = [f for f in feats if f not in cats]
    X = np.empty((len(rows), len(feats)), dtype=object)
    for j, f in enumerate(feats):
        for i, r in enumerate(rows):
            v = r[f].strip()
            miss = not v or v in na
            X[i, j] = ("(missing)" if miss else v) if f in cats else (np.nan if miss else float(v))
    y = np.array([float(r[target]) for r in rows])
    for j, f in enumerate(feats):
        if f in logs:
            X[:, j] = np.log1p(X[:, j].astype(float))
    fwd = {"none": lambda v: v, "log": np.log, "log1p": np.log1p}[tt]
    back = {"none": lambda v: v, "log": lambda v: np.exp(np.clip(v, -700, 700)),
            "log1p": lambda v: np.expm1(np.clip(v, -700, 700))}[tt]
    mincount = int(d.get("min_category_count", "1"))
    ci = [feats.index(f) for f in cats]
    ni = [feats.index(f) for f in nums]

    def prep():
        return ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ni),
            ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist" if mincount > 1 else "ignore",
                                  min_frequency=mincount if mincount > 1 else None, sparse_output=False), ci)])
    models = {
        "least squares": lambda: make_pipeline(prep(), LinearRegression()),
        "ridge (alpha 1)": lambda: make_pipeline(prep(), Ridge(alpha=1.0)),
        "MLP%s %s" % (hidden, act): lambda: make_pipeline(prep(), MLPRegressor(
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
