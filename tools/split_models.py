#!/usr/bin/env python3
"""split_models: what other kinds of model reach on a run's own split.

A model file records the rows of its validation and test splits; the
training rows are the others. This fits a few scikit-learn models on the
same features and training rows and prints their R^2 on the validation
and test rows, so that a test R^2 can be read against what the features
allow on that split, not only against least squares:

    tools/split_models.py runs/ames/model.h5 datasets/ames_housing.csv

DATA must be the CSV the run was trained on, with no rows left out by
[data] filter or missing values (the split's row numbers count the rows
kept). Needs python3-h5py, python3-numpy and python3-sklearn (Debian).
"""
import argparse
import csv
import sys

import h5py
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(model_path, data_path):
    with h5py.File(model_path, "r") as f:
        features = [text(s) for s in f["norm/feature_names"][()]]
        target = text(f["norm"].attrs["target_name"])
        val = np.asarray(f["split/val_rows"][()], dtype=np.int64)
        test = np.asarray(f["split/test_rows"][()], dtype=np.int64)
        rows_read = int(f["split"].attrs["rows_read"])
        kept = {k: int(f["data"].attrs.get(k, 0)) for k in ("rows_filtered", "rows_dropped")}
    if any(kept.values()):
        sys.exit("split_models: %s: the run left rows out (%s); its split's row numbers do not "
                 "count the CSV's rows" % (model_path, ", ".join("%s %d" % kv for kv in kept.items())))
    with open(data_path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        missing = [c for c in features + [target] if c not in header]
        if missing:
            sys.exit("split_models: %s: no column %s" % (data_path, ", ".join(missing)))
        cols = [header.index(c) for c in features + [target]]
        data = np.array([[float(r[c]) for c in cols] for r in reader])
    if len(data) != rows_read:
        sys.exit("split_models: %s has %d rows, the run read %d: not the data it was trained on"
                 % (data_path, len(data), rows_read))
    train = np.setdiff1d(np.arange(rows_read), np.concatenate([val, test]))
    return features, target, data[:, :-1], data[:, -1], train, val, test


def models():
    return [
        ("least squares", LinearRegression()),
        ("least squares, degree 3", make_pipeline(StandardScaler(), PolynomialFeatures(3), LinearRegression())),
        ("nearest 50 neighbours", make_pipeline(StandardScaler(), KNeighborsRegressor(50))),
        ("random forest", RandomForestRegressor(300, min_samples_leaf=20, random_state=0)),
        ("gradient boosting", GradientBoostingRegressor(n_estimators=200, max_depth=2, learning_rate=0.05,
                                                        random_state=0)),
        ("MLP, 16 logistic units", TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor((16,), activation="logistic", max_iter=3000,
                                                         early_stopping=True, random_state=0)),
            transformer=StandardScaler())),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="RUN/model.h5")
    ap.add_argument("data", help="the CSV the run was trained on")
    a = ap.parse_args()
    features, target, x, y, train, val, test = load(a.model, a.data)
    print("%s from %s: %d training, %d validation, %d test rows" % (
        target, ", ".join(features), len(train), len(val), len(test)))
    print("%-26s %8s %8s" % ("model", "val_r2", "test_r2"))
    for name, m in models():
        m.fit(x[train], y[train])
        print("%-26s %8.3f %8.3f" % (name, r2_score(y[val], m.predict(x[val])),
                                     r2_score(y[test], m.predict(x[test]))))


if __name__ == "__main__":
    main()
