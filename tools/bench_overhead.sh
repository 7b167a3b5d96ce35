#!/bin/sh
# bench_overhead: how much of a `housenet train` run's wall time goes to
# anything but the epochs, at default settings, from 2,000 rows to
# millions. Each size gets the peers' synthetic set (tools/bench_ref.c:
# x1, x2 -> y) and a config that names only the data, so every other key
# is its default (100 epochs, batch 64, validation and test rows,
# checkpoints every 30 s, threads = 0). The figures are the summary's
# `time` line: wall, epochs, validation and logging, checkpoints and
# curves, start and end; "outside" is 1 - epochs / wall. The median run of
# ROUNDS (default 3) per size, by wall time.
#
#   sh tools/bench_overhead.sh
#   SIZES="2000 65536" EPOCHS=100 sh tools/bench_overhead.sh
#   HIDDEN=64,64 sh tools/bench_overhead.sh     # a wider network than 2-2-1
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOUSENET=${HOUSENET:-$ROOT/build/release/housenet}
SIZES=${SIZES:-2000 16384 65536 262144 1048576}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_overhead.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

[ -x "$HOUSENET" ] || { echo "bench_overhead: no $HOUSENET; build it first" >&2; exit 2; }
"$CC" -O2 -std=gnu11 -I"$ROOT/tools" "$ROOT/tools/bench_ref.c" -lm -o "$TMP/bench_ref"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%9s %8s %8s %8s %8s %8s %8s\n" rows wall_s epochs_s valid_s ckpt_s start_s outside
for n in $SIZES; do
  "$TMP/bench_ref" csv "$n" "$TMP/d$n.csv"
  {
    printf '[data]\npath = %s\nfeatures = x1, x2\ntarget = y\n' "$TMP/d$n.csv"
    [ -n "${HIDDEN:-}" ] && printf '[model]\nhidden = %s\n' "$HIDDEN"
    [ -n "${EPOCHS:-}" ] && printf '[train]\nepochs = %s\n' "$EPOCHS"
    printf '[run]\ndir = %s\n' "$TMP/run$n"
  } >"$TMP/c$n.ini"
  r=0
  : >"$TMP/t$n"
  while [ "$r" -lt "$ROUNDS" ]; do
    "$HOUSENET" train "$TMP/c$n.ini" --force --quiet >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; exit 1; }
    # time W s: training T s (P%; epochs E s, validation and logging V s), checkpoints and curves C s, start and end S s
    sed -n 's/^time \([0-9.]*\) s: training [0-9.]* s ([0-9]*%; epochs \([0-9.]*\) s, validation and logging \([0-9.]*\) s), checkpoints and curves \([0-9.]*\) s, start and end \([0-9.]*\) s.*/\1 \2 \3 \4 \5/p' \
      "$TMP/out" >>"$TMP/t$n"
    r=$((r + 1))
  done
  sort -n "$TMP/t$n" | awk -v n="$n" '{ l[NR] = $0 } END {
    split(l[int((NR + 1) / 2)], v, " ")
    printf "%9d %8.3f %8.3f %8.3f %8.3f %8.3f %7.1f%%\n", n, v[1], v[2], v[3], v[4], v[5], 100 * (1 - v[2] / v[1]) }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
