#!/bin/sh
# Hostile inputs and environments (docs/hardening.md): each gets one clean
# error line and the right exit status, bounded time and memory, and
# nothing outside what was asked for is touched. Devices are only ever
# written through shell redirection; "replace a device" cases use a FIFO.
# usage: hostile_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"
# expect STATUS WHAT PATTERN CMD...: CMD exits STATUS with one stderr line matching PATTERN.
expect() {
  want=$1 what=$2 pat=$3
  shift 3
  "$@" >out.txt 2>err.txt
  got=$?
  if [ "$got" -eq "$want" ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q -- "$pat" err.txt; then
    ok "$what"
  else
    bad "$what: exit $got (want $want), stderr: $(head -c 300 err.txt)"
  fi
}
# Runs CMD... with limits on CPU seconds ($1) and address space (MiB, $2).
# A sanitizer build maps terabytes of shadow memory: there only the CPU
# limit applies (and the sanitizer's own allocation-size checks).
SANITIZED=
grep -q __asan_init "$BIN" 2>/dev/null && SANITIZED=1
bounded() {
  cpu=$1 mem=$2
  shift 2
  if [ -n "$SANITIZED" ]; then
    (ulimit -t $((cpu * 4)) && exec "$@")
  else
    (ulimit -t "$cpu" && ulimit -v $((mem * 1024)) && exec "$@")
  fi
}

"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=2 --set run.dir=run --quiet >/dev/null 2>&1 ||
  { echo "FAIL - setup: train"; exit 1; }
head -50 "$SRC/datasets/ames_housing.csv" >in.csv
ncurves=$("$BIN" curves export run/curves.h5 --csv | wc -l)

# ---- 1. output paths (-o, convert's OUT) -----------------------------------
cp run/model.h5 model.before
expect 2 "predict -o onto model.h5 is refused" "is an HDF5 file" \
  "$BIN" predict --model run/model.h5 in.csv -o run/model.h5
if cmp -s run/model.h5 model.before && [ -z "$(ls run | grep tmp)" ]; then ok "model.h5 untouched"
else bad "model.h5 changed by predict -o"; fi
expect 2 "curves export -o onto best.h5 is refused" "is an HDF5 file" \
  "$BIN" curves export run/curves.h5 --csv -o run/best.h5
expect 2 "curves export -o its own input is refused" "is the input" \
  "$BIN" curves export run/curves.h5 --csv -o run/curves.h5
expect 2 "convert onto model.h5 is refused" "is a housenet-model file" \
  "$BIN" convert in.csv run/model.h5
if cmp -s run/model.h5 model.before; then ok "model.h5 untouched by convert"; else bad "convert replaced model.h5"; fi
expect 2 "predict -o INPUT is refused" "is the input" "$BIN" predict --model run/model.h5 in.csv -o in.csv
expect 2 "convert onto a directory is refused" "is a directory" "$BIN" convert in.csv run
# A symlink is followed: its target gets the output atomically, the link stays.
: >target.csv
ln -s target.csv link.csv
if "$BIN" predict --model run/model.h5 in.csv -o link.csv 2>err.txt && [ -L link.csv ] &&
   [ "$(wc -l <target.csv)" -eq 50 ]; then ok "predict -o a symlink writes its target"
else bad "predict -o symlink: link $(ls -l link.csv) target $(wc -l <target.csv) $(cat err.txt)"; fi
ln -s sub/made.csv dangling.csv
mkdir sub
if "$BIN" curves export run/curves.h5 --csv -o dangling.csv 2>err.txt && [ -L dangling.csv ] &&
   [ -s sub/made.csv ]; then ok "a dangling symlink creates its target"
else bad "dangling symlink: $(cat err.txt)"; fi
ln -s t.h5 tlink.h5
if "$BIN" convert in.csv tlink.h5 >/dev/null 2>err.txt && [ -L tlink.h5 ] && [ -f t.h5 ] &&
   "$BIN" convert in.csv tlink.h5 >/dev/null 2>>err.txt; then ok "convert through a symlink, twice"
else bad "convert symlink: $(cat err.txt)"; fi
chmod 600 target.csv
"$BIN" predict --model run/model.h5 in.csv -o target.csv 2>/dev/null
if [ "$(stat -c %a target.csv)" = 600 ]; then ok "a replaced file keeps its mode"
else bad "mode became $(stat -c %a target.csv)"; fi
# A FIFO is streamed to, not replaced.
mkfifo fifo
cat fifo >fifo.out &
reader=$!
if "$BIN" predict --model run/model.h5 in.csv -o fifo 2>err.txt && wait $reader && [ -p fifo ] &&
   [ "$(wc -l <fifo.out)" -eq 50 ]; then ok "predict -o FIFO streams into it"
else bad "predict -o FIFO: $(cat err.txt)"; fi
cat fifo >fifo.out &
reader=$!
if "$BIN" curves export run/curves.h5 --csv -o fifo 2>err.txt && wait $reader && [ -p fifo ] &&
   [ "$(wc -l <fifo.out)" -eq "$ncurves" ]; then ok "curves export -o FIFO streams into it"
else bad "curves -o FIFO: $(cat err.txt)"; fi
expect 2 "convert onto a FIFO is refused" "needs a regular file" "$BIN" convert in.csv fifo
[ -p fifo ] && ok "the FIFO is still a FIFO" || bad "the FIFO was replaced"
# Standard output: "-" and /dev/stdout stream (a pipe here).
n=$("$BIN" predict --model run/model.h5 in.csv -o - | wc -l)
[ "$n" -eq 50 ] && ok "predict -o - writes standard output" || bad "predict -o -: $n lines"
n=$("$BIN" curves export run/curves.h5 --csv -o /dev/stdout | wc -l)
[ "$n" -eq "$ncurves" ] && ok "curves -o /dev/stdout writes standard output" || bad "curves -o /dev/stdout: $n lines"
# A character device: /dev/null is opened and written, never replaced.
expect 1 "curves -o /dev/full: a write error, named" "/dev/full: cannot write: No space left" \
  "$BIN" curves export run/curves.h5 --csv -o /dev/full
[ -c /dev/full ] && ok "/dev/full is still a device" || bad "/dev/full is no longer a device"
expect 1 "an output in a directory that does not exist names it with the fix" \
  "nodir/sub/p.csv: cannot create .*: No such file or directory (there is no directory nodir/sub: make it first, mkdir -p nodir/sub)$" \
  "$BIN" predict --model run/model.h5 in.csv -o nodir/sub/p.csv
"$BIN" predict --model run/model.h5 in.csv -o /dev/null 2>err.txt && [ -c /dev/null ] &&
  ok "predict -o /dev/null" || bad "predict -o /dev/null: $(cat err.txt)"
if [ -z "$(find . -name '*.tmp-*')" ]; then ok "no temporary file left"; else bad "left: $(find . -name '*.tmp-*')"; fi

# ---- 2. one run per run dir ------------------------------------------------------
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1000000 --set run.dir=locked --quiet >/dev/null 2>&1 &
holder=$!
i=0
while [ ! -s locked/.lock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.2
start=$(date +%s)
expect 2 "a second train into a locked run dir is refused naming the holder" "in use by another housenet run (pid $holder)" \
  "$BIN" train "$SRC/configs/ames.ini" --set run.dir=locked --force --quiet
expect 2 "a resume of a locked run dir is refused naming the holder" "in use by another housenet run (pid $holder)" \
  "$BIN" train "$SRC/configs/ames.ini" --set run.dir=locked --resume --quiet
[ $(($(date +%s) - start)) -le 5 ] && ok "the refusals are immediate" || bad "the refusals waited"
kill -TERM $holder
wait $holder
[ $? -eq 143 ] && ok "the holder stops on SIGTERM" || bad "the holder did not stop with 143"
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=2 --set run.dir=locked --resume --quiet --force >/dev/null 2>err.txt &&
  ok "the lock is free once the holder ended" || bad "resume after the holder: $(cat err.txt)"
# A [run] dir that holds no run but other files ("/", ".", a data folder) is refused before anything is written there; --force
# writes beside them.
mkdir -p docs_dir && echo notes >docs_dir/notes.txt && echo 1 >docs_dir/a.csv
expect 2 "a run dir of other files is refused, naming some" \
  "docs_dir holds no housenet run but other files (.*notes.txt.*); .*pass --force to write beside them" \
  "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set run.dir=docs_dir --quiet
[ "$(ls -A docs_dir | sort | tr '\n' ' ')" = "a.csv notes.txt " ] && ok "the refusal wrote nothing there (no .lock)" ||
  bad "refused run dir now holds: $(ls -A docs_dir)"
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set run.dir=docs_dir --quiet --force >/dev/null 2>err.txt &&
  [ -f docs_dir/model.h5 ] && [ "$(cat docs_dir/notes.txt)" = notes ] &&
  ok "--force trains beside the other files, leaving them" || bad "--force into docs_dir: $(cat err.txt)"
# A [run] dir that is, or lies under, a file or a device is named as such at its key (it was a lock file or
# checkpoint listing error about "d.csv/x/checkpoints").
expect 2 "a run dir under a file is named at its key" \
  '^housenet: --set run.dir: \[run\] dir "docs_dir/a.csv/r": docs_dir/a.csv is a file, not a directory; set \[run\] dir to a directory' \
  "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set run.dir=docs_dir/a.csv/r --quiet
expect 2 "a run dir that is a device is named at its key" '"/dev/null": /dev/null is a device, not a directory' \
  "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set run.dir=/dev/null --resume --quiet

# ---- 3. HDF5 readers check declared shapes against the stored bytes --------------
# Copies of the run's files with datasets that declare far more than they
# store (h5py writes nothing for a dataset created without data).
cp run/model.h5 big_model.h5
cp run/curves.h5 big_curves.h5
cp "$(ls run/checkpoints/*.h5 | tail -1)" big_ckpt.h5
$PY - big_model.h5 big_curves.h5 big_ckpt.h5 <<'PYEOF' || bad "setup: h5py edits"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    g = f["model"]
    nin = g["W1"].shape[1]
    for k in list(g):
        del g[k]
    w = [nin, 30000, 30000, 1]
    g.attrs["layers"] = np.array(w, dtype=np.int32)
    g.attrs.create("activations", ["relu", "relu", "linear"], dtype=h5py.string_dtype())
    for l in range(3):
        g.create_dataset("W%d" % (l + 1), shape=(w[l + 1], w[l]), dtype="f8", chunks=True)
        g.create_dataset("b%d" % (l + 1), shape=(w[l + 1],), dtype="f8", chunks=True)
with h5py.File(sys.argv[2], "r+") as f:
    n = 1 << 36
    for k in ("step", "epoch", "loss", "learning_rate"):
        dt = "f8" if k in ("loss", "learning_rate") else "i8"
        del f["steps"][k]
        f["steps"].create_dataset(k, shape=(n,), dtype=dt, chunks=(1 << 16,))
with h5py.File(sys.argv[3], "r+") as f:
    f.create_dataset("zzz", shape=(1 << 36,), dtype="f8", chunks=(1 << 16,))
PYEOF
for cmd in "evaluate --model big_model.h5" "inspect big_model.h5" "predict --model big_model.h5 in.csv"; do
  # shellcheck disable=SC2086
  expect 1 "a model declaring 30000x30000 weights it does not store: ${cmd%% *}" \
    "big_model.h5: /model/W1 declares shape (30000, 2) (4.8e+05 bytes)\|/model/W2 declares shape (30000, 30000)" \
    bounded 20 1024 "$BIN" $cmd
done
expect 1 "curves declaring 2^36 steps it does not store" "/steps/step declares shape (68719476736,)" \
  bounded 20 1024 "$BIN" curves export big_curves.h5 --csv --steps
expect 1 "a checkpoint with a dataset declaring 2^36 values: inspect" "/zzz declares shape (68719476736,)" \
  bounded 20 1024 "$BIN" inspect big_ckpt.h5

# A file cut short (a copy or download interrupted) is said to be so, with
# its sizes, by every reader.
head -c 3000 run/model.h5 >cut_model.h5
head -c 2000 run/curves.h5 >cut_curves.h5
"$BIN" convert "$SRC/datasets/seed_example.csv" whole.h5 --quiet && head -c 1500 whole.h5 >cut_table.h5
for cmd in "evaluate --model cut_model.h5" "predict --model cut_model.h5 in.csv" "inspect cut_model.h5" \
           "curves export cut_curves.h5 --csv" "inspect cut_table.h5"; do
  file=$(echo "$cmd" | sed 's/.*\(cut_[a-z]*\.h5\).*/\1/')
  # shellcheck disable=SC2086
  expect 1 "a file cut short: ${cmd%% *} $file" \
    "^housenet: $file: the file is cut short: [0-9]* of its [0-9]* bytes are there; .*copy it again" "$BIN" $cmd
done

# ---- 4. the network against the machine; signals in every phase -----------------
big="--set model.hidden=30000,30000"
# shellcheck disable=SC2086
if bounded 20 1024 "$BIN" train "$SRC/configs/ames.ini" $big --dry-run >out.txt 2>err.txt &&
   grep -q "^about .* GiB: .*parameters 6.7 GiB (900150001).*; available .* (" out.txt; then
  ok "--dry-run of a 900M-parameter network prints the estimate without allocating it"
else bad "--dry-run big: $(cat err.txt) $(grep about out.txt)"; fi
# shellcheck disable=SC2086
expect 2 "train refuses a network larger than the memory available, before allocating" \
  "the run needs about .* GiB (900150001 parameters: 6.7 GiB, .*) but .* is available (.*); make \[model\] hidden smaller" \
  bounded 20 2048 "$BIN" train "$SRC/configs/ames.ini" $big --set run.dir=bignet
[ ! -e bignet ] && ok "nothing written for a refused network" || bad "bignet exists"
# shellcheck disable=SC2086
expect 2 "explain refuses it too" "the run needs about" bounded 20 2048 "$BIN" explain "$SRC/configs/ames.ini" $big
# SIGTERM (or SIGUSR1, SIGHUP) while the data loads, from a FIFO that no
# one writes (a load that blocks; the first signal was waited on until it
# ended): the process ends at once, 128 + the signal, saying so, nothing
# written; with --resume the run's files are as they were; --dry-run
# prints nothing.
sigload() { # SIG ARGS...: sets st, the status (or "hung" after 10 s)
  rm -f datafifo
  mkfifo datafifo
  sig=$1
  shift
  "$BIN" train "$SRC/configs/ames.ini" --set data.path="$WORK/datafifo" --set run.dir=sigload --quiet "$@" >out.txt 2>err.txt &
  sig_ends $! "$sig"
}
sig_ends() { # PID SIG: SIG after 0.5 s; sets st, the status (or "hung" after 10 s)
  pid=$1
  sleep 0.5
  kill -"$2" $pid
  n=0
  while kill -0 $pid 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
  if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid
    wait $pid
    st=hung
  else
    wait $pid
    st=$?
  fi
}
loaded_stop() { # WANT SIG WHAT: the status, the one line, nothing printed, no run dir (or an untouched one)
  if [ "$st" = "$1" ] && [ "$(cat err.txt)" = "housenet: stopped by $2 while the config and data loaded, before anything was written" ] &&
     [ ! -s out.txt ] && { [ ! -e sigload ] || [ "$(ls -lR --time-style=+%s.%N sigload)" = "$was" ]; }; then
    ok "$2 while the data loads: $3 ends at once ($1), nothing written"
  else bad "$2 while $3 loads: status $st, $(cat err.txt), out: $(head -c 200 out.txt)"; fi
}
sigload TERM
loaded_stop 143 SIGTERM "train"
sigload USR1 --dry-run
loaded_stop 138 SIGUSR1 "train --dry-run"
"$BIN" train "$SRC/configs/ames.ini" --set run.dir=sigload --set train.epochs=3 --quiet >/dev/null 2>&1 || bad "sigload run"
was=$(ls -lR --time-style=+%s.%N sigload)
sigload HUP --resume --set train.epochs=6
loaded_stop 129 SIGHUP "train --resume"
rm -rf sigload
rm -f cfgfifo
mkfifo cfgfifo
"$BIN" train cfgfifo >out.txt 2>err.txt &
sig_ends $! INT
loaded_stop 130 SIGINT "train reading a FIFO as its config"
# SIGTERM once the files are written, while the summary waits on a full
# pipe (a reader that stopped reading): the process ends at once, 143,
# with model.h5 complete; it waited for the reader before. The pipe is a
# FIFO filled with 64 KiB (its capacity) through a descriptor that keeps
# it open.
rm -f sumfifo
mkfifo sumfifo
exec 3<>sumfifo
head -c 65536 /dev/zero >&3
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=2 --set run.dir=sumrun --quiet >sumfifo 2>err.txt &
pid=$!
i=0
while [ ! -e sumrun/model.h5 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && alive=1 || alive=0
[ $alive -eq 1 ] && kill -KILL $pid
wait $pid
st=$?
exec 3<&-
if [ $alive -eq 0 ] && [ $st -eq 143 ] && $PY -c "import h5py, sys; h5py.File(sys.argv[1], 'r')['model']" sumrun/model.h5 &&
   [ -z "$(ls sumrun | grep tmp)" ]; then
  ok "SIGTERM while the summary waits on a full pipe ends the run at once (143), its files complete"
else bad "SIGTERM during the summary: alive $alive, exit $st, $(cat err.txt) $(ls sumrun)"; fi

# ---- 5. bounded reads -----------------------------------------------------------
# Each within 20 CPU seconds and 1 GiB of address space, with one line naming file:line.
C="$SRC/configs/ames.ini"
for cmd in "train $C --set data.path=/dev/zero --set run.dir=zero" "explain $C --set data.path=/dev/zero" \
           "inspect /dev/zero" "convert /dev/zero zero.h5" "predict --model run/model.h5 /dev/zero" \
           "evaluate --model run/model.h5 /dev/zero"; do
  # shellcheck disable=SC2086
  expect 1 "/dev/zero as data: ${cmd%% *}" "/dev/zero:1: a record longer than 1048576 bytes" bounded 20 1024 "$BIN" $cmd
done
[ ! -e zero ] && [ ! -e zero.h5 ] && ok "nothing written for /dev/zero" || bad "/dev/zero left files"
expect 2 "/dev/zero as the config" "/dev/zero:1:1: a NUL byte" bounded 20 1024 "$BIN" train /dev/zero
expect 2 "an endless stream of newlines as the config" "the config is longer than 1048576 bytes" \
  bounded 20 1024 sh -c "yes '' | \"\$0\" train /dev/stdin" "$BIN"
expect 1 "a directory as the config" "cannot read config: Is a directory" "$BIN" train run
printf '[data]\npath = x\000.csv\n' >nul.ini
expect 2 "a NUL byte in a config line" "nul.ini:2:9: a NUL byte" "$BIN" train nul.ini
expect 1 "a stream without line ends as data" "^housenet: -:1: more than 4096 fields in one record" \
  bounded 20 1024 sh -c "yes 1, | tr -d '\\n' | \"\$0\" predict --model run/model.h5 -" "$BIN"
expect 1 "an unclosed quote running to the end of a stream" ":2: a record longer than 1048576 bytes" \
  bounded 20 1024 sh -c "{ echo a,b; printf '\"'; yes x; } | \"\$0\" inspect /dev/stdin" "$BIN"
$PY -c "
import sys
n = 1000000
sys.stdout.write(','.join('c%d' % i for i in range(n)) + '\n' + ','.join('1' for i in range(n)) + '\n')" >wide.csv
for cmd in "convert wide.csv wide.h5" "inspect wide.csv" "predict --model run/model.h5 wide.csv"; do
  # shellcheck disable=SC2086
  expect 1 "a 1e6-column CSV: ${cmd%% *}" "wide.csv:1: more than 4096 fields in one record" bounded 20 1024 "$BIN" $cmd
done
$PY -c "
import sys
n = 4096
sys.stdout.write(','.join('c%d' % i for i in range(n)) + '\n' + (','.join('1' for i in range(n)) + '\n') * 2)" >w4096.csv
expect 0 "a 4096-column CSV converts" "" bounded 60 1024 sh -c "\"\$0\" convert w4096.csv w4096.h5 >/dev/null && echo done >&2" "$BIN"

# ---- 8. untrusted bytes on the terminal -------------------------------------------
printf 'a\033]0;pwned\007\033[31mRED,b\n1,2\n' >esc.csv
"$BIN" train "$SRC/configs/ames.ini" --set data.path="$WORK/esc.csv" >/dev/null 2>err.txt
if [ "$(wc -l <err.txt)" -eq 1 ] && ! LC_ALL=C grep -q "$(printf '\033')" err.txt && ! LC_ALL=C grep -q "$(printf '\007')" err.txt &&
   grep -qF 'columns are: a\x1B]0;pwned\x07\x1B[31mRED, b' err.txt; then
  ok "an escape sequence in a column name reaches stderr escaped"
else bad "escape sequence: $(od -c err.txt | head -3)"; fi
# Invalid UTF-8 is refused where it enters (a model or table file stores
# names, levels and the config as UTF-8 strings, which h5py must decode),
# each with file:line:col and the fix; the bytes shown escaped.
printf 'Gr_Liv_Area,a\377\376b,Sale_Price\n1,2,3\n4,5,6\n' >bad8.csv
for cmd in "inspect bad8.csv" "convert bad8.csv bad8.h5" "predict --model run/model.h5 bad8.csv" \
           "train $SRC/configs/ames.ini --set data.path=$WORK/bad8.csv --set run.dir=bad8run"; do
  # shellcheck disable=SC2086
  expect 1 "invalid UTF-8 in a column name: ${cmd%% *}" \
    'bad8.csv:1:2: column name "a\\xFF\\xFEb" is not UTF-8 text; save the file as UTF-8' "$BIN" $cmd
done
[ ! -e bad8.h5 ] && [ ! -e bad8run ] && ok "nothing written for an invalid UTF-8 column name" || bad "bad8: $(ls -d bad8*)"
# A binary file named as CSV (an HDF5 model renamed, an .xlsx workbook, a
# gzipped CSV) is named for what it is, in both CSV readers, not parsed
# into a header of binary bytes.
cp run/model.h5 h5named.dat
printf 'PK\003\004\024\000\006\000' >sheet.csv
gzip -c "$SRC/datasets/ames_housing.csv" >gz.csv
iconv -f UTF-8 -t UTF-16 "$SRC/datasets/seed_example.csv" >u16.csv # with its byte-order mark, as Excel saves it
for f in "h5named.dat:an HDF5 file, not CSV text; HDF5 tables are read by their name: call it NAME.h5" \
         "sheet.csv:a ZIP archive (an .xlsx workbook?), not CSV text; save the sheet as CSV" \
         "gz.csv:gzip-compressed, not CSV text; decompress it first" \
         "u16.csv:UTF-16 text (Excel's \"Unicode Text\", Notepad's \"Unicode\"), not CSV text; save it as \"CSV UTF-8\", or convert it: iconv -f UTF-16 -t UTF-8"; do
  file=${f%%:*}
  for cmd in "inspect $file" "predict --model run/model.h5 $file" \
             "train $SRC/configs/ames.ini --set data.path=$WORK/$file --set run.dir=binrun"; do
    # shellcheck disable=SC2086
    expect 1 "a binary file as CSV: ${cmd%% *} $file" "$file: this is ${f#*:}" "$BIN" $cmd
  done
done
[ ! -e binrun ] && ok "nothing written for a binary file as CSV" || bad "binrun: $(ls binrun)"
# ... and where a config is read (the model given to train instead of its config)
expect 2 "a model file as the config" "run/model.h5: this is an HDF5 file, not an INI config; give the command its config" \
  "$BIN" train run/model.h5
expect 2 "a gzipped file as the config" "gz.csv: this is gzip-compressed, not an INI config" "$BIN" train gz.csv --dry-run
iconv -f UTF-8 -t UTF-16 "$SRC/configs/ames.ini" >u16.ini
expect 2 "a UTF-16 config" "u16.ini: this is UTF-16 text (.*), not an INI config; save it as UTF-8, or convert it: iconv" \
  "$BIN" train u16.ini --dry-run
printf '[data]\npath = %s\nfeatures = Gr_Liv_Area, Qualit\351\ntarget = Sale_Price\n' "$SRC/datasets/ames_housing.csv" >latin1.ini
expect 2 "invalid UTF-8 in a config line" 'latin1.ini:3:31: a byte that is not UTF-8 ("\\xE9"); a config is UTF-8 text' \
  "$BIN" train latin1.ini --set run.dir=latin1run
expect 2 "invalid UTF-8 in a --set value" 'data.target=Pri\\xE9x: a byte that is not UTF-8' \
  "$BIN" train "$SRC/configs/ames.ini" --set "data.target=Pri$(printf '\351')x" --set run.dir=latin1run
# A control byte other than TAB is refused where it enters: a config line,
# a --set or --grid value, the config's path (the reports print them all).
ESC=$(printf '\033')
printf '[data]\npath = %s\nfeatures = Gr_Liv_Area\ntarget = Sale%s[1mPrice\n' "$SRC/datasets/ames_housing.csv" "$ESC" >ctl.ini
expect 2 "a control byte in a config line" 'ctl.ini:4:14: a control byte (\\x1B) in a config line; a config is plain text' \
  "$BIN" train ctl.ini --set run.dir=ctlrun
expect 2 "a control byte in a --set value" 'data.target=Sale\\x1B\[1mPrice: a control byte (\\x1B) at byte 17' \
  "$BIN" train "$SRC/configs/ames.ini" --set "data.target=Sale${ESC}[1mPrice" --set run.dir=ctlrun
expect 2 "a control byte in a --grid value" 'data.target=Sale_Price,Sale\\x1B\[1mPrice: a control byte (\\x1B) at byte 28' \
  "$BIN" sweep "$SRC/configs/ames.ini" --grid "data.target=Sale_Price,Sale${ESC}[1mPrice" --set run.dir=ctlrun
mkdir "c${ESC}[31m" && cp "$SRC/configs/ames.ini" "c${ESC}[31m/"
expect 2 "a control byte in the config's path" 'c\\x1B\[31m/ames.ini: a control byte (\\x1B) in the config.s path' \
  "$BIN" train "c${ESC}[31m/ames.ini" --set run.dir=ctlrun
[ ! -e ctlrun ] && ok "nothing written for a control byte in the config" || bad "ctlrun: $(ls ctlrun)"
# A relative path is made from the config's directory: one that is not
# UTF-8 would give a model file a stored config it could not read back.
mkdir "d$(printf '\351')" && printf '[data]\npath = x.csv\n' >"d$(printf '\351')/c.ini"
expect 2 "a config in a directory whose name is not UTF-8" \
  'd\\xE9/c.ini:2: \[data\] path: the config.s directory "d\\xE9/" is not UTF-8 text' "$BIN" train "d$(printf '\351')/c.ini"
# A text feature: a level that is not UTF-8 is refused at its cell; valid
# UTF-8 and an escape sequence in levels train, and h5py decodes every
# string the model file holds. A header name may hold an escape sequence
# too (it is UTF-8 text), though no config can name it.
{ printf 'size,hood,price,n%s[31mote\n' "$ESC"
  i=0
  while [ $i -lt 60 ]; do
    case $((i % 3)) in 0) lv="Caf$(printf '\303\251')" ;; 1) lv=North ;; *) lv="S${ESC}[2Jouth" ;; esac
    printf '%d,%s,%d,x\n' $((50 + i)) "$lv" $((1000 * i))
    i=$((i + 1))
  done; } >lv.csv
