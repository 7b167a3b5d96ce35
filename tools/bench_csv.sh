#!/bin/sh
# bench_csv: how fast io/csvread.c reads a large numeric CSV, next to pandas.
#
#   sh tools/bench_csv.sh            # 1,000,000 rows, median of 3
#   ROWS=200000 REPS=5 sh tools/bench_csv.sh
#
# Writes (in a temporary directory, removed at exit) a CSV with the header
# "x1,x2,y" and ROWS rows printed with printf("%.17g,%.17g,%.17g\n") from
# x1, x2 ~ N(0,1), y = 0.6 x1 + 0.3 x2 + 0.1 sin(3 x1) + 0.05 N(0,1)
# (tools/bench_csv.c gen). Times csv_read_columns(x1, x2, y) with the quote-
# free fast tokenizer and with libcsv alone, checking every value against
# the generator bit for bit; then pandas.read_csv on the same file with
# /usr/bin/python3 (Debian's python3-pandas; skipped with a note when
# `import pandas` fails), counting values that differ from a correctly
# rounded parse (Python's float(), same as strtod). The file is in the page
# cache (just written): this measures parsing, not the disk.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-1000000}
REPS=${REPS:-3}
CC=${CC:-cc} # named in the report (the build uses the release preset)
PY=${PY:-/usr/bin/python3}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_csv.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'rm -rf "$TMP"; exit 1' HUP INT PIPE TERM

echo "bench_csv: building (cmake --preset release, target bench_csv)" >&2
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target bench_csv >/dev/null)
cp "$ROOT/build/release/bench_csv" "$TMP/"
"$TMP/bench_csv" gen "$ROWS" "$TMP/data.csv"
BYTES=$(wc -c < "$TMP/data.csv" | tr -d ' ')

printf 'data: %s rows x 3 float64, header x1,x2,y, each row printf("%%.17g,%%.17g,%%.17g\\n"), %s bytes\n' "$ROWS" "$BYTES"
echo "first rows:"
sed -n '2,3p' "$TMP/data.csv" | sed 's/^/  /'
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc 2>/dev/null || echo ?) cores); cc: $("$CC" --version | head -1)"
echo

# one row of the table: name, seconds, exactness
row() {
  awk -v n="$1" -v s="$2" -v b="$BYTES" -v x="$3" \
    'BEGIN { printf "%-46s %8.1f %9.4f  %s\n", n, b / 1e6 / s, s, x }'
}

printf '%-46s %8s %9s  %s\n' "reader (median of $REPS)" "MB/s" "seconds" "values vs strtod"
printf '%-46s %8s %9s  %s\n' "------" "----" "-------" "----------------"

out=$("$TMP/bench_csv" read "$TMP/data.csv" "$REPS")
s=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
m=$(echo "$out" | sed -n 's/.*mismatches=\([0-9]*\).*/\1/p')
row "housenet csv_read_columns" "$s" "$m differ"

out=$(BENCH_LIBCSV_ONLY=1 "$TMP/bench_csv" read "$TMP/data.csv" "$REPS")
s=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
m=$(echo "$out" | sed -n 's/.*mismatches=\([0-9]*\).*/\1/p')
row "housenet csv_read_columns, libcsv tokenizer" "$s" "$m differ"

if [ -x "$PY" ] && "$PY" -c 'import pandas' 2>/dev/null; then
  "$PY" - "$TMP/data.csv" "$REPS" <<'EOF' | while read -r name s x; do row "$name" "$s" "$x"; done
import sys, time
import numpy as np
import pandas as pd

path, reps = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    f.readline()
    ref = np.array([float(v) for line in f for v in line.split(",")]).reshape(-1, 3)
for label, prec in (("pandas.read_csv", None), ("pandas.read_csv(float_precision=round_trip)", "round_trip")):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        df = pd.read_csv(path, float_precision=prec)
        ts.append(time.perf_counter() - t0)
    ts.sort()
    got = df[["x1", "x2", "y"]].to_numpy()
    differ = int((got.view(np.uint64) != ref.view(np.uint64)).sum())
    print(label, ts[len(ts) // 2], "%d differ (pandas %s)" % (differ, pd.__version__))
EOF
else
  echo "pandas.read_csv: skipped ($PY cannot import pandas; apt-get install python3-pandas)"
fi
