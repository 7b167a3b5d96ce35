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
cv() { # config repeats min_r2 max_below_ols
  if ! "$BIN" cv "$SRC/configs/$1.ini" --folds 5 --repeats "$2" --json --quiet --set run.dir="$WORK/cv-$1" \
      --set train.threads=1 >"$WORK/cv.json" 2>"$WORK/err"; then
    bad "cv $1: $(cat "$WORK/err")"; return
  fi
  if $PY - "$WORK/cv.json" "$1" "$3" "$4" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
name, want, below = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
r2, ols = r["r2"]["mean"], r["baselines"]["ols"]["r2"]["mean"]
print("%s: cv %dx%d R^2 %.4f +- %.4f, RMSE %.0f (least squares %.4f, ridge %.4f)" % (
    name, r["folds"], r["repeats"], r2, r["r2"]["sd"], r["rmse"]["mean"], ols, r["baselines"]["ridge"]["r2"]["mean"]))
sys.exit(0 if r2 >= want and r2 >= ols - below else 1)
PYEOF
  then ok "cv $1 reaches R^2 >= $3, at most $4 below least squares"
  else bad "cv $1 below R^2 $3 or more than $4 below least squares"; fi
}
cv ames 3 0.51 0.01
cv ames_full 3 0.85 0
finish
