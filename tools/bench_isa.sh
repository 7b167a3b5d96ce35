#!/bin/sh
# bench_isa: training speed of one build against another and of each kernel
# path, interleaved in the same run. For each job (2-2-1 batch 1024 and
# 2-64-64-1 batch 32 unless JOBS says otherwise) ROUNDS rounds (default 9)
# each run every column once, in turn, one thread, about TARGET seconds
# each (default 0.3); a column's figure is the median over the rounds of its
# rate divided by the preset's rate in the same round, so that the
# machine's drift falls on all columns alike.
#   preset    build/release (cmake --preset release), the kernels it picks
#   plain     build/plain (cmake -B build/plain, no build type, no flags)
#   baseline, avx2, avx512
#             build/release with HOUSENET_ISA forcing each path the CPU runs
#   ref       REF=/path/to/bench_train: another build (e.g. an older commit
#             built with -march=native), when given
# usage: tools/bench_isa.sh        (prints one table; load before and after)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-9}
export TARGET=${TARGET:-0.3} REPS=1
JOBS=${JOBS:-"2-2-1:1024 2-64-64-1:32"}
REF=${REF:-}

echo "bench_isa: building build/release and build/plain" >&2
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target bench_train >/dev/null)
cmake -S "$ROOT" -B "$ROOT/build/plain" >/dev/null
cmake --build "$ROOT/build/plain" --target bench_train -j2 >/dev/null
PRESET=$ROOT/build/release/bench_train
PLAIN=$ROOT/build/plain/bench_train
ISAS=$("$ROOT/build/release/housenet" --version 2>/dev/null | sed -n 's/.*available: \([^;)]*\).*/\1/p')
[ -n "$ISAS" ] || { cmake --build --preset release --target housenet >/dev/null;
  ISAS=$("$ROOT/build/release/housenet" --version | sed -n 's/.*available: \([^;)]*\).*/\1/p'); }
COLS="plain $ISAS${REF:+ ref}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_isa.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

rate() { # COLUMN ARCH BATCH: samples/s of one run
  case $1 in
  preset) "$PRESET" run "$2" "$3" 1 ;;
  plain) "$PLAIN" run "$2" "$3" 1 ;;
  ref) "$REF" run "$2" "$3" 1 ;;
  *) HOUSENET_ISA=$1 "$PRESET" run "$2" "$3" 1 ;;
  esac | sed -n 's/.* samples_per_s=\([^ ]*\).*/\1/p'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %12s' "job (1 thread)" "preset"
for c in $COLS; do printf ' %9s' "$c"; done
echo
for job in $JOBS; do
  arch=${job%%:*} batch=${job#*:}
  : >"$TMP/r"
  i=0
  while [ "$i" -lt "$ROUNDS" ]; do
    p=$(rate preset "$arch" "$batch")
    line="preset $p"
    for c in $COLS; do line="$line $c $(rate "$c" "$arch" "$batch")"; done
    echo "$line" >>"$TMP/r"
    i=$((i + 1))
  done
  printf '%-22s' "$arch batch $batch"
  awk -v cols="preset $COLS" '
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { for (k = 1; k < NF; k += 2) { v[$k, NR] = $(k + 1) } n = NR }
    END {
      nc = split(cols, c, " ")
      for (r = 1; r <= n; r++) pr[r] = v["preset", r]
      printf " %10.3gM/s", median(pr, n) / 1e6
      for (k = 2; k <= nc; k++) {
        for (r = 1; r <= n; r++) q[r] = v[c[k], r] / v["preset", r]
        printf " %8.3fx", median(q, n)
      }
      printf "\n"
    }' "$TMP/r"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); columns after preset: median of the rounds' ratios to preset ($ROUNDS rounds, ~${TARGET} s a run)"
