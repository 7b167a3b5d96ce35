#!/bin/sh
# bench_stream: peak memory and speed of training from an HDF5 table with
# [data] stream = true, against the same run loaded into memory.
#
#   sh tools/bench_stream.sh                     # 10,000,000 rows
#   ROWS=50000000 sh tools/bench_stream.sh       # 50M rows (a 1 GB table)
#   INMEMORY=0 ROWS=50000000 sh tools/bench_stream.sh   # streamed run only
#   THREADS=1 sh tools/bench_stream.sh           # [train] threads (default 0: all cores)
#
# tools/bench_stream.c writes the table (x1, x2, y; the layout of `housenet
# convert`, deflated) straight to HDF5; then `housenet train` (HOUSENET,
# default build/release/housenet: build it first) trains one epoch of a
# 2-2-1 network, batch 1024, adam, validation_fraction = test_fraction =
# 0.1, THREADS threads, under GNU time. Reported: peak RSS ("Maximum resident set
# size"), wall time of the whole command (first pass, epoch-0 loss pass,
# the epoch, validation, files) and the epoch's samples/s from its progress
# line. The table is in the page cache (just written): this measures
# decoding and training, not the disk.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-10000000}
INMEMORY=${INMEMORY:-1}
THREADS=${THREADS:-0}
HOUSENET=${HOUSENET:-$ROOT/build/release/housenet}

if [ ! -x "$HOUSENET" ]; then
  echo "bench_stream: $HOUSENET not found; build it first (cmake --workflow --preset release) or set HOUSENET" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench_stream: needs GNU time (/usr/bin/time; apt-get install time)" >&2
  exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_stream.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

# About 21 bytes a row once deflated; ask for twice that.
need_kib=$((ROWS / 1024 * 42 + 1024))
free_kib=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt "$need_kib" ]; then
  echo "bench_stream: $ROWS rows need about $need_kib KiB in $TMP, $free_kib free" >&2
  exit 1
fi

echo "bench_stream: building (cmake --preset release, target bench_stream)" >&2
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target bench_stream >/dev/null)
cp "$ROOT/build/release/bench_stream" "$TMP/"

t0=$(date +%s)
"$TMP/bench_stream" "$TMP/t.h5" "$ROWS"
echo "table: $ROWS rows, $(du -k "$TMP/t.h5" | cut -f1) KiB, written in $(( $(date +%s) - t0 )) s"
lscpu | grep "Model name" || true

printf '[data]\npath = t.h5\nfeatures = x1, x2\ntarget = y\nvalidation_fraction = 0.1\ntest_fraction = 0.1\n[model]\nhidden = 2\n[train]\nepochs = 1\nbatch_size = 1024\noptimizer = adam\nlearning_rate = 0.01\nthreads = 0\n' >"$TMP/s.ini"

run() { # name stream
  /usr/bin/time -v "$HOUSENET" train "$TMP/s.ini" --set data.stream="$2" --set run.dir="$TMP/run-$1" \
    --set train.threads="$THREADS" \
    >"$TMP/out.txt" 2>"$TMP/err.txt" || { cat "$TMP/err.txt" >&2; exit 1; }
  kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/err.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$TMP/err.txt")
  sps=$(awk '/^epoch 1\/1/ { for (i = 1; i < NF; i++) if ($(i + 1) == "samples/s") print $i }' "$TMP/err.txt")
  printf '%-10s peak RSS %8d KiB (%.1f MiB)  wall %s  epoch %s samples/s\n' "$1" "$kib" \
    "$(echo "$kib / 1024" | bc -l)" "$wall" "$sps"
  grep '^housenet: [0-9]* rows' "$TMP/err.txt" || true
}
run streamed true
if [ "$INMEMORY" = 1 ]; then
  run in-memory false
fi
