#!/bin/sh
# The shipped Ames configs reach their R^2 on their own test split and beat
# the least-squares baseline, as `housenet evaluate --json` measures it, and
# their cross-validated R^2 (`housenet cv --json`, 5 folds x 3 repeats).
# Thresholds sit a little under the measured values (docs/results.md, "The Ames configs"):
# they catch a regression, not a change in the last digit.
# usage: quality_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"
check() { # config min_r2
  # threads=1: results do not depend on it, and a loaded machine runs one thread best
  if ! "$BIN" train "$SRC/configs/$1.ini" --quiet --set run.dir="$WORK/$1" --set train.threads=1 >/dev/null 2>"$WORK/err"; then
    bad "$1: training failed: $(cat "$WORK/err")"; return
  fi
  if $PY - "$BIN" "$WORK/$1/model.h5" "$1" "$2" <<'PYEOF'
import json, subprocess, sys
binary, model, name, want = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
r = json.loads(subprocess.run([binary, "evaluate", "--model", model, "--json"], check=True,
                              capture_output=True, text=True).stdout)
ols, mean = r["baselines"]["ols"]["r2"], r["baselines"]["mean"]["r2"]
print("%s: test R^2 %.4f (least squares %.4f, training mean %.4f), %d rows" % (name, r["r2"], ols, mean, r["rows"]))
sys.exit(0 if r["r2"] >= want and r["r2"] > ols and r["r2"] > mean else 1)
PYEOF
  then ok "$1 reaches R^2 >= $2 and beats both baselines"
  else bad "$1 below R^2 $2 or a baseline"; fi
}
check ames 0.46
check ames_full 0.80
# One test split of 2,930 rows is easy or hard by chance (least squares
# alone moves between 0.42 and 0.64 with the seed): the targets of issue 13
# are cross-validated, RepeatedKFold 5 x 3 (docs/results.md, "Cross-validation").
cv() { # config repeats min_r2 max_below_ols [max_rmse]
  if ! "$BIN" cv "$SRC/configs/$1.ini" --folds 5 --repeats "$2" --json --quiet --set run.dir="$WORK/cv-$1" \
      --set train.threads=1 >"$WORK/cv.json" 2>"$WORK/err"; then
    bad "cv $1: $(cat "$WORK/err")"; return
  fi
  if $PY - "$WORK/cv.json" "$1" "$3" "$4" "${5:-inf}" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
name, want, below, max_rmse = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
r2, ols = r["r2"]["mean"], r["baselines"]["ols"]["r2"]["mean"]
ridge = r["baselines"]["ridge"]["r2"]["mean"]
# least squares has no unique fit with one-hot columns (null): ridge stands in
ref = ols if ols is not None else ridge
print("%s: cv %dx%d R^2 %.4f +- %.4f, RMSE %.0f (least squares %s, ridge %.4f)" % (
    name, r["folds"], r["repeats"], r2, r["r2"]["sd"], r["rmse"]["mean"],
    "%.4f" % ols if ols is not None else "undefined", ridge))
sys.exit(0 if r2 >= want and r2 >= ref - below and r["rmse"]["mean"] <= max_rmse else 1)
PYEOF
  then ok "cv $1 reaches R^2 >= $3 (RMSE <= ${5:-any}), at most $4 below least squares (or ridge)"
  else bad "cv $1 below R^2 $3, above RMSE ${5:-any}, or more than $4 below least squares"; fi
}
cv ames 3 0.51 0.01
cv ames_full 3 0.85 0
# numerics, one-hot categoricals and a log target: issue 13's R^2 >= 0.89, RMSE <= $26,500
cv ames_best 3 0.89 0 26500
# California: not bundled (../shared beside a checkout); one run on its own split.
CAL="$SRC/configs/../../shared/datasets/california_housing.csv"
if [ -r "$CAL" ]; then
  if "$BIN" train "$SRC/configs/california.ini" --quiet --set run.dir="$WORK/cal" >/dev/null 2>"$WORK/err" &&
     "$BIN" evaluate --model "$WORK/cal/model.h5" --json >"$WORK/cal.json" 2>>"$WORK/err" &&
     $PY -c "
import json, sys
r = json.load(open(sys.argv[1]))
print('california: test R^2 %.4f, RMSE %.0f, ridge %.4f' % (r['r2'], r['rmse'], r['baselines']['ridge']['r2']))
sys.exit(0 if r['r2'] >= 0.78 and r['r2'] > r['baselines']['ridge']['r2'] else 1)" "$WORK/cal.json"
  then ok "california reaches R^2 >= 0.78 and beats ridge"
  else bad "california below R^2 0.78: $(cat "$WORK/err")"; fi
else
  ok "california skipped: $CAL is not there (the data are not bundled)"
fi
finish
