#!/bin/sh
# bench_step: the 2-2-1 network trained through `housenet train` (config,
# CSV, run directory, checkpoints: everything a user gets) against the
# tight C reference (tools/bench_ref.c, built -Ofast -march=native: its own
# best) and FANN's incremental training, in the same run, interleaved:
# ROUNDS rounds, each running every job once in turn.
#
#   sh tools/bench_step.sh                   # batch 1 and batch 1024, 5 rounds
#   ROUNDS=9 TARGET=1 sh tools/bench_step.sh # longer
#   HOUSENET=path/to/housenet sh tools/bench_step.sh
#
# Data: 65,536 rows of the peers' synthetic set (bench_ref csv). housenet
# runs [train] threads = THREADS (default 1), no validation or test rows
# (the reference has none), learning rate 0.01, its default checkpoints;
# its rate is rows x epochs over the summary's epoch time (`time ...
# epochs S`), and wall= over the whole process. The reference and FANN
# time their own epochs. A figure is the median over the rounds; a ratio
# is the median of the rounds' ratios. Prints one line a job, then the
# ratios, then the load average before and after.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOUSENET=${HOUSENET:-$ROOT/build/release/housenet}
ROUNDS=${ROUNDS:-5}
TARGET=${TARGET:-0.5}
THREADS=${THREADS:-1}
CC=${CC:-cc}
ROWS=65536

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_step.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

[ -x "$HOUSENET" ] || { echo "bench_step: no $HOUSENET; build it first (cmake --workflow --preset release)" >&2; exit 2; }
"$CC" -Ofast -march=native -std=gnu11 -I"$ROOT/tools" "$ROOT/tools/bench_ref.c" -lm -o "$TMP/bench_ref"
"$TMP/bench_ref" csv "$ROWS" "$TMP/data.csv"
FANN=0
if "$CC" -O3 -march=native -std=gnu11 -I"$ROOT/tools" "$ROOT/tools/bench_fann.c" -ldoublefann -lm \
    -o "$TMP/bench_fann" 2>/dev/null; then
  FANN=1
  "$ROOT/build/release/bench_train" data "$ROWS" "$TMP/data.bin" 2>/dev/null ||
    { echo "bench_step: FANN needs build/release/bench_train (cmake --build --preset release --target bench_train)" >&2; FANN=0; }
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

config() { # BATCH EPOCHS
  cat >"$TMP/b$1.ini" <<EOF
[data]
path = $TMP/data.csv
features = x1, x2
target = y
validation_fraction = 0
test_fraction = 0

[model]
hidden = 2
activation = sigmoid

[train]
epochs = $2
batch_size = $1
learning_rate = 0.01
optimizer = sgd
threads = $THREADS

[run]
dir = $TMP/run$1
EOF
}

# Epochs for about TARGET seconds at a guessed rate (samples/s).
epochs_for() { awk -v t="$TARGET" -v r="$1" -v n="$ROWS" 'BEGIN { e = int(t * r / n); print e < 2 ? 2 : e }'; }
config 1 "$(epochs_for 15e6)"
config 1024 "$(epochs_for 150e6)"

# housenet BATCH: prints "epochs_rate wall_rate"
housenet() {
  t0=$(date +%s.%N)
  "$HOUSENET" train "$TMP/b$1.ini" --force --quiet >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v n="$ROWS" -v w="$(echo "$t1 - $t0" | bc)" '
    /^epochs [0-9]+ +steps/ { e = $2 }
    /^time / { for (i = 1; i <= NF; i++) if ($i == "epochs") s = $(i + 1) }
    END { printf "%.4g %.4g\n", n * e / s, n * e / w }' "$TMP/out"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

: >"$TMP/res"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  set -- $(housenet 1)
  h1=$1 h1w=$2
  set -- $(housenet 1024)
  h1024=$1 h1024w=$2
  ref1=$(TARGET=$TARGET REPS=1 "$TMP/bench_ref" run 1 "$ROWS" | field samples_per_s)
  ref1024=$(TARGET=$TARGET REPS=1 "$TMP/bench_ref" run 1024 "$ROWS" | field samples_per_s)
  fann=nan
  [ "$FANN" = 1 ] && fann=$(TARGET=$TARGET REPS=1 "$TMP/bench_fann" incremental 2-2-1 "$TMP/data.bin" | field samples_per_s)
  echo "$h1 $h1w $h1024 $h1024w $ref1 $ref1024 $fann" >>"$TMP/res"
  r=$((r + 1))
done

awk '
  function med(col,   i, n, v, t, j) {
    n = 0
    for (i = 1; i <= NR; i++) if (val[i, col] != "nan") v[++n] = val[i, col] + 0
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : "nan"
  }
  { for (c = 1; c <= 7; c++) val[NR, c] = $c
    if ($7 != "nan") val[NR, 8] = $1 / $7; else val[NR, 8] = "nan"
    val[NR, 9] = $1 / $5; val[NR, 10] = $3 / $6 }
  END {
    printf "housenet train batch 1:    %.3g samples/s (wall %.3g)\n", med(1), med(2)
    printf "housenet train batch 1024: %.3g samples/s (wall %.3g)\n", med(3), med(4)
    printf "reference batch 1:         %.3g samples/s\n", med(5)
    printf "reference batch 1024:      %.3g samples/s\n", med(6)
    printf "FANN incremental:          %.3g samples/s\n", med(7)
    printf "batch 1: housenet / FANN %.2fx, / reference %.2fx\n", med(8), med(9)
    printf "batch 1024: housenet / reference %.2fx\n", med(10)
  }' "$TMP/res"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
