#!/bin/sh
# Files that crash or hang libhdf5 1.10.8 itself (the reproducers kept in
# tests/fuzz_hdf5/, docs/hardening.md) through every command that reaches
# them: each is read first in a child process (io/h5guard.c), so the
# command ends with one error line naming the file as damaged, exit 1 (not
# a signal, not a hang), leaving nothing behind: no output file, no
# temporary file, no core file, no process.
# usage: h5guard_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"
# A hang costs the time limit: 3 s here instead of H5GUARD_SECONDS; 10 s
# under the sanitizers, where a crashed child first symbolizes its report.
# There a crash is the sanitizer's report and exit status 1, not the signal.
HOUSENET_H5GUARD_SECONDS=3 SIGABRT="(SIGABRT)" SIGSEGV="(SIGSEGV)"
if grep -q __asan_init "$BIN" 2>/dev/null; then
  HOUSENET_H5GUARD_SECONDS=10 SIGABRT="(" SIGSEGV="("
fi
export HOUSENET_H5GUARD_SECONDS
REPRO=$SRC/tests/fuzz_hdf5
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=2 --set run.dir=run --quiet >/dev/null 2>&1 ||
  { echo "FAIL - setup: train"; exit 1; }
head -50 "$SRC/datasets/ames_housing.csv" >in.csv
# Absolute names: a leftover child process shows them in its arguments.
cp "$REPRO/fuzz_checkpoint/crash-2ea4d6b5" "$WORK/ckpt-crash.h5"
cp "$REPRO/fuzz_checkpoint/timeout-09f763ad" "$WORK/ckpt-hang.h5"
cp "$REPRO/fuzz_model/timeout-bfcabb0f" "$WORK/model-hang.h5"
cp "$REPRO/fuzz_checkpoint/leak-57bfa97d" "$WORK/ckpt-leak.h5"
listing() { find . -path ./err.txt -prune -o -path ./out.txt -prune -o -print | sort; }

