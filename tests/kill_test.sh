#!/bin/sh
# Interrupted runs end exactly where an uninterrupted one does:
#  1. SIGKILL at 20 seeded random moments of one run (restarted with
#     --resume after each kill, alternating 1 and 2 threads): after every
#     kill the newest checkpoint verifies, no resume ever meets a damaged
#     checkpoint, and the final model.h5 and curves (train_loss, val_loss
#     per epoch) are bit-identical to an uninterrupted run's, with one row
#     per epoch.
#  2. SIGINT, SIGHUP and SIGTERM: exit 130, 129 and 143 after writing a
#     checkpoint whose path is printed; resuming from it ends bit-identical.
#     SIGPIPE (progress lines to a reader gone): exit 141, a checkpoint.
#  3. A checkpoint write that fails (file size limit, as on a full disk):
#     the run exits 1 naming the file and the reason, the previous
#     checkpoint is intact, and resuming later ends bit-identical.
#  4. A run stopped inside an epoch that later rolls back after a
#     divergence: resumed, it rolls back to the same point and ends
#     bit-identical.
# usage: kill_test.sh HOUSENET SOURCE_DIR [SEED]
. "$(dirname "$0")/testlib.sh"
SEED=${3:-20261128}
CONFIG=$SRC/configs/ames.ini
msg=""

# A checkpoint every 50 steps and every epoch (65 steps), so that many
# kills land during a write.
SETS="--set model.hidden=16,16 --set train.epochs=100000 --set run.checkpoint_every_steps=50
      --set run.checkpoint_every=1 --set run.keep_checkpoints=2"
train() { # DIR THREADS [ARGS...]: housenet train into DIR, quiet
  dir=$1; threads=$2; shift 2
  # shellcheck disable=SC2086
  "$BIN" train "$CONFIG" $SETS --set "run.dir=$dir" --set "train.threads=$threads" --quiet "$@"
}
# The same in the background, as the process itself (exec), so that $! is
# housenet's pid and a signal reaches housenet, not a subshell.
train_bg() { # OUT ERR DIR THREADS [ARGS...]
  out=$1; errf=$2; shift 2
  (exec >"$out" 2>"$errf"; train_exec "$@") &
}
train_exec() {
  dir=$1; threads=$2; shift 2
  # shellcheck disable=SC2086
  exec "$BIN" train "$CONFIG" $SETS --set "run.dir=$dir" --set "train.threads=$threads" --quiet "$@"
}
newest() { ls "$1"/checkpoints/ckpt-*.h5 2>/dev/null | tail -n 1; }

# Compares model.h5 parameters and curves of run DIR with REF.
same_run() { # REF DIR
  $PY - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
ref, run = sys.argv[1], sys.argv[2]
with h5py.File(ref + "/model.h5", "r") as a, h5py.File(run + "/model.h5", "r") as b:
    for k in a["model"]:
        if a["model"][k][()].tobytes() != b["model"][k][()].tobytes():
            sys.exit("model/%s differs" % k)
with h5py.File(ref + "/curves.h5", "r") as a, h5py.File(run + "/curves.h5", "r") as b:
    n = a["curves/epoch"].shape[0]
    if list(b["curves/epoch"][()]) != list(range(n)):
        sys.exit("curve epochs %s, expected 0..%d" % (list(b["curves/epoch"][()]), n - 1))
    for c in ("train_loss", "val_loss"):
        if a["curves"][c][()].tobytes() != b["curves"][c][()].tobytes():
            sys.exit("curves/%s differs" % c)
PYEOF
}

