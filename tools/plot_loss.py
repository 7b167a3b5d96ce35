#!/usr/bin/env python3
"""Plots a run's loss curves from curves.h5 into a PNG.

Top: training and validation loss (1/2 (y - h)^2 in normalised units) on a
log scale against the epoch, the best validation epoch marked, and the
events of the run (rollbacks, learning-rate reductions, early stop) as
vertical lines. Bottom: the learning rate against the epoch.

usage: tools/plot_loss.py RUN/curves.h5 [-o OUT.png] [--title TEXT]
       (default OUT: loss.png next to curves.h5)

Needs h5py and matplotlib (Debian: python3-h5py python3-matplotlib).
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read(path):
    with h5py.File(path, "r") as f:
        c = f["curves"]
        cols = {k: c[k][()] for k in c}
        events = []
        if "events" in f:
            e = f["events"]
            events = list(zip(e["epoch"][()], e["kind"].asstr()[()], e["message"].asstr()[()]))
    return cols, events


def main():
    ap = argparse.ArgumentParser(description="Plot the loss curves of a housenet run.")
    ap.add_argument("curves", help="RUN/curves.h5")
    ap.add_argument("-o", "--output", help="PNG to write (default: loss.png next to curves.h5)")
    ap.add_argument("--title", help="title (default: the run directory)")
    a = ap.parse_args()
    out = a.output or os.path.join(os.path.dirname(os.path.abspath(a.curves)), "loss.png")
    cols, events = read(a.curves)
    epoch = cols["epoch"]
    if len(epoch) == 0:
        sys.exit("plot_loss: %s has no epochs yet" % a.curves)

    fig, (ax, axlr) = plt.subplots(2, 1, sharex=True, figsize=(8, 6),
                                   gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(epoch, cols["train_loss"], label="training loss", color="tab:blue")
    if "val_loss" in cols and np.isfinite(cols["val_loss"]).any():
        val = cols["val_loss"]
        ax.plot(epoch, val, label="validation loss", color="tab:orange")
        best = int(np.nanargmin(val))
        label = "best epoch %d" % epoch[best]
        if "val_rmse" in cols and np.isfinite(cols["val_rmse"][best]):
            label += " (validation RMSE %.0f)" % cols["val_rmse"][best]
        ax.plot(epoch[best], val[best], "o", color="tab:red", label=label)
    ax.set_yscale("log")
    ax.set_ylabel("loss, 1/2 (y - h)^2, normalised")
    seen = set()
    for ep, kind, _ in events:
        if kind == "restore_best":  # the best epoch's dot says it
            continue
        ax.axvline(ep, color="grey", linestyle=":", linewidth=1,
                   label=None if kind in seen else "event: " + kind)
        seen.add(kind)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(a.title or os.path.basename(os.path.dirname(os.path.abspath(a.curves))))

    axlr.plot(epoch, cols["learning_rate"], color="tab:green")
    axlr.set_ylabel("learning rate")
    axlr.set_xlabel("epoch")
    axlr.grid(True, alpha=0.3)
    lr = cols["learning_rate"]
    if np.all(lr > 0) and lr.max() / lr.min() > 20:
        axlr.set_yscale("log")
    else:
        axlr.set_ylim(0, 1.15 * lr.max())
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(out)


if __name__ == "__main__":
    main()
