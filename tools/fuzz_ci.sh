#!/bin/sh
# fuzz_ci.sh [SECONDS] [TARGET...]: a time-boxed libFuzzer run of each fuzz
# target (default: all, SECONDS = 15 each) from its committed corpus,
# tests/fuzz/<target>/, one target at a time (docs/hardening.md). Builds
# build/fuzz with clang (HOUSENET_FUZZ). New inputs go to a temporary
# directory, not to the repository. libFuzzer runs in fork mode and goes on
# after a crash; each reproducer is then run alone and judged by its
# stack: one that fails inside HDF5 1.10's own code (libhdf5, reached from
# a damaged file; docs/hardening.md lists them) is reported and kept in
# build/fuzz/crashes/<target>/hdf5/; any other (housenet's code, a leak of
# ours, a timeout, out of memory) fails the script with the report printed.
# For each target the execs and the last cov/ft line are printed.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-15}
[ $# -gt 0 ] && shift
targets=${*:-"fuzz_csv_number fuzz_csv fuzz_config fuzz_model fuzz_checkpoint fuzz_curves fuzz_h5table fuzz_stream fuzz_load fuzz_argv"}
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DHOUSENET_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build build/fuzz -j2 --target $targets >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
export ASAN_OPTIONS=detect_leaks=1
for t in $targets; do
    out=build/fuzz/crashes/$t
    mkdir -p "$tmp/$t" "$out/hdf5"
    log=build/fuzz/$t.log
    (cd "$tmp" && "$OLDPWD/build/fuzz/$t" "$tmp/$t" "$OLDPWD/tests/fuzz/$t" -fork=1 -ignore_crashes=1 \
        -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
        -artifact_prefix="$OLDPWD/$out/" -print_final_stats=1) >"$log" 2>&1 || true
    ours=0 known=0
    for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*; do
        [ -f "$f" ] || continue
        "build/fuzz/$t" -timeout=20 -rss_limit_mb=2048 "$f" >"$f.txt" 2>&1 && rm -f "$f" "$f.txt" && continue
        # the first stack frame in housenet's code or in libhdf5, whichever comes first
        first=$(grep -E '^ +#[0-9]+ .*( in .*/(io|src|tools)/[a-z_0-9/]+\.c|libhdf5)' "$f.txt" | head -1)
        case $first in
        *libhdf5*) known=$((known + 1)); mv "$f" "$f.txt" "$out/hdf5/" ;;
        *) ours=$((ours + 1)); echo "$t: $f:"; grep -E 'ERROR|SUMMARY|^ +#[0-9]' "$f.txt" | head -30 ;;
        esac
    done
    execs=$(grep -E '^#[0-9]+' "$log" | tail -1)
    echo "$t: $secs s; last: ${execs:-none}; reproducers: $ours in housenet, $known in HDF5 ($out/hdf5/)"
    [ "$ours" -eq 0 ] || status=1
done
exit $status
