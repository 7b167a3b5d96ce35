#!/bin/sh
# `housenet train --resume` and `housenet inspect` end to end: resuming from
# checkpoint files (mid-epoch included, another thread count, float32
# too) ends bit-identical to an uninterrupted run; a changed config is refused naming
# the key; a new run into a used run dir is refused; inspect shows a
# checkpoint and reports damage; and a checkpoint is readable with h5py,
# whose recomputation of the documented checksum matches.
# usage: resume_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"
CONFIG=$SRC/configs/ames.ini

# 41 steps per epoch; a checkpoint every 30 steps and at every epoch end.
SETS="--set model.hidden=4 --set train.epochs=3 --set train.batch_size=50
      --set run.checkpoint_every_steps=30 --set run.checkpoint_every=1 --set run.keep_checkpoints=100"
train() { # DIR [ARGS...]
  dir=$1; shift
  # shellcheck disable=SC2086
  "$BIN" train "$CONFIG" $SETS --set "run.dir=$dir" --quiet "$@"
}
same_params() { # REF DIR
  $PY - "$1/model.h5" "$2/model.h5" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    for k in a["model"]:
        if a["model"][k][()].tobytes() != b["model"][k][()].tobytes():
            sys.exit("model/%s differs" % k)
PYEOF
}

train ref --set train.threads=2 >/dev/null 2>err.txt || bad "reference run: $(cat err.txt)"

# 1. Resume from chosen checkpoint files into fresh run dirs.
for ck in e000000-s000000030 e000001-s000000060 e000002-s000000082 e000002-s000000090; do
  if train "r$ck" --set train.threads=1 --resume "ref/checkpoints/ckpt-$ck.h5" >/dev/null 2>err.txt &&
     msg=$(same_params ref "r$ck" 2>&1); then
    ok "resumed from ckpt-$ck.h5 with 1 thread: parameters bit-identical"
  else
    bad "resume from $ck: ${msg:-} $(cat err.txt)"
  fi
done

# 1b. The same in float32 (the 2-2-1 network): mid-epoch, another thread count.
F32="--set model.hidden=2 --set train.precision=float32"
# shellcheck disable=SC2086
train ref32 $F32 --set train.threads=2 >/dev/null 2>err.txt || bad "float32 reference run: $(cat err.txt)"
ck=e000001-s000000060
# shellcheck disable=SC2086
if train r32 $F32 --set train.threads=1 --resume "ref32/checkpoints/ckpt-$ck.h5" >/dev/null 2>err.txt &&
   msg=$(same_params ref32 r32 2>&1); then
  ok "float32: resumed from ckpt-$ck.h5 with 1 thread: parameters bit-identical"
else
  bad "float32 resume from $ck: ${msg:-} $(cat err.txt)"
fi

# 2. A changed key that alters the result is refused, naming it.
train ref --resume --set train.learning_rate=0.1 >/dev/null 2>err.txt
rc=$?
if [ $rc -eq 1 ] && grep -qF '[train] learning_rate: checkpoint "0.01", now "0.1"' err.txt &&
   grep -qF -- "--force" err.txt; then
  ok "a changed learning rate is refused naming the key (exit 1)"
else
  bad "changed learning rate: status $rc, $(cat err.txt)"
fi

# 3. A new run into a used run dir is refused with a hint.
train ref >/dev/null 2>err.txt
rc=$?
if [ $rc -eq 2 ] && grep -q "already holds a run (model.h5, best.h5, curves.h5, .* checkpoints); continue it with --resume" err.txt; then
  ok "a new run into a used run dir is refused (exit 2)"
else
  bad "new run into a used dir: status $rc, $(cat err.txt)"
fi
train re000000-s000000030 --resume ref/checkpoints/ckpt-e000001-s000000060.h5 >/dev/null 2>err.txt
rc=$?
if [ $rc -eq 2 ] && grep -q "re000000-s000000030 already holds a run" err.txt; then
  ok "resuming another run's checkpoint into a used run dir is refused (exit 2)"
else
  bad "foreign checkpoint into a used dir: status $rc, $(cat err.txt)"
fi
"$BIN" train "$CONFIG" --set run.dir=ref --resume nowhere >/dev/null 2>err.txt
rc=$?
if [ $rc -eq 2 ] && grep -q "resume nowhere: No such file or directory" err.txt; then
  ok "--resume of a missing path: exit 2"
else
  bad "--resume nowhere: status $rc, $(cat err.txt)"
fi

