#!/bin/sh
# bench_h5: how fast an HDF5 table loads, and how much memory `housenet
# convert` needs.
#
#   sh tools/bench_h5.sh                         # 1,000,000 rows, median of 3
#   ROWS=200000 REPS=5 sh tools/bench_h5.sh
#   CONVERT_ROWS=50000000 sh tools/bench_h5.sh   # also convert 50M rows (~3 GB of CSV)
#
# The CSV is tools/bench_csv.sh's (bench_csv gen: header x1,x2,y, rows
# printed with %.17g). It is converted with `housenet convert` (HOUSENET,
# default build/release/housenet: build it first), then timed: h5_table_read
# of the table (every value checked bit for bit against csv_read_columns of
# the CSV), csv_read_columns of the CSV, h5_stream_read through the whole
# table 4096 rows at a time, and h5py reading the three datasets. Files are
# in the page cache (just written): this measures decoding, not the disk.
# convert's wall time and peak RSS come from GNU time (/usr/bin/time -f),
# or from Python's resource module without it. CONVERT_ROWS > 0 repeats the
# conversion on a CSV of that many rows, after checking the free space.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-1000000}
REPS=${REPS:-3}
CONVERT_ROWS=${CONVERT_ROWS:-0}
CC=${CC:-cc} # named in the report (the build uses the release preset)
PY=${PY:-/usr/bin/python3}
HOUSENET=${HOUSENET:-$ROOT/build/release/housenet}

if [ ! -x "$HOUSENET" ]; then
  echo "bench_h5: $HOUSENET not found; build it first (cmake --workflow --preset release) or set HOUSENET" >&2
  exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_h5.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

echo "bench_h5: building (cmake --preset release, targets bench_csv bench_h5)" >&2
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target bench_csv bench_h5 >/dev/null)
cp "$ROOT/build/release/bench_csv" "$ROOT/build/release/bench_h5" "$TMP/"

# peak RSS and wall time of a command: prints "KIB SECONDS"
measure() {
  if /usr/bin/time -f '%M %e' -o "$TMP/time.txt" "$@" >/dev/null 2>"$TMP/stderr.txt"; then
    cat "$TMP/time.txt"
  elif [ -x /usr/bin/time ]; then
    cat "$TMP/stderr.txt" >&2
    return 1
  else
    "$PY" - "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, round(time.perf_counter() - t0, 2))
EOF
  fi
}

"$TMP/bench_csv" gen "$ROWS" "$TMP/data.csv"
CSV_BYTES=$(wc -c <"$TMP/data.csv" | tr -d ' ')
set -- $(measure "$HOUSENET" convert "$TMP/data.csv" "$TMP/data.h5" --quiet)
H5_BYTES=$(wc -c <"$TMP/data.h5" | tr -d ' ')

printf 'data: %s rows x 3 float64 (x1,x2,y), CSV %s bytes (%%.17g), HDF5 %s bytes (chunks of 65536 rows, shuffle + deflate 4)\n' \
  "$ROWS" "$CSV_BYTES" "$H5_BYTES"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc 2>/dev/null || echo ?) cores); cc: $("$CC" --version | head -1)"
printf 'housenet convert: %s s, peak RSS %s KiB\n\n' "$2" "$1"

row() { # name seconds note; MB/s of the float64 values (rows x 3 x 8 bytes)
  awk -v n="$1" -v s="$2" -v r="$ROWS" -v x="$3" \
    'BEGIN { printf "%-44s %9.1f %9.4f  %s\n", n, r * 24 / 1e6 / s, s, x }'
}
printf '%-44s %9s %9s  %s\n' "reader (median of $REPS)" "MB/s" "seconds" "note"
printf '%-44s %9s %9s  %s\n' "------" "----" "-------" "----"
out=$("$TMP/bench_h5" read "$TMP/data.h5" "$TMP/data.csv" "$REPS")
row "housenet h5_table_read (HDF5)" "$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')" \
  "$(echo "$out" | sed -n 's/.*mismatches=\([0-9]*\).*/\1/p') values differ from the CSV reader's"
out=$("$TMP/bench_csv" read "$TMP/data.csv" "$REPS")
row "housenet csv_read_columns (CSV)" "$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')" \
  "$(awk -v b="$CSV_BYTES" -v s="$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')" 'BEGIN { printf "%.0f MB/s of CSV text", b / 1e6 / s }')"
out=$("$TMP/bench_h5" stream "$TMP/data.h5" 4096 "$REPS")
row "housenet h5_stream_read, 4096-row batches" "$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')" \
  "x row-major (rows, 2), y (rows)"
if [ -x "$PY" ] && "$PY" -c 'import h5py' 2>/dev/null; then
  "$PY" - "$TMP/data.h5" "$REPS" <<'EOF' | while read -r name s x; do row "$name" "$s" "$x"; done
import sys, time
import h5py
path, reps = sys.argv[1], int(sys.argv[2])
ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        cols = [f["table/" + n][()] for n in ("x1", "x2", "y")]
    ts.append(time.perf_counter() - t0)
ts.sort()
print("h5py", ts[len(ts) // 2], "(h5py %s, HDF5 %s)" % (h5py.__version__, h5py.version.hdf5_version))
EOF
else
  echo "h5py: skipped ($PY cannot import h5py)"
fi

if [ "$CONVERT_ROWS" -gt 0 ]; then
  rm -f "$TMP/data.csv" "$TMP/data.h5"
  need=$((CONVERT_ROWS * 60 / 1024 + CONVERT_ROWS * 24 / 1024 + 1048576)) # KiB: CSV + HDF5 + 1 GiB spare
  have=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
  if [ "$have" -lt "$need" ]; then
    echo "convert of $CONVERT_ROWS rows: skipped, $have KiB free in $TMP and about $need needed" >&2
    exit 0
  fi
  echo
  t0=$(date +%s)
  "$TMP/bench_csv" gen "$CONVERT_ROWS" "$TMP/big.csv"
  t1=$(date +%s)
  BIG=$(wc -c <"$TMP/big.csv" | tr -d ' ')
  set -- $(measure "$HOUSENET" convert "$TMP/big.csv" "$TMP/big.h5" --quiet)
  printf 'housenet convert of %s rows: CSV %s bytes (written in %s s), HDF5 %s bytes, %s s, peak RSS %s KiB\n' \
    "$CONVERT_ROWS" "$BIG" "$((t1 - t0))" "$(wc -c <"$TMP/big.h5" | tr -d ' ')" "$2" "$1"
fi
