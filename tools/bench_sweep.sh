#!/bin/sh
# The sweep benchmark (docs/performance.md, Sweeps): a 48-point grid on
# configs/ames.ini -- learning rate (0.003, 0.01, 0.03) x width (2, 4, 8,
# 16 hidden units) x optimizer (nesterov, adam) x 2 seeds, 300 epochs of
# batch 64 each -- timed three ways:
#   1. housenet sweep (one run per core, --workers W; default all cores);
#   2. the same 48 runs one by one with housenet train (a shell loop);
#   3. scikit-learn's GridSearchCV over MLPRegressor on the same grid
#      (n_jobs=2), each fit on the training rows of the seed-42 split that
#      housenet uses and scored on its validation rows (PredefinedSplit),
#      features and target standardised as housenet does, logistic hidden
#      units, the same batch, epochs, momentum and Adam constants.
# Prints the wall times, the ratios and the best validation RMSE of each
# (housenet's among the seed-42 points, whose validation rows sklearn
# scores on, and among all); `uptime` before and after.
# usage: sh tools/bench_sweep.sh [BUILD_DIR] [WORKERS]   (from the source tree)
set -eu
BIN=$(cd "${1:-build/release}" && pwd)/housenet
WORKERS=${2:-0}
SRC=$(pwd)
PY=/usr/bin/python3
CONFIG=$SRC/configs/ames.ini
WORK=$(mktemp -d /tmp/housenet-bench-sweep-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
GRID="--grid train.learning_rate=0.003,0.01,0.03 --grid model.hidden=2,4,8,16 --grid train.optimizer=nesterov,adam --seeds 2"
now() { date +%s.%N; }
echo "load before: $(uptime)"
nproc_=$(nproc)
echo "cpus $nproc_; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"

J=""
[ "$WORKERS" -gt 0 ] && J="--workers $WORKERS"
t0=$(now)
# shellcheck disable=SC2086
"$BIN" sweep "$CONFIG" --set "run.dir=$WORK/s" $GRID $J --quiet > "$WORK/sweep.txt"
t1=$(now)
sweep_s=$(echo "$t1 - $t0" | bc)

t0=$(now)
grep '^point ' "$WORK/s/sweep/points.txt" | while read -r _ id sets; do
  args=""
  for kv in $sets; do args="$args --set $kv"; done
  # shellcheck disable=SC2086
  "$BIN" train "$CONFIG" $args --set "run.dir=$WORK/one/$id" --quiet > /dev/null
done
t1=$(now)
one_s=$(echo "$t1 - $t0" | bc)

model=$(awk -F, 'NR > 1 && $5 == 42 { print $1; exit }' "$WORK/s/sweep/results.csv")
PYTHONWARNINGS=ignore "$PY" - "$WORK/s/sweep/$model/model.h5" "$SRC/datasets/ames_housing.csv" "$WORK/s/sweep/results.csv" \
  "$sweep_s" "$one_s" <<'EOF'
import csv, math, sys, time, warnings
import h5py
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

model_path, data_path, results, sweep_s, one_s = sys.argv[1:6]
t = lambda v: v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(model_path, "r") as f:
    features = [t(s) for s in f["norm/feature_names"][()]]
    target = t(f["norm"].attrs["target_name"])
    val = np.asarray(f["split/val_rows"][()], dtype=np.int64)
    test = np.asarray(f["split/test_rows"][()], dtype=np.int64)
with open(data_path, newline="") as fh:
    r = csv.reader(fh)
    header = next(r)
    cols = [header.index(c) for c in features + [target]]
    data = np.array([[float(row[c]) for c in cols] for row in r])
train = np.setdiff1d(np.arange(len(data)), np.concatenate([val, test]))
rows = np.concatenate([train, val])
X, y = data[rows, :-1], data[rows, -1]
fold = np.r_[np.full(len(train), -1), np.zeros(len(val), dtype=int)]
base = TransformedTargetRegressor(
    regressor=make_pipeline(StandardScaler(), MLPRegressor(
        activation="logistic", alpha=0.0, batch_size=64, max_iter=300, shuffle=True, tol=0.0,
        n_iter_no_change=300, momentum=0.9, nesterovs_momentum=True, early_stopping=False)),
    transformer=StandardScaler())
p = "regressor__mlpregressor__"
grid = {p + "learning_rate_init": [0.003, 0.01, 0.03], p + "hidden_layer_sizes": [(2,), (4,), (8,), (16,)],
        p + "solver": ["sgd", "adam"], p + "random_state": [42, 43]}
warnings.simplefilter("ignore", ConvergenceWarning)
t0 = time.time()
gs = GridSearchCV(base, grid, cv=PredefinedSplit(fold), scoring="neg_root_mean_squared_error", n_jobs=2,
                  refit=False).fit(X, y)
gs_s = time.time() - t0
sk_best = -gs.best_score_
table = list(csv.DictReader(open(results)))
ok = [r for r in table if r["status"] == "ok"]
hn42 = min(float(r["val_rmse"]) for r in ok if r["train.seed"] == "42")
hn = min(float(r["val_rmse"]) for r in ok)
sweep_s, one_s = float(sweep_s), float(one_s)
print("points %d (%d ok); validation rows %d, training rows %d" % (len(table), len(ok), len(val), len(train)))
print("housenet sweep          %8.2f s" % sweep_s)
print("housenet train x 48     %8.2f s   (%.1fx the sweep's time)" % (one_s, one_s / sweep_s))
print("GridSearchCV n_jobs=2   %8.2f s   (%.1fx the sweep's time)" % (gs_s, gs_s / sweep_s))
print("best val_rmse: housenet %.1f on the seed-42 split (%.1f over both seeds), GridSearchCV %.1f (%s)"
      % (hn42, hn, sk_best, {k[len(p):]: v for k, v in gs.best_params_.items()}))
EOF
echo "load after: $(uptime)"