printf '[data]\npath = lv.csv\nfeatures = size, hood\ntarget = price\ntest_fraction = 0.2\n[model]\nhidden = 2\n[train]\nepochs = 2\n' >lv.ini
sed "5s/.*/55,Caf$(printf '\351'),5000,x/" lv.csv >lv8.csv
expect 1 "invalid UTF-8 in a level" 'lv8.csv:5:2: column "hood": the text "Caf\\xE9" is not UTF-8' \
  "$BIN" train lv.ini --set data.path="$WORK/lv8.csv" --set run.dir=lv8run
# convert stores a text column as UTF-8 strings: h5py decodes every cell
# of lv.csv's table; lv8.csv's cell is refused as the loader refuses it,
# and the table made before stays as it was, with no temporary file left.
"$BIN" convert lv.csv lv8.h5 >/dev/null 2>&1 || bad "setup: convert lv.csv lv8.h5"
if $PY - lv8.h5 <<'PYEOF'; then
import sys, h5py
texts = []
def visit(name, obj):
    if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "O":
        texts.extend(obj.asstr()[()])
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(visit)
if not {"Caf\u00e9", "North", "S\x1b[2Jouth", "x"} <= set(texts):
    sys.exit("texts: %r" % sorted(set(texts)))
PYEOF
  ok "h5py decodes every text cell convert stored"
