#!/bin/sh
# Golden bytes: a few fixed training runs whose parameter and loss bytes must match
# the fingerprints committed in tests/golden.txt, under every kernel path
# this CPU runs (HOUSENET_ISA), and on the widest path also with 2 threads
# and with glibc's FMA variants turned off (GLIBC_TUNABLES, as on a CPU
# without FMA). The runs cover float64 and float32, the 2-2-1 network and
# wider ones, batch sizes from 1 to full batch (none a power of two, whose
# reciprocal is exact), and sgd, nesterov, momentum and adam with step and
# cosine schedules.
# A failure means the arithmetic changed: if that is deliberate, bump
# NET_ARITHMETIC (src/kern.h), say what changed in docs/reproducibility.md
# and write the new fingerprints with
#   sh tests/golden_test.sh build/release/housenet . --update > tests/golden.txt
# usage: golden_test.sh HOUSENET SOURCE_DIR [--update]
. "$(dirname "$0")/testlib.sh"
UPDATE=${3:-}

# name: config, then --set arguments
runs() {
  cat <<'RUNS'
f64-221-nesterov ames.ini train.epochs=40 train.batch_size=50
f64-221-sgd-b1 ames.ini train.epochs=3 train.batch_size=1 train.optimizer=sgd train.restore_best=false
f64-221-sgd-full ames.ini train.epochs=60 train.batch_size=100000 train.optimizer=sgd train.learning_rate=0.5
f32-221-sgd ames.ini train.epochs=40 train.batch_size=37 train.precision=float32 train.optimizer=sgd train.learning_rate=0.05
f64-16-adam-cosine ames_full.ini train.epochs=30 train.batch_size=100
f64-24-12-tanh-momentum-step ames_full.ini train.epochs=25 train.batch_size=48 model.hidden=24,12 model.activation=tanh train.optimizer=momentum train.momentum=0.9 train.learning_rate=0.003 train.lr_schedule=step train.step_size=5 train.gamma=0.7 train.weight_decay=0
f32-40-20-relu-adam ames_full.ini train.epochs=25 train.batch_size=96 model.hidden=40,20 model.activation=relu train.precision=float32
f32-24-tanh-adam ames_full.ini train.epochs=25 train.batch_size=50 model.hidden=24 model.activation=tanh train.precision=float32
RUNS
}

# The sha256 of the parameters' raw bytes (/model/W1, b1, W2, b2, ... in
# order), then of the curves that do not measure time (losses, rates,
# gradient norms), and the model's arithmetic version.
fingerprint() { # RUN_DIR
  $PY - "$1" <<'PYEOF'
import hashlib, sys, h5py
h = hashlib.sha256()
with h5py.File(sys.argv[1] + "/model.h5", "r") as f:
    m = f["model"]
    for l in range(1, len(m.attrs["layers"])):
        for k in ("W%d" % l, "b%d" % l):
            h.update(m[k][()].astype("<f8").tobytes())
    arithmetic = int(f.attrs["arithmetic"])
with h5py.File(sys.argv[1] + "/curves.h5", "r") as f:
    for k in ("train_loss", "val_loss", "learning_rate", "grad_norm", "val_rmse", "val_mae"):
        h.update(f["curves"][k][()].astype("<f8").tobytes())
print(h.hexdigest()[:32], arithmetic)
PYEOF
}

train() { # NAME CONFIG THREADS SETS...
  name=$1 config=$2 threads=$3
  shift 3
  sets=""
  for s in "$@"; do sets="$sets --set $s"; done
  rm -rf "$WORK/run"
  # shellcheck disable=SC2086
  "$BIN" train "$SRC/configs/$config" $sets --set train.threads="$threads" --set "run.dir=$WORK/run" --quiet \
    >/dev/null 2>"$WORK/err" || { echo "$name: $(cat "$WORK/err")" >&2; return 1; }
  fingerprint "$WORK/run"
}

isas=$("$BIN" --version | sed -n 's/.*available: \([^;)]*\).*/\1/p')
[ -n "$isas" ] || { echo "FAIL - housenet --version names no kernel paths"; exit 1; }
arith=$("$BIN" --version | sed -n 's/^arithmetic //p')

if [ "$UPDATE" = --update ]; then
  echo "# tests/golden_test.sh: name, sha256 (first 32 hex digits) of the parameter and loss bytes, arithmetic version"
  runs | while read -r name config sets; do
    # shellcheck disable=SC2086
    echo "$name $(train "$name" "$config" 1 $sets)"
  done
  exit 0
fi

runs | {
  while read -r name config sets; do
    want=$(sed -n "s/^$name //p" "$SRC/tests/golden.txt")
    [ -n "$want" ] || { bad "$name: no fingerprint in tests/golden.txt"; continue; }
    widest=${isas##* }
    for variant in $isas "$widest 2" "$widest 1 nofma"; do
        # shellcheck disable=SC2086
        set -- $variant 1
        isa=$1 threads=$2
        if [ $# -gt 3 ]; then
          # glibc as on a CPU without AVX2 and FMA: its math functions pick other variants
          # shellcheck disable=SC2086
          got=$(GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F HOUSENET_ISA=$isa train "$name" "$config" "$threads" $sets)
        else
          # shellcheck disable=SC2086
          got=$(HOUSENET_ISA=$isa train "$name" "$config" "$threads" $sets)
        fi
        what="$name, kernels $isa, $threads thread(s)${4:+, glibc without FMA}"
        if [ "$got" = "$want" ]; then ok "$what"; else bad "$what: parameters $got, golden $want (arithmetic $arith)"; fi
    done
  done
  finish golden
}
