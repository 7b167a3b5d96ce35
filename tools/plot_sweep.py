#!/usr/bin/env python3
"""Plots of a sweep (housenet sweep; docs/sweep.md): the metric of every
finished point against each swept key (one panel a key; numbers on a log
axis when they span a factor of 20 or more, other values as categories),
and the loss curves (validation solid, training dashed) of the best runs
(their curves.h5).

usage: plot_sweep.py RUN/sweep [-o sweep.png] [--best N]
Reads RUN/sweep/results.h5 and RUN/sweep/<id>/curves.h5 with h5py only
(Debian's python3-h5py and python3-matplotlib)."""
import argparse
import math
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(sweep_dir):
    with h5py.File(os.path.join(sweep_dir, "results.h5"), "r") as f:
        if text(f.attrs.get("format", "")) != "housenet-sweep":
            sys.exit("%s/results.h5: not a housenet sweep table" % sweep_dir)
        g = f["results"]
        cols = [text(c) for c in g.attrs["columns"]]
        table = {c: [text(v) if g[c].dtype.kind in "OS" else float(v) for v in g[c][()]] for c in cols}
        target = text(g.attrs.get("target", "target"))
    return cols, table, target


def as_numbers(values):
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("-o", "--output", default="sweep.png")
    ap.add_argument("--best", type=int, default=5, help="loss curves of the N best runs")
    a = ap.parse_args()
    cols, t, target = load(a.sweep_dir)
    metric = "cv_rmse_mean" if "cv_rmse_mean" in cols else "val_rmse"
    keys = cols[1:cols.index(metric)]
    ok = [i for i, s in enumerate(t["status"]) if s == "ok" and not math.isnan(t[metric][i])]
    if not ok:
        sys.exit("%s: no finished point with a %s" % (a.sweep_dir, metric))
    ok.sort(key=lambda i: t[metric][i])
    n = len(keys) + 1
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False)
    for ax, k in zip(axes[0], keys):
        vals = [t[k][i] for i in ok]
        nums = as_numbers(vals)
        y = [t[metric][i] for i in ok]
        if nums is not None:
            ax.scatter(nums, y, s=14, alpha=0.7)
            pos = [v for v in nums if v > 0]
            if pos and len(pos) == len(nums) and max(pos) / min(pos) >= 20:
                ax.set_xscale("log")
        else:
            cats = sorted(set(vals), key=t[k].index)  # in table order
            ax.scatter([cats.index(v) for v in vals], y, s=14, alpha=0.7)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=30)
        ax.set_xlabel(k)
        ax.set_ylabel("%s (%s)" % (metric, target))
    ax = axes[0][-1]
    drawn = 0
    for i in ok[:a.best]:
        path = os.path.join(a.sweep_dir, t["id"][i], "curves.h5")
        if not os.path.exists(path):
            continue
        with h5py.File(path, "r") as f:
            ep = f["curves/epoch"][()]
            line, = ax.plot(ep, f["curves/val_loss"][()], label="%s %.4g" % (t["id"][i][:6], t[metric][i]))
            ax.plot(ep, f["curves/train_loss"][()], "--", color=line.get_color(), linewidth=0.8)
        drawn += 1
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (normalised; val solid, train dashed)")
    ax.set_title("best %d runs" % drawn if drawn else "no curves (cv)")
    if drawn:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.output, dpi=110)
    print(a.output)


if __name__ == "__main__":
    main()