else bad "h5py on a converted table"; fi
cp lv8.h5 lv8.before
expect 1 "invalid UTF-8 in a text cell: convert" \
  'lv8.csv:5:2: column "hood": the text "Caf\\xE9" is not UTF-8; save the file as UTF-8' "$BIN" convert lv8.csv lv8.h5
if cmp -s lv8.h5 lv8.before && [ -z "$(ls -a | grep '\.tmp-')" ]; then
  ok "a refused convert leaves the table made before and no temporary file"
else bad "convert lv8.csv: $(ls -a | grep 'lv8\|tmp')"; fi
# A text column of an HDF5 table with a level that is not UTF-8 (h5py
# stores the bytes it is given under a UTF-8 type).
$PY -c "
import h5py, numpy as np
with h5py.File('t8.h5', 'w') as f:
    f['size'] = np.arange(40, dtype=float)
    f.create_dataset('hood', data=np.array([b'Caf\xe9' if i == 3 else b'North' for i in range(40)], dtype=h5py.string_dtype('utf-8')))
    f['price'] = np.arange(40, dtype=float) * 1000" || bad "setup: t8.h5"
expect 1 "invalid UTF-8 in a text cell of an HDF5 table" 't8.h5: /hood: row 4: the text "Caf\\xE9" is not UTF-8' \
  "$BIN" train lv.ini --set data.path="$WORK/t8.h5" --set data.features=size,hood --set data.target=price --set run.dir=t8run
