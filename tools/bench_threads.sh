#!/bin/sh
# bench_threads: [train] threads = 0 (the shipped configs' setting) against
# threads = 1, wall time of `housenet train`, on an otherwise idle machine
# and with one core kept busy by a shell loop (as on a desktop or a shared
# node). Jobs: configs/ames.ini, configs/ames_full.ini, 2-64-64-1 full
# batch on Ames, and ames.ini streamed from its converted HDF5 table.
# ROUNDS rounds (default 5), each running threads = 0, 1 and 2 for every
# job in turn; a cell is the median wall time over the rounds, and the
# ratios are threads=0 / threads=1 and threads=2 / threads=1 (<= 1: never
# slower; with a core busy, an explicit threads = 2 asks for the slower).
# usage: tools/bench_threads.sh        (prints one table; the load before and after)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build/release/housenet}
ROUNDS=${ROUNDS:-5}
WORK=$(mktemp -d /tmp/bench_threads-XXXXXX)
BUSY=
trap '[ -n "$BUSY" ] && kill $BUSY 2>/dev/null; rm -rf "$WORK"' EXIT
"$BIN" convert "$ROOT/datasets/ames_housing.csv" "$WORK/ames.h5" >/dev/null 2>&1
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $("$BIN" --version | head -1)"

run() { # name threads args...: prints the wall seconds
  name=$1 th=$2; shift 2
  t0=$(date +%s.%N)
  "$BIN" train "$@" --quiet --force --set run.dir="$WORK/run-$name-$th" --set train.threads="$th" \
      >/dev/null 2>&1 || { echo "bench_threads: $name failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

job() { # name args...
  name=$1; shift
  : >"$WORK/$name.0"; : >"$WORK/$name.1"; : >"$WORK/$name.2"
  r=0
  while [ $r -lt "$ROUNDS" ]; do
    for th in 0 1 2; do run "$name" $th "$@" >>"$WORK/$name.$th"; done
    r=$((r + 1))
  done
  a=$(median <"$WORK/$name.0"); b=$(median <"$WORK/$name.1"); c=$(median <"$WORK/$name.2")
  printf "%-14s %-6s %10.3f %10.3f %10.3f %8.2f %8.2f\n" "$name" "$mode" "$a" "$b" "$c" \
    "$(echo "$a $b" | awk '{ print $1 / $2 }')" "$(echo "$c $b" | awk '{ print $1 / $2 }')"
}

printf "%-14s %-6s %10s %10s %10s %8s %8s\n" job cores "threads=0" "threads=1" "threads=2" "0/1" "2/1"
for mode in idle busy; do
  if [ $mode = busy ]; then sh -c 'while :; do :; done' & BUSY=$!; fi
  job ames "$ROOT/configs/ames.ini"
  job ames_full "$ROOT/configs/ames_full.ini"
  job 2-64-64-1 "$ROOT/configs/ames.ini" --set model.hidden=64,64 --set train.batch_size=2930 \
      --set train.epochs=40 --set train.optimizer=adam --set train.learning_rate=0.01
  job streamed "$ROOT/configs/ames.ini" --set data.path="$WORK/ames.h5" --set data.stream=true --set train.epochs=100
done
kill $BUSY 2>/dev/null; BUSY=
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
