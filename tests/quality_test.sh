#!/bin/sh
# The shipped Ames configs reach their R^2 on their own test split and beat
# the least-squares baseline, as `housenet evaluate --json` measures it.
# Thresholds sit a little under the measured values (docs/results.md, "The Ames configs"):
# they catch a regression, not a change in the last digit.
# usage: quality_test.sh HOUSENET SOURCE_DIR
set -u
BIN=$1
SRC=$2
WORK=$(mktemp -d /tmp/housenet-quality-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failed=0
check() { # config min_r2
  # threads=1: results do not depend on it, and a loaded machine runs one thread best
  if ! "$BIN" train "$SRC/configs/$1.ini" --quiet --set run.dir="$WORK/$1" --set train.threads=1 >/dev/null 2>"$WORK/err"; then
    echo "FAIL - $1: training failed: $(cat "$WORK/err")"; failed=1; return
  fi
  if /usr/bin/python3 - "$BIN" "$WORK/$1/model.h5" "$1" "$2" <<'PYEOF'
import json, subprocess, sys
binary, model, name, want = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
r = json.loads(subprocess.run([binary, "evaluate", "--model", model, "--json"], check=True,
                              capture_output=True, text=True).stdout)
ols, mean = r["baselines"]["ols"]["r2"], r["baselines"]["mean"]["r2"]
print("%s: test R^2 %.4f (least squares %.4f, training mean %.4f), %d rows" % (name, r["r2"], ols, mean, r["rows"]))
sys.exit(0 if r["r2"] >= want and r["r2"] > ols and r["r2"] > mean else 1)
PYEOF
  then echo "ok - $1 reaches R^2 >= $2 and beats both baselines"
  else echo "FAIL - $1 below R^2 $2 or a baseline"; failed=1; fi
}
check ames 0.46
check ames_full 0.80
# One test split of 2,930 rows is easy or hard by chance (least squares
# alone moves between 0.42 and 0.64 with the seed): over twelve seeds the
# default config must beat least squares on average.
if /usr/bin/python3 "$SRC/tools/seed_sweep.py" "$SRC/configs/ames.ini" --bin "$BIN" --seeds 1-12 \
    --min-mean-r2 0.51 --beat-ols >"$WORK/sweep" 2>&1
then echo "ok - ames over seeds 1-12: $(tail -n 1 "$WORK/sweep" | tr -s ' ')"
else cat "$WORK/sweep"; echo "FAIL - ames over seeds 1-12 below mean R^2 0.51 or least squares"; failed=1; fi
exit $failed