# 4. inspect: a checkpoint, a model, a damaged checkpoint, another file.
CK=ref/checkpoints/ckpt-e000001-s000000060.h5
if "$BIN" inspect "$CK" >inspect.txt 2>err.txt && grep -q "housenet-checkpoint version 1" inspect.txt &&
   grep -q "^checksum 0x[0-9a-f]*: ok" inspect.txt && grep -q "@epoch_step = 19" inspect.txt &&
   grep -q "^batch_size = 50" inspect.txt; then
  ok "inspect shows a checkpoint: checksum ok, state, config"
else
  bad "inspect checkpoint: $(cat inspect.txt err.txt)"
fi
if "$BIN" inspect ref/model.h5 >inspect.txt 2>err.txt && grep -q "housenet-model version 1" inspect.txt &&
   grep -q "/model/W1 *float64 (4, 2)" inspect.txt; then
  ok "inspect shows a model file"
else
  bad "inspect model: $(cat inspect.txt err.txt)"
fi
# a curves file: its tables and the values at their ends (3 epochs and the
# initial row); --table curves reads one as a table
if "$BIN" inspect ref/curves.h5 >inspect.txt 2>err.txt && grep -q "^ref/curves.h5: housenet-curves version 1" inspect.txt &&
   grep -q "/curves/val_loss *float64 (4,) = \[[0-9]" inspect.txt && grep -q "/events/kind *string" inspect.txt &&
   "$BIN" inspect ref/curves.h5 --table curves >table.txt 2>>err.txt && grep -q "^rows 4$" table.txt &&
   grep -q "^val_loss *numeric" table.txt; then
  ok "inspect shows a curves file, and one of its tables with --table"
else
  bad "inspect curves: $(cat inspect.txt table.txt err.txt)"
fi

# 5. h5py reads a checkpoint and recomputes the checksum as docs/formats.md says.
if $PY - "$CK" <<'PYEOF'
import sys, h5py, numpy as np
FNV_PRIME, MASK = 0x100000001b3, (1 << 64) - 1
h = 0xcbf29ce484222325
def fold(b):
    global h
    for c in b:
        h = ((h ^ c) * FNV_PRIME) & MASK
def values(v):
    a = np.asarray(v)
    if a.dtype.kind in "OUS":  # strings: UTF-8, each with a NUL
        for s in a.reshape(-1):
            fold((s if isinstance(s, bytes) else s.encode()) + b"\0")
    else:
        fold(a.tobytes())
def obj(path, o):
    fold(path.encode() + b"\0")
    if isinstance(o, h5py.Dataset):
        values(o[()] if o.dtype.kind != "O" else o.asstr()[()])
    for name in sorted(o.attrs):
        if path == "/" and name == "checksum":
            continue
        fold(name.encode() + b"\0")
        values(o.attrs[name])
f = h5py.File(sys.argv[1], "r")
obj("/", f)
f.visititems(lambda name, o: obj("/" + name, o))
assert f.attrs["format"] == "housenet-checkpoint" and f.attrs["version"] == 1
assert f["state"].attrs["step"] == 60 and f["state"].attrs["epoch"] == 1
assert f["optim"].attrs["kind"] == "nesterov" and f["optim/state"].shape == (1, 17)
assert f["model/W1"].shape == (4, 2) and f["best/params"].shape == (17,)
assert list(f["curves/epoch"][()]) == [0, 1]
assert "batch_size = 50" in f["config"].asstr()[()]
assert h == int(f.attrs["checksum"]), (hex(h), hex(int(f.attrs["checksum"])))
PYEOF
then ok "h5py reads a checkpoint; the documented checksum recomputes"
else bad "h5py checkpoint"; fi

$PY - "$CK" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    off = f["model/W1"].id.get_offset()
with open(sys.argv[1], "r+b") as g:
    g.seek(off + 2); b = g.read(1); g.seek(off + 2); g.write(bytes([b[0] ^ 1]))
PYEOF
"$BIN" inspect "$CK" >inspect.txt 2>err.txt
rc=$?
if [ $rc -eq 1 ] && grep -q "checksum mismatch" err.txt; then
  ok "inspect reports a flipped byte (exit 1)"
else
  bad "inspect of a damaged checkpoint: status $rc, $(cat err.txt)"
fi
"$BIN" inspect "$CONFIG" >/dev/null 2>err.txt
rc=$?
if [ $rc -ne 0 ] && grep -q "^housenet: $CONFIG:[0-9]*: " err.txt; then
  ok "inspect of a file that is no table or checkpoint: one error naming it"
else
  bad "inspect of a config: status $rc, $(cat err.txt)"
fi