if "$BIN" train lv.ini --set run.dir=lvrun --quiet >out.txt 2>err.txt && $PY - lvrun/model.h5 <<'PYEOF'; then
import sys, h5py
bad = []
def strings(name, obj):
    for k in obj.attrs:
        try: obj.attrs[k]
        except Exception as e: bad.append("%s@%s: %s" % (name, k, e))
    if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "O":
        try: obj.asstr()[()]
        except Exception as e: bad.append("%s: %s" % (name, e))
with h5py.File(sys.argv[1], "r") as f:
    strings("/", f)
    f.visititems(strings)
    levels = [sorted(f["categories"][k]["levels"].asstr()[()]) for k in f["categories"] if k != "columns"]
if bad or ["Caf\u00e9", "North", "S\x1b[2Jouth"] not in levels:
    sys.exit("h5py: %s; levels %s" % (bad, levels))
PYEOF
  ok "h5py decodes every name and level stored in model.h5"
else bad "UTF-8 names and levels: $(head -c 300 err.txt)"; fi
# Bytes from the files reach stdout and stderr escaped: inspect (a CSV, a
# table, a model), evaluate, predict's warning. A predict into a file
# keeps the input's bytes (they are data); one to a terminal escapes them.
printf 'size,hood,price\n70,M%s]0;pwn\007ars,1\n' "$ESC" >lvnew.csv
"$BIN" convert lv.csv lv.h5 >/dev/null 2>&1 || bad "setup: convert lv.csv"
for cmd in "inspect lv.csv" "inspect lv.h5" "inspect lvrun/model.h5" "evaluate --model lvrun/model.h5 lvnew.csv" \
           "predict --model lvrun/model.h5 lvnew.csv -o lvout.csv"; do
  # shellcheck disable=SC2086
  "$BIN" $cmd >out.txt 2>err.txt
  if [ -s out.txt ] || [ -s err.txt ] && ! LC_ALL=C grep -q "$ESC" out.txt err.txt &&
     grep -q '\\x1B' out.txt err.txt; then ok "no escape sequence reaches the terminal: $cmd"
  else bad "escape in output: $cmd: $(od -c out.txt err.txt | grep -m3 033)"; fi
