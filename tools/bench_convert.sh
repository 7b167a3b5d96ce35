#!/bin/sh
# bench_convert: `housenet convert` (uncompressed, the default, and with
# --compress) against pandas.read_csv on the same file, interleaved.
#
#   sh tools/bench_convert.sh              # 1,000,000 rows x 3, 5 rounds
#   ROWS=200000 ROUNDS=3 sh tools/bench_convert.sh
#
# The CSV (header x1,x2,y, %.17g values; tools/bench_csv.c gen) is written
# once into a temporary directory and stays in the page cache, so this
# measures parsing and writing, not the disk. Each round runs the three
# jobs in turn, each as a new process timed from outside (pandas: its
# import excluded, read_csv alone, timed inside Python); the table gives
# the medians and the median of the rounds' ratios (pandas seconds over
# housenet seconds: above 1, convert is faster), with the load before and
# after.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-5}
PY=${PY:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_convert.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target bench_csv housenet >/dev/null)
BIN=$ROOT/build/release/housenet
"$ROOT/build/release/bench_csv" gen "$ROWS" "$TMP/data.csv" >/dev/null
"$PY" -c 'import pandas' 2>/dev/null || { echo "bench_convert: $PY cannot import pandas (apt-get install python3-pandas)"; exit 1; }

secs() { # command...: wall seconds
  "$PY" -c 'import subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(time.perf_counter() - t)' "$@"
}
pandas_secs() {
  "$PY" -c 'import sys, time, pandas
t = time.perf_counter(); pandas.read_csv(sys.argv[1]); print(time.perf_counter() - t)' "$TMP/data.csv"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$TMP/r"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  p=$(pandas_secs)
  c=$(secs "$BIN" convert "$TMP/data.csv" "$TMP/out.h5" --quiet)
  z=$(secs "$BIN" convert "$TMP/data.csv" "$TMP/outz.h5" --quiet --compress)
  echo "$p $c $z" >>"$TMP/r"
  i=$((i + 1))
done
size() { stat -c %s "$1"; }
awk -v rows="$ROWS" -v su="$(size "$TMP/out.h5")" -v sz="$(size "$TMP/outz.h5")" -v sc="$(size "$TMP/data.csv")" '
function median(a, n,   i, j, t) {
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ p[NR] = $1; c[NR] = $2; z[NR] = $3; rc[NR] = $1 / $2; rz[NR] = $1 / $3; n = NR }
END {
  printf "%d rows x 3 (%.0f MB CSV), median of %d rounds\n", rows, sc / 1e6, n
  printf "pandas.read_csv            %.3f s\n", median(p, n)
  printf "housenet convert           %.3f s  %.2fx pandas  (%.0f MB)\n", median(c, n), median(rc, n), su / 1e6
  printf "housenet convert --compress %.3f s  %.2fx pandas  (%.0f MB)\n", median(z, n), median(rz, n), sz / 1e6
}' "$TMP/r"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