# 7. Early stopping with the best parameters restored: a run ended at a
# smaller [train] epochs (its final checkpoint is taken before the restore)
# and resumed with the full count stops at the same epoch with the same
# parameters as a run that was never cut; resuming a finished run changes
# nothing.
ES="--set model.hidden=4 --set train.batch_size=50 --set train.patience=3 --set train.restore_best=true"
# shellcheck disable=SC2086
"$BIN" train "$CONFIG" $ES --set train.epochs=200 --set run.dir=es_ref --quiet >es_ref.txt 2>err.txt ||
  bad "early-stopping reference: $(cat err.txt)"
if grep -q "stopped early" es_ref.txt; then
  # Cut one epoch before the stop: the best epoch lies behind, so the cut
  # run's end restores older parameters than its last epoch's.
  cut=$(( $(sed -n 's/^epochs \([0-9]*\) .*/\1/p' es_ref.txt) - 1 ))
  # shellcheck disable=SC2086
  if "$BIN" train "$CONFIG" $ES --set train.epochs=$cut --set run.dir=es_cut --quiet >/dev/null 2>err.txt &&
     "$BIN" train "$CONFIG" $ES --set train.epochs=200 --set run.dir=es_cut --resume --quiet >/dev/null 2>>err.txt &&
     msg=$(same_params es_ref es_cut 2>&1) &&
     msg=$($PY - es_ref/curves.h5 es_cut/curves.h5 <<'PYEOF' 2>&1
import sys, h5py
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    for k in ("epoch", "train_loss", "val_loss"):
        if a["curves"][k][()].tobytes() != b["curves"][k][()].tobytes():
            sys.exit("curves/%s differs" % k)
PYEOF
); then
    ok "early stop after a resume: same curves, same stop, same restored parameters"
  else
    bad "early stop after a resume: ${msg:-} $(cat err.txt)"
  fi
  cp es_ref/model.h5 es_ref_model.h5
  # shellcheck disable=SC2086
  if "$BIN" train "$CONFIG" $ES --set train.epochs=200 --set run.dir=es_ref --resume --quiet >/dev/null 2>err.txt &&
     mkdir -p es_copy && cp es_ref_model.h5 es_copy/model.h5 && msg=$(same_params es_copy es_ref 2>&1); then
    ok "resuming an early-stopped run changes nothing"
  else
    bad "resume of an early-stopped run: ${msg:-} $(cat err.txt)"
  fi
else
  bad "the early-stopping reference did not stop early: $(cat es_ref.txt)"
fi

# Time-based checkpoints ([run] checkpoint_every_seconds, the default):
# a short run at the defaults writes two (its start and its end), a run
# whose interval is always due writes one at every epoch end too; the
# summary sets the training time against the wall time.
"$BIN" train "$CONFIG" --set train.epochs=5 --set run.dir=tdef --quiet >tdef.txt 2>err.txt || bad "default run: $(cat err.txt)"
n=$(ls tdef/checkpoints | wc -l)
if [ "$n" -eq 2 ] && [ -e tdef/checkpoints/ckpt-e000000-s000000000.h5 ]; then ok "at the defaults a 5-epoch run writes 2 checkpoints"
else bad "default run wrote $n checkpoints: $(ls tdef/checkpoints | tr '\n' ' ')"; fi
if grep -Eq '^time [0-9.]+ s: training [0-9.]+ s \([0-9]+%; epochs [0-9.]+ s' tdef.txt; then ok "the summary gives training and wall time"
else bad "summary has no time line: $(cat tdef.txt)"; fi
"$BIN" train "$CONFIG" --set train.epochs=5 --set run.checkpoint_every_seconds=1e-9 --set run.keep_checkpoints=100 \
  --set run.dir=tsec --quiet >/dev/null 2>err.txt || bad "checkpoint_every_seconds run: $(cat err.txt)"
for e in 1 2 3 4 5; do
  ls tsec/checkpoints/ckpt-e00000$e-*.h5 >/dev/null 2>&1 || { bad "checkpoint_every_seconds=1e-9: no checkpoint at epoch $e"; e=bad; break; }
done
[ "$e" = bad ] || ok "checkpoint_every_seconds=1e-9 writes a checkpoint at every epoch end"
# A resumed run counts checkpoint_every_seconds from its start: resuming the
# 5-epoch default run for 5 more writes only the final checkpoint (not one
# at epoch 6 as well, as if the last checkpoint were as old as the clock).
"$BIN" train "$CONFIG" --set train.epochs=10 --set run.dir=tdef --resume --quiet >/dev/null 2>err.txt ||
  bad "resume of the default run: $(cat err.txt)"
got=$(ls tdef/checkpoints | sed 's/-s[0-9]*\.h5$//' | tr '\n' ' ')
if [ "$got" = "ckpt-e000000 ckpt-e000005 ckpt-e000010 " ]
then ok "a resumed run at the defaults writes only its final checkpoint"
else bad "resumed default run's checkpoints: $got"; fi

finish