done
LC_ALL=C grep -q "M${ESC}]0;pwn" lvout.csv && ok "predict -o FILE keeps the input's bytes" || bad "predict -o: $(od -c lvout.csv | head -3)"
script -qec "\"$BIN\" predict --model lvrun/model.h5 lvnew.csv" /dev/null >out.txt 2>&1
if ! LC_ALL=C grep -q "$ESC" out.txt && grep -q 'M\\x1B\]0;pwn\\x07ars' out.txt; then
  ok "predict to a terminal escapes the input's cells"
else bad "predict on a terminal: $(od -c out.txt | grep -m3 033)"; fi
# The reports on a terminal: train's summary, --dry-run, explain, cv and
# sweep print the config (plain text by now) and, escaped, what comes
# from the data: the levels naming explain's inputs, the column names a
# failed sweep point's error lists.
for rep in 'train lv.ini --set run.dir=rep1|' 'train lv.ini --dry-run|' 'explain lv.ini|hood=S\\x1B\[2Jouth' \
           'cv lv.ini --folds 2 --set run.dir=rep2|' \
           'sweep lv.ini --grid data.target=nosuch,price --set run.dir=rep3|columns are: size, hood, price, n\\x1B\[31mote'; do
  cmd=${rep%%|*} want=${rep#*|}
  script -qec "\"$BIN\" $cmd --quiet" /dev/null >out.txt 2>&1
  if grep -q "${want:-.}" out.txt && ! LC_ALL=C grep -q "$ESC" out.txt; then
    ok "no escape sequence reaches the terminal: ${cmd%% --set*}"
  else bad "escape in a report: $cmd: $(od -c out.txt | grep -m3 ' 033')"; fi
done
# A failed sweep point's error quotes a cell that is not UTF-8: its
# result.txt and tables (results.h5, .json) hold it escaped, so that h5py
# and json decode them; so does a result.txt read back by --resume that
# holds raw bytes (an earlier version's, or edited).
"$BIN" sweep lv.ini --grid data.path=lv8.csv,lv.csv --set run.dir=rep4 --quiet >out.txt 2>err.txt
failpt=$(grep -l '^error lv8.csv:5:2: .*"Caf\\xE9" is not UTF-8' rep4/sweep/*/result.txt)
[ -n "$failpt" ] && ok "a failed sweep point's result.txt holds its error escaped" || bad "result.txt: $(cat rep4/sweep/*/result.txt)"
cat >sweeptab.py <<'PYEOF'
import json, sys, h5py
with open(sys.argv[1] + "/results.json", "rb") as f:
    errors = [p["error"] for p in json.loads(f.read().decode("utf-8"))["points"] if p["error"]]
with h5py.File(sys.argv[1] + "/results.h5", "r") as f:
    errors += [e for e in f["results/error"].asstr()[()] if e]
if len(errors) != 2 or not all('"Caf\\xE9" is not UTF-8' in e for e in errors):
    sys.exit("errors: %r" % errors)
PYEOF
if grep -q 'failed: lv8.csv:5:2: .*"Caf\\xE9" is not UTF-8' out.txt && $PY sweeptab.py rep4/sweep; then
  ok "a failed sweep point's error is stored escaped: h5py and json decode the tables"
else bad "sweep tables: $(head -c 300 out.txt err.txt)"; fi
[ -n "$failpt" ] && LC_ALL=C sed -i "s/^error .*/error \"Caf$(printf '\351')\" is not UTF-8 ${ESC}[31m/" "$failpt"
"$BIN" sweep lv.ini --grid data.path=lv8.csv,lv.csv --set run.dir=rep4 --quiet --resume >out.txt 2>err.txt
if grep -qF 'failed: "Caf\xE9" is not UTF-8 \x1B[31m' out.txt && ! LC_ALL=C grep -q "$ESC" out.txt &&
   $PY sweeptab.py rep4/sweep; then ok "sweep --resume escapes a result.txt's raw error"
else bad "sweep --resume of a raw error: $(head -c 300 out.txt err.txt)"; fi
printf 'Gr_Liv_Area\000junk,TotRms_AbvGrd,Sale_Price\n1,2,3\n4,5,6\n' >nulhead.csv
for cmd in "inspect nulhead.csv" "convert nulhead.csv nul.h5" "predict --model run/model.h5 nulhead.csv" \
           "train $SRC/configs/ames.ini --set data.path=$WORK/nulhead.csv --set run.dir=nulrun"; do
  # shellcheck disable=SC2086
  expect 1 "a NUL byte in a header name: ${cmd%% *}" "nulhead.csv:1:1: a column name holds a NUL byte" "$BIN" $cmd
done

# ---- 6. a write past the file size limit (as a full disk) -----------------------
mkdir fsz
for cmd in "convert $SRC/datasets/ames_housing.csv fsz/a.h5" "predict --model run/model.h5 $SRC/datasets/ames_housing.csv -o fsz/p.csv"; do
  # shellcheck disable=SC2086
  (ulimit -f 100 && exec "$BIN" $cmd) >out.txt 2>err.txt
  st=$?
  if [ $st -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "File too large" err.txt && [ -z "$(ls fsz)" ]; then
    ok "past ulimit -f: ${cmd%% *} fails cleanly, nothing left"
  else bad "ulimit -f ${cmd%% *}: exit $st, $(head -c 300 err.txt), left: $(ls fsz)"; fi
done

# A train that fails before its first epoch ends leaves no run directory it
# created (a failed first checkpoint write; a divergence in epoch 1), and
# keeps a directory that was there before.
(ulimit -f 4 && exec "$BIN" train "$SRC/configs/ames.ini" --set run.dir=fnew/r1 --quiet) >out.txt 2>err.txt
st=$?
if [ $st -eq 1 ] && grep -q "File too large" err.txt && [ ! -e fnew ]; then
  ok "a train whose first checkpoint cannot be written leaves no run directory"
else bad "ulimit -f train: exit $st, $(head -c 300 err.txt), left: $(find fnew 2>/dev/null)"; fi
mkdir -p fkeep
"$BIN" train "$SRC/configs/ames.ini" --set run.dir=fkeep/a/b --set train.learning_rate=1e9 \
  --set train.divergence_retries=0 --quiet >out.txt 2>err.txt
st=$?
if [ $st -eq 1 ] && grep -q "training diverged at epoch 1" err.txt && [ -d fkeep ] && [ -z "$(ls -A fkeep)" ] &&
   grep -q "; a run that fails in its first epoch leaves no files, so its run directory holds none$" err.txt; then
  ok "a train that diverges in epoch 1 removes the directories it made, not the one that was there"
else bad "divergence in epoch 1: exit $st, $(head -c 300 err.txt), left: $(find fkeep)"; fi

# SIGTERM while an output is being written leaves no temporary file: predict
# blocked on its input (a FIFO no one writes), convert in the middle of a
# large file.
# term_leaves_nothing WHAT TMP CMD...: CMD in the background, SIGTERM once
# its temporary file TMP* exists; exit 143 and nothing named sigout left.
term_leaves_nothing() {
  what=$1 tmp=$2
  shift 2
  "$@" >out.txt 2>err.txt &
  pid=$!
  i=0
  while [ $i -lt 200 ] && ! ls | grep -q "$tmp"; do sleep 0.05; i=$((i + 1)); done
  kill -TERM $pid
  wait $pid
  st=$?
  if [ $i -lt 200 ] && [ $st -eq 143 ] && [ -z "$(ls | grep sigout)" ]; then
    ok "SIGTERM during $what leaves no temporary file (143)"
  else bad "SIGTERM during $what: exit $st, waited $i, left: $(ls | grep sigout)"; fi
  rm -f sigout*
}
rm -f sigin.csv
mkfifo sigin.csv
term_leaves_nothing "predict -o" sigout.csv.tmp- "$BIN" predict --model run/model.h5 sigin.csv -o sigout.csv
awk 'BEGIN { print "a,b,c,d"; for (i = 0; i < 1000000; i++) print i "," i * 2 "," i % 7 "," i / 3 }' >big.csv
term_leaves_nothing convert sigout.h5.tmp- "$BIN" convert big.csv sigout.h5 --quiet
rm -f big.csv

# ---- 9. messages that mislead ------------------------------------------------------
# A value from --set is blamed on --set section.key, never on a line of the
# file (which may set the same key, or another one the check compares).
expect 2 "a --set value a cross-key check refuses is blamed on --set" \
  "^housenet: --set train.min_lr: \[train\] min_lr = 0.5 is above learning_rate" \
  "$BIN" train "$SRC/configs/ames_full.ini" --set train.min_lr=0.5 --dry-run
expect 2 "an [init] value from --set is blamed on --set" \
  "^housenet: --set init.W1: \[init\] values are given but \[model\] init is not explicit" \
  "$BIN" train "$SRC/configs/ames.ini" --set init.W1=1,2 --dry-run
expect 2 "an [init] value of the wrong size from --set is blamed on --set" \
  "^housenet: --set init.W1: \[init\] W1 has 1 values; the network needs 4" \
  "$BIN" explain "$SRC/configs/ames.ini" --set model.init=explicit --set init.W1=1 --set init.b1=0,0 \
  --set init.W2=1,1 --set init.b2=0
# A number with a no-break space (as spreadsheets export "1 000") or a
# zero-width space shows as a number in the message: the message names the
# character, and the sed command it gives mends the file.
printf 'Gr_Liv_Area,TotRms_AbvGrd,Sale_Price\n' >nbsp.csv
i=1
while [ $i -le 30 ]; do echo "$((1000 + i * 17)),$((4 + i % 5)),$((100000 + i * 997))" >>nbsp.csv; i=$((i + 1)); done
printf '10\342\200\2570\302\24000,5,123456\n' >>nbsp.csv
expect 1 "a no-break space in a number is named, with its fix" \
  "nbsp.csv:32:1: column \"Gr_Liv_Area\": expected a number, got .*U+202F (a narrow no-break space).*sed -i 's/\\\\xE2\\\\x80\\\\xAF//g' .*/nbsp.csv$" \
  "$BIN" train "$SRC/configs/ames.ini" --set data.path="$WORK/nbsp.csv" --set run.dir=nbsprun --dry-run
eval "$(sed -n "s/.*\(sed -i '[^']*'\) .*/\1/p" err.txt) nbsp.csv"
expect 1 "after that fix, the next character is named" "nbsp.csv:32:1: .*U+00A0 (a no-break space)" \
  "$BIN" predict --model run/model.h5 nbsp.csv
eval "$(sed -n "s/.*\(sed -i '[^']*'\) nbsp.csv$/\1/p" err.txt) nbsp.csv"
if "$BIN" predict --model run/model.h5 nbsp.csv >out.txt 2>err.txt && grep -q "^10000,5," out.txt
then ok "the sed commands given mend the file (1 000 reads as 10000)"
else bad "nbsp fix: $(cat err.txt) $(tail -1 out.txt)"; fi
printf '[train]\nepochs = 5\342\200\213\n' >zw.ini
expect 2 "a zero-width space in a config value is named" \
  "zw.ini:2: \[train\] epochs: expected a whole number, got .*U+200B (a zero-width space), which is not a space to housenet: delete it$" \
  "$BIN" train zw.ini --dry-run
# predict's header and cells, as train's: a feature column twice, a name
# that differs in case, a file with another delimiter, an empty cell.
printf 'Gr_Liv_Area,TotRms_AbvGrd,Gr_Liv_Area\n1500,6,1600\n' >twice.csv
expect 1 "predict: a feature column twice in the header is refused" \
  'twice.csv:1: column "Gr_Liv_Area" appears twice in the header (columns 1 and 3); rename one of them' \
  "$BIN" predict --model run/model.h5 twice.csv
printf 'gr_liv_area,TotRms_AbvGrd\n1500,6\n' >case.csv
expect 1 "predict: a column name in another case gets a did-you-mean" \
  'case.csv:1: no column "Gr_Liv_Area" (did you mean "gr_liv_area"?), which the model reads' \
  "$BIN" predict --model run/model.h5 case.csv
printf 'Gr_Liv_Area;TotRms_AbvGrd\n1500;6\n' >semi.csv
expect 1 "predict: a file with another delimiter is named so" \
  "semi.csv:1: no column .*the header has one column: is the delimiter ';'?$" \
  "$BIN" predict --model run/model.h5 semi.csv
printf 'Gr_Liv_Area,TotRms_AbvGrd\n1500,6\n1600, \n' >hole.csv
expect 1 "predict: an empty cell is a missing value, not a bad number" \
  'hole.csv:3:2: column "TotRms_AbvGrd": missing value; the model needs every feature of a row to predict it' \
  "$BIN" predict --model run/model.h5 hole.csv
# evaluate keeps the model's [data] missing = error: its fix is the data's,
# not a config key the model does not read again.
printf 'Gr_Liv_Area,TotRms_AbvGrd,Sale_Price\n1500,6,150000\n1600,,160000\n' >evhole.csv
expect 1 "evaluate: a missing cell's fix is the data's, not a config key" \
  'evhole.csv:3:2: column "TotRms_AbvGrd": missing value; fill the cell or drop the row (the model was trained with \[data\] missing = error, which it keeps)$' \
  "$BIN" evaluate --model run/model.h5 evhole.csv
# evaluate on new rows without the target: the command that does take them.
printf 'Gr_Liv_Area,TotRms_AbvGrd\n1500,6\n' >noprice.csv
expect 1 "evaluate: a file without the target points to predict" \
  'noprice.csv:1: no column "Sale_Price"; columns are: Gr_Liv_Area, TotRms_AbvGrd; scoring needs the target, Sale_Price: for predictions on rows without it, use housenet predict$' \
  "$BIN" evaluate --model run/model.h5 noprice.csv
# R^2 on a constant target (whose mean is not exact in binary) is undefined, not -1e29.
printf 'Gr_Liv_Area,TotRms_AbvGrd,Sale_Price\n' >const.csv
i=1
while [ $i -le 30 ]; do echo "$((1000 + i * 17)),$((4 + i % 5)),123456.7" >>const.csv; i=$((i + 1)); done
"$BIN" evaluate --model run/model.h5 const.csv >out.txt 2>err.txt
if grep -q "^model  .* undefined$" out.txt && ! grep -q "e+\|-[0-9]\{6,\}\.[0-9]*$" out.txt; then ok "R^2 on a constant target is undefined"
else bad "R^2 constant: $(cat out.txt err.txt)"; fi
"$BIN" evaluate --model run/model.h5 const.csv --json >out.txt 2>err.txt
grep -q '"r2": null' out.txt && ok "R^2 on a constant target is null in --json" || bad "json r2: $(head -c 200 out.txt)"
# --json names the data file as given: a name with DEL, a C1 control (U+009B,
# a CSI to some terminals), ESC and a Latin-1 byte is escaped into UTF-8 that
# json reads back, with no control byte left raw.
odd=$(printf 'd\177\302\233\033[31m\351.csv')
cp const.csv "$odd"
"$BIN" evaluate --model run/model.h5 "$odd" --json >out.txt 2>err.txt
if $PY -c 'import json, re, sys
raw = open(sys.argv[1], "rb").read()
src = json.loads(raw.decode("utf-8"))["data"]
assert not re.search("[\x00-\x1f\x7f-\x9f]", raw.decode("utf-8").rstrip("\n")), raw
assert src == "d\x7f\x9b\x1b[31m\\xE9.csv", src' out.txt 2>py.txt
then ok "evaluate --json: control bytes and a byte that is not UTF-8 in a path are escaped"
else bad "json escaping: $(cat err.txt py.txt)"; fi
expect 2 "help bogus exits 2" 'no command "bogus"' "$BIN" help bogus

# ---- 7. write errors on standard output ---------------------------------------
# /dev/full is only ever written through redirection.
full() {
  what=$1
  shift
  "$@" >/dev/full 2>err.txt
  got=$?
  if [ "$got" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "standard output.*: No space left on device" err.txt; then
    ok "stdout on /dev/full: $what"
  else bad "stdout on /dev/full: $what: exit $got, $(head -c 300 err.txt)"; fi
}
full "evaluate" "$BIN" evaluate --model run/model.h5
full "evaluate --json" "$BIN" evaluate --model run/model.h5 --json
full "inspect" "$BIN" inspect run/model.h5
full "inspect CSV" "$BIN" inspect in.csv
full "explain" "$BIN" explain "$SRC/configs/seed_example.ini"
full "help config" "$BIN" help config
full "help" "$BIN" help
full "train --dry-run" "$BIN" train "$SRC/configs/ames.ini" --dry-run
full "the train summary" "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set run.dir=fullrun --quiet
full "predict to stdout" "$BIN" predict --model run/model.h5 in.csv
full "curves export to stdout" "$BIN" curves export run/curves.h5 --csv

finish