# damaged HOW FILE WHAT CMD...: CMD ends within 30 s with exit status 1 and
# one stderr line `FILE: the file is damaged: the HDF5 library HOW`; the
# directory holds what it held, and no process still reads FILE.
damaged() {
  how=$1 file=$2 what=$3
  shift 3
  before=$(listing)
  timeout -s KILL 30 "$@" >out.txt 2>err.txt
  got=$?
  left=$(ps -C housenet -o args= | grep -c -F "$file")
  if [ "$got" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
    grep -q -F -- "$file: the file is damaged: the HDF5 library $how" err.txt &&
    [ "$(listing)" = "$before" ] && [ "$left" -eq 0 ]; then
    ok "$what"
  else
    bad "$what: exit $got (want 1), $left processes left, stderr: $(head -c 300 err.txt)"
    [ "$(listing)" = "$before" ] || bad "$what: left behind: $(listing | tr '\n' ' ')"
  fi
}
CRASH="crashed reading it $SIGABRT"
HANG="did not finish reading it within $HOUSENET_H5GUARD_SECONDS s"

damaged "$CRASH" "$WORK/ckpt-crash.h5" "inspect: a checkpoint whose link table aborts HDF5" \
  "$BIN" inspect "$WORK/ckpt-crash.h5"
damaged "$CRASH" "$WORK/ckpt-crash.h5" "train --resume CKPT: a checkpoint that aborts HDF5" \
  "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=3 --set run.dir=run --quiet --resume "$WORK/ckpt-crash.h5"
damaged "$HANG" "$WORK/ckpt-hang.h5" "train --resume CKPT: a checkpoint whose global heap hangs HDF5" \
  "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=3 --set run.dir=run --quiet --resume "$WORK/ckpt-hang.h5"
damaged "$HANG" "$WORK/model-hang.h5" "evaluate: a model whose global heap hangs HDF5" \
  "$BIN" evaluate --model "$WORK/model-hang.h5"
damaged "$HANG" "$WORK/model-hang.h5" "predict -o: a model that hangs HDF5, no output written" \
  "$BIN" predict --model "$WORK/model-hang.h5" in.csv -o pred.csv
damaged "$HANG" "$WORK/model-hang.h5" "curves export -o: a file that hangs HDF5, no output written" \
  "$BIN" curves export "$WORK/model-hang.h5" --csv -o curves.csv
damaged "$HANG" "$WORK/model-hang.h5" "inspect: a model that hangs HDF5" \
  "$BIN" inspect "$WORK/model-hang.h5"
# As a data table, the damaged checkpoint holds no table "nosuch": looking
# for the tables it does hold visits its damaged group (SIGSEGV).
TABLE="--set data.path=$WORK/ckpt-crash.h5 --set data.table=nosuch --set run.dir=newrun --quiet"
SEGV="crashed reading it $SIGSEGV"
damaged "$SEGV" "$WORK/ckpt-crash.h5" "train: a data table that crashes HDF5, no run dir made" \
  "$BIN" train "$SRC/configs/ames.ini" $TABLE
damaged "$SEGV" "$WORK/ckpt-crash.h5" "train, [data] stream = true: a data table that crashes HDF5" \
  "$BIN" train "$SRC/configs/ames.ini" $TABLE --set data.stream=true
damaged "$SEGV" "$WORK/ckpt-crash.h5" "explain: a data table that crashes HDF5" \
  "$BIN" explain "$SRC/configs/ames.ini" $TABLE
damaged "$SEGV" "$WORK/ckpt-crash.h5" "cv: a data table that crashes HDF5" \
  "$BIN" cv "$SRC/configs/ames.ini" $TABLE --folds 2

# A run dir whose newest checkpoint aborts HDF5: renamed *.damaged with a
# warning that says so, and the run resumes from the one before.
cp "$WORK/ckpt-crash.h5" run/checkpoints/ckpt-e000009-s000000999.h5
timeout -s KILL 60 "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=3 --set run.dir=run --quiet --resume \
  >out.txt 2>err.txt
got=$?
if [ "$got" -eq 0 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
  grep -q -F "warning: run/checkpoints/ckpt-e000009-s000000999.h5: the file is damaged: the HDF5 library $CRASH" err.txt &&
  [ -f run/checkpoints/ckpt-e000009-s000000999.h5.damaged ] && grep -q "^epochs 3 " out.txt; then
  ok "train --resume RUN: a newest checkpoint that aborts HDF5 is set aside, the previous one resumed"
else
  bad "train --resume RUN past a checkpoint that aborts HDF5: exit $got, stderr: $(head -c 300 err.txt)"
fi

# convert's OUT that hangs HDF5 (its format is read, so that a model is
# never replaced) is an unreadable file: replaced by the table.
cp "$WORK/model-hang.h5" "$WORK/out-hang.h5"
timeout -s KILL 30 "$BIN" convert in.csv "$WORK/out-hang.h5" --quiet >out.txt 2>err.txt
got=$?
if [ "$got" -eq 0 ] && [ ! -s err.txt ] && "$BIN" inspect "$WORK/out-hang.h5" 2>/dev/null | grep -q "^rows 49$"; then
  ok "convert: an OUT.h5 that hangs HDF5 is replaced"
else
  bad "convert onto an OUT.h5 that hangs HDF5: exit $got, stderr: $(head -c 300 err.txt)"
fi

# A damaged file that HDF5 refuses cleanly is the reader's own error, as
# before. (HDF5 leaks what it allocated for it: no LeakSanitizer here.)
ASAN_OPTIONS=detect_leaks=0 timeout -s KILL 30 "$BIN" inspect "$WORK/ckpt-leak.h5" >out.txt 2>err.txt
got=$?
if [ "$got" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "H5Fopen failed" err.txt && ! grep -q "the file is damaged" err.txt; then
  ok "inspect: HDF5's own error on a file it refuses, through the guard"
else
  bad "inspect of a file HDF5 refuses: exit $got, stderr: $(head -c 300 err.txt)"
fi
[ -z "$(find . -name 'core*' -o -name '*.tmp-*')" ] && ok "no core or temporary file" ||
  bad "left: $(find . -name 'core*' -o -name '*.tmp-*')"
finish h5guard