epoch_of() { # a checkpoint path -> its epoch
  basename "$1" | sed 's/^ckpt-e0*\([0-9][0-9]*\)-.*/\1/'
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- 1. SIGKILL at 20 random moments -----------------------------------
# [train] epochs is huge, so that every kill lands mid-run however fast the
# machine; the run is then finished at a few epochs past where the kills
# left it (epochs may change on resume) and compared with a run of that
# many epochs that was never interrupted. Kills fall in the first
# (start-up + 80) ms of each process, start-up being the time a run of 0
# epochs takes here (about 30 ms in release, much more under sanitizers):
# some before the first checkpoint, most during training and writes.
t0=$(now_ms)
train calib 1 --set train.epochs=0 >/dev/null 2>&1
startup=$(( $(now_ms) - t0 ))
span=$((startup + 80))
echo "# start-up ${startup} ms: kills within ${span} ms of each start"
x=$SEED
kills=0
alive_at_kill=0
damaged=0
unverified=0
train_bg /dev/null kill.err kill 2
pid=$!
while :; do
  x=$(( (x * 1103515245 + 12345) % 2147483648 ))
  ms=$(( 1 + (x / 65536) % span ))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  status=$?
  kills=$((kills + 1))
  [ $status -eq 137 ] && alive_at_kill=$((alive_at_kill + 1))
  grep -q damaged kill.err && damaged=$((damaged + 1))
  last=$(newest kill)
  [ -n "$last" ] && { "$BIN" inspect "$last" >/dev/null 2>&1 || unverified=$((unverified + 1)); }
  echo "# kill $kills after ${ms} ms: status $status, newest checkpoint ${last:-none}"
  [ $kills -eq 20 ] && break
  threads=$((1 + kills % 2))
  if [ -z "$last" ]; then
    # Killed before the first checkpoint: nothing to resume, start again.
    train_bg /dev/null kill.err kill $threads
  else
    train_bg /dev/null kill.err kill $threads --resume
  fi
  pid=$!
done
if [ $alive_at_kill -eq 20 ]; then ok "20 SIGKILLs, each of a running process"
else bad "only $alive_at_kill of 20 kills hit a running process"; fi
if [ $unverified -eq 0 ]; then ok "after every kill the newest checkpoint verifies"
else bad "$unverified newest checkpoints failed to verify"; fi
if [ $damaged -eq 0 ]; then ok "no resume met a damaged checkpoint"
else bad "$damaged resumes reported a damaged checkpoint"; fi

# ---- 2. SIGINT and SIGTERM ------------------------------------------------
stop_with() { # SIGNAL STATUS THREADS [ARGS...]
  sig=$1; want=$2; threads=$3; shift 3
  train_bg /dev/null sig.err sig "$threads" "$@"
  p=$!
  ms=$((startup + 100)) # into training
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -"$sig" "$p"
  wait "$p"
  got=$?
  path=$(sed -n 's/.*; checkpoint \([^;]*\.h5\);.*/\1/p' sig.err)
  if [ "$got" -eq "$want" ] && [ -n "$path" ] && [ "$(newest sig)" = "$path" ] &&
     grep -q "stopped by SIG$sig after step" sig.err && "$BIN" inspect "$path" >/dev/null; then
    ok "SIG$sig: exit $want, checkpoint written and named ($(basename "$path"))"
  else
    bad "SIG$sig: status $got (want $want), newest $(newest sig), stderr: $(cat sig.err)"
  fi
}
stop_with INT 130 2
stop_with HUP 129 2 --resume # the terminal or ssh session closed
stop_with TERM 143 1 --resume

# SIGPIPE: the reader of the progress lines went away (`train 2>&1 | head`).
# The run stops as by SIGTERM, with a checkpoint after a step, exit 141;
# it died at its next line, with no checkpoint past the start.
# shellcheck disable=SC2086
("$BIN" train "$CONFIG" $SETS --set run.dir=pipe --set train.threads=1 2>&1; echo $? >pipe.rc) | head -c 1 >/dev/null
last=$(newest pipe)
if [ "$(cat pipe.rc)" = 141 ] && [ -n "$last" ] && ! basename "$last" | grep -q -- '-s000000000\.h5$' &&
   "$BIN" inspect "$last" >/dev/null; then
  ok "SIGPIPE: exit 141, a checkpoint after a step ($(basename "$last"))"
else
  bad "SIGPIPE: status $(cat pipe.rc), newest ${last:-none}"
fi

# ---- both runs to the end, against one that was never interrupted --------
a=$(epoch_of "$(newest kill)"); b=$(epoch_of "$(newest sig)")
a=${a:-0}; b=${b:-0}
end=$(( (a > b ? a : b) + 2 ))
echo "# finishing at epoch $end"
# Checkpoint cadence does not change results: the reference writes few.
train ref 2 --set "train.epochs=$end" --set run.checkpoint_every_steps=0 --set run.checkpoint_every=0 \
  >/dev/null 2>ref.err || bad "reference run: $(cat ref.err)"
resume=--resume
[ -z "$(newest kill)" ] && resume=--force # every kill came before the first checkpoint
if train kill 2 $resume --set "train.epochs=$end" >/dev/null 2>kill.err && msg=$(same_run ref kill 2>&1); then
  ok "after 20 kills and resumes: parameters and curves bit-identical to the uninterrupted run"
else
  bad "killed run: $msg $(cat kill.err)"
fi
if ls kill kill/checkpoints | grep -q tmp; then bad "temporary files left: $(ls kill kill/checkpoints)"
else ok "no temporary file of a killed writer is left"; fi
if train sig 1 --resume --set "train.epochs=$end" --set run.checkpoint_every_steps=0 --set run.checkpoint_every=0 \
     >/dev/null 2>sig.err && msg=$(same_run ref sig 2>&1); then
  ok "resumed after SIGINT, SIGHUP and SIGTERM: bit-identical to the uninterrupted run"
else
  bad "resume after signals: $msg $(cat sig.err)"
fi

# ---- 3. a checkpoint write that fails --------------------------------------
# A bigger network, so that a checkpoint is larger than curves.h5 and
# best.h5 and a file size limit between them fails the checkpoint only.
SETS="--set model.hidden=64,64 --set train.epochs=4 --set run.checkpoint_every=1"
train wref 2 >/dev/null 2>&1
train wf 2 --set train.epochs=2 >/dev/null 2>&1
before=$(newest wf)
size=$(wc -c <"$before")
blocks=$(( (size - 4096) / 512 )) # ulimit -f counts 512-byte blocks in sh
(
  trap '' XFSZ # write() then fails with EFBIG instead of the process dying
  ulimit -f "$blocks"
  train wf 1 --resume >/dev/null 2>wf.err
)
status=$?
if [ $status -eq 1 ] && [ "$(wc -l <wf.err)" -eq 1 ] && grep -q "checkpoints/ckpt-.*File too large" wf.err &&
   [ "$(newest wf)" = "$before" ] && "$BIN" inspect "$before" >/dev/null &&
   ! ls wf/checkpoints | grep -q tmp; then
  ok "a failed checkpoint write: exit 1 naming it, the previous checkpoint intact, no temporary file"
else
  bad "failed write: status $status, newest $(newest wf) (was $before), stderr: $(cat wf.err)"
fi
if train wf 2 --resume >/dev/null 2>wf.err && msg=$(same_run wref wf 2>&1); then
  ok "resumed after the failed write: bit-identical to the uninterrupted run"
else
  bad "resume after the failed write: $msg $(cat wf.err)"
fi

# ---- 4. a run stopped mid-epoch, before a divergence rollback -------------
# With a rate that warms up to 4, the mean training loss of epoch 6 blows
# up and the run rolls back to the end of epoch 5 at a tenth of the rate.
# A run allowed no rollback stops there, leaving checkpoints from inside
# epoch 6; resumed from each with rollbacks allowed, it must roll back to
# the same point (the epoch's start, which the checkpoint keeps) and end
# as the run that was never interrupted, events included.
SETS="--set model.hidden=16,16 --set train.optimizer=sgd --set train.learning_rate=4
      --set train.warmup_epochs=10 --set train.epochs=12 --set run.checkpoint_every_steps=10
      --set run.checkpoint_every=1 --set run.keep_checkpoints=100 --set train.divergence_retries=5"
train dref 2 >/dev/null 2>dref.err || bad "rollback reference run: $(cat dref.err)"
train dcut 1 --set train.divergence_retries=0 >/dev/null 2>dcut.err
status=$?
mids=$(ls dcut/checkpoints | sed -n 's/^\(ckpt-e000005-s0*\(1[7-9][0-9]\)\.h5\)$/\1/p')
if [ $status -eq 1 ] && grep -q "training diverged at epoch 6" dcut.err && [ -n "$mids" ] &&
   grep -q "the last good point was epoch 5, step .*; the run directory keeps the curves up to it and the checkpoints written before it$" dcut.err; then
  ok "a run allowed no rollback stops at epoch 6, leaving checkpoints inside it, and says what it keeps"
else
  bad "rollback cut: status $status, checkpoints $(ls dcut/checkpoints | tr '\n' ' '), $(cat dcut.err)"
fi
same_events() { # REF DIR
  $PY - "$1" "$2" <<'PYEOF'
import sys, h5py
a, b = (h5py.File(d + "/curves.h5", "r")["events"] for d in sys.argv[1:3])
for k in ("epoch", "step", "kind"):
    if list(a[k][()]) != list(b[k][()]):
        sys.exit("events/%s: %s, expected %s" % (k, list(b[k][()]), list(a[k][()])))
if b"rollback" not in list(a["kind"][()]):
    sys.exit("the reference run did not roll back: %s" % list(a["kind"][()]))
PYEOF
}
for m in $mids; do
  rm -rf dres
  cp -r dcut dres
  if train dres 2 --resume "dres/checkpoints/$m" >/dev/null 2>dres.err && msg=$(same_run dref dres 2>&1) &&
     msg=$(same_events dref dres 2>&1); then
    ok "resumed from $m (inside the epoch that rolls back): bit-identical, the same rollback"
  else
    bad "resume from $m before a rollback: $msg $(cat dres.err)"
  fi
done

finish
