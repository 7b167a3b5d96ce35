#!/bin/sh
# `housenet sweep` end to end:
#  1. A [sweep] section plus --grid plus --seeds: the points in product
#     order (first key slowest), `train` on the same config ignores the
#     section, a diverging point is a failed row with its error and the
#     sweep goes on (exit 0), results.h5 and results.json hold the CSV's
#     rows, the best point's printed command retrains its bytes.
#  2. 1 and 2 workers: the same table (seconds aside) and the same bytes
#     in every run dir (tests/mpi_same.py).
#  3. SIGKILL of the sweep in the middle, then --resume: the table and
#     every run dir end as the uninterrupted sweep's; SIGTERM: exit 143,
#     then --resume the same.
#  4. Refusals: a second sweep without --resume or --force, a changed grid
#     on --resume (accepted with --force), an unknown key, --budget alone.
#  5. --budget N --random S: N distinct points of the product, in product
#     order, with the full grid's ids, the same for the same S.
#  6. --cv 2: each point's cv_rmse_mean and sd equal `housenet cv`'s.
#  7. mpirun -np 3 (in a build with MPI; rank 0 hands the points out to
#     ranks 1 and 2): the same table and bytes.
# usage: sweep_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"
SAME="$PY $SRC/tests/mpi_same.py"

# The Ames config with a [sweep] section (two rates, one that diverges).
sed "s#^path = ../datasets#path = $SRC/datasets#" "$SRC/configs/ames.ini" > ames.ini
cat >> ames.ini <<'EOF'

[sweep]
train.learning_rate = 0.01, 0.1, 1e6
EOF
SETS="--set train.epochs=12 --set run.checkpoint_every=1 --set run.keep_checkpoints=2"
sweep() { # DIR [ARGS...]
  dir=$1; shift
  # shellcheck disable=SC2086
  "$BIN" sweep ames.ini $SETS --set "run.dir=$dir" --grid "model.hidden=2;4,4" "$@"
}
# The same in the background: `sweep_bg DIR ARGS &` makes $! housenet's own pid.
sweep_bg() {
  dir=$1; shift
  # shellcheck disable=SC2086
  exec "$BIN" sweep ames.ini $SETS --set "run.dir=$dir" --grid "model.hidden=2;4,4" "$@"
}
# The table without its seconds column.
notime() { $PY -c 'import csv,sys
r=list(csv.reader(open(sys.argv[1])))
i=r[0].index("seconds")
for row in r: print(",".join(row[:i]+row[i+1:]))' "$1"; }
# Sweep A's table (seconds aside) is sweep B's and every run dir of A holds
# the bytes of B's; otherwise why says what differs first.
same_sweep() { # A B
  notime "$1"/sweep/results.csv > same_a.txt
  notime "$2"/sweep/results.csv > same_b.txt
  if ! cmp -s same_a.txt same_b.txt; then
    why="$1/sweep/results.csv is not $2's: $(diff same_b.txt same_a.txt | head -4 | tr '\n' ' ')"
    return 1
  fi
  for d in "$1"/sweep/*/; do
    id=$(basename "$d")
    [ -f "$d/model.h5" ] || continue
    $SAME "$2/sweep/$id" "$d" 2> same.txt || { why="$1/sweep/$id: $(cat same.txt)"; return 1; }
  done
}
why=

# 1. The grid, failures, the files.
if sweep w1 --seeds 2 --workers 1 > out1.txt 2> err1.txt; then
  ok "a sweep with a diverging point exits 0"
else
  bad "sweep w1: status $?: $(grep -v 'points done' err1.txt | tail -8)"
fi
got=$($PY -c 'import csv,sys
print(" ".join("/".join(r[1:4]) for r in csv.reader(open(sys.argv[1]))))' w1/sweep/results.csv)
want="train.learning_rate/model.hidden/train.seed 0.01/2/42 0.01/2/43 0.01/4,4/42 0.01/4,4/43 0.1/2/42 0.1/2/43 0.1/4,4/42 0.1/4,4/43 1e6/2/42 1e6/2/43 1e6/4,4/42 1e6/4,4/43"
[ "$got" = "$want" ] && ok "12 points in product order, first key slowest" || bad "points: $got"
nfail=$(grep -c ',failed,"training diverged' w1/sweep/results.csv)
nok=$(grep -c ',ok,$' w1/sweep/results.csv)
[ "$nfail" = 4 ] && [ "$nok" = 8 ] && ok "the 4 diverging points are failed rows with their error, 8 ok" ||
  bad "failed $nfail ok $nok"
grep -q "sweep 12/12 points done, 4 failed, .* left, best val_rmse" err1.txt && ok "the progress line" ||
  bad "progress: $(tail -1 err1.txt)"
if "$BIN" train ames.ini $SETS --set run.dir=plain --quiet > /dev/null 2> err.txt; then
  ok "train ignores the [sweep] section"
else
  bad "train with [sweep]: $(cat err.txt)"
fi
if $PY - w1/sweep <<'EOF'
import csv, json, math, sys
import h5py
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/results.csv")))
js = json.load(open(d + "/results.json"))
with h5py.File(d + "/results.h5", "r") as f:
    assert f.attrs["format"] == "housenet-sweep", f.attrs["format"]
    g = f["results"]
    cols = [c.decode() if isinstance(c, bytes) else c for c in g.attrs["columns"]]
    assert cols == list(rows[0].keys()), (cols, list(rows[0].keys()))
    for i, r in enumerate(rows):
        p = js["points"][i]
        assert p["id"] == r["id"] == g["id"][i].decode(), i
        assert p["status"] == r["status"] == g["status"][i].decode()
        assert p["overrides"]["model.hidden"] == r["model.hidden"]
        for c in ("val_rmse", "test_r2"):
            v = float(r[c]) if r[c] else math.nan
            h = g[c][i]
            assert (math.isnan(v) and math.isnan(h)) or v == h, (c, v, h)
            assert (p[c] is None and math.isnan(v)) or p[c] == v
    best = min((r for r in rows if r["status"] == "ok"), key=lambda r: float(r["val_rmse"]))
    assert js["best"] == best["id"], (js["best"], best["id"])
EOF
then ok "results.csv, results.json and results.h5 agree; json names the best"; else bad "the three tables differ"; fi
cmdline=$(sed -n 's/^retrain: housenet //p' out1.txt)
best=$(sed -n 's/^best \([0-9a-f]*\):.*/\1/p' out1.txt)
# shellcheck disable=SC2086
if [ -n "$cmdline" ] && eval "\"$BIN\" $cmdline --set run.dir=retrained --quiet" > /dev/null 2> err.txt &&
   $SAME "w1/sweep/$best" retrained; then
  ok "the printed command retrains the best point's bytes"
else
  bad "retrain ($cmdline): $(cat err.txt)"
fi
if $PY "$SRC/tools/plot_sweep.py" w1/sweep -o plot.png > /dev/null 2> err.txt && [ -s plot.png ]; then
  ok "tools/plot_sweep.py draws the sweep"
else
  bad "plot_sweep.py: $(cat err.txt)"
fi
if "$BIN" evaluate --model "w1/sweep/$best/model.h5" > /dev/null 2> err.txt; then
  ok "evaluate works on a point's run dir"
else
  bad "evaluate: $(cat err.txt)"
fi

# 2. Two workers: same table, same bytes.
sweep w2 --seeds 2 --workers 2 --quiet > /dev/null 2> err.txt || bad "sweep w2: $(cat err.txt)"
if same_sweep w2 w1; then
  ok "2 workers: the table and every run dir as with 1"
else
  bad "2 workers differ from 1: $why"
fi

# 3. SIGKILL in the middle, then --resume; SIGTERM, then --resume.
# stop_sweep SIGNAL DIR N: a sweep into DIR sent SIGNAL once N points are
# done; st: its status, done_before: the points done, mid: the points
# stopped with a checkpoint and no result.
stop_sweep() {
  sweep_bg "$2" --seeds 2 --workers 2 --quiet > /dev/null 2> "$2.err" &
  pid=$!
  n=0
  while [ "$(ls "$2"/sweep/*/result.txt 2>/dev/null | wc -l)" -lt "$3" ] && [ $n -lt 400 ]; do
    sleep 0.02; n=$((n + 1))
  done
  kill -"$1" $pid
  wait $pid
  st=$?
  # SIGKILL: the runs die with the sweep (PR_SET_PDEATHSIG) and, last,
  # release its lock, which they share
  n=0
  until flock -n "$2/sweep/.lock" true || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
  done_before=$(ls "$2"/sweep/*/result.txt 2>/dev/null | wc -l)
  mid=0
  for d in "$2"/sweep/*/; do
    [ ! -f "$d/result.txt" ] && ls "$d"/checkpoints/ckpt-*.h5 > /dev/null 2>&1 && mid=$((mid + 1))
  done
}
resumed_same() { # DIR: --resume ends as the uninterrupted sweep w1 (why: what differs)
  sweep "$1" --seeds 2 --resume --quiet > /dev/null 2> err.txt || { why="--resume: $(cat err.txt)"; return 1; }
  same_sweep "$1" w1
}
stop_sweep KILL k 3
if [ "$done_before" -lt 12 ] && resumed_same k; then
  ok "SIGKILL after $done_before of 12 points ($mid mid-run), --resume: the uninterrupted table and bytes"
else
  bad "SIGKILL (after $done_before points) and resume: $why"
fi
stop_sweep TERM t 2
if [ $st -eq 143 ] && grep -q "^housenet: sweep stopped by SIGTERM: " t.err && [ "$done_before" -lt 12 ] && resumed_same t; then
  ok "SIGTERM after $done_before points ($mid mid-run): exit 143, named, --resume: the uninterrupted table and bytes"
else
  bad "SIGTERM: status $st, $(head -c 300 t.err) $why"
fi

# A point killed in its first checkpoint write leaves only a ckpt-...h5.tmp-PID file: --resume starts it
# afresh (it took the file for a checkpoint and failed with "no checkpoint to resume from"). A copy of w1
# has another [run] dir, so its resume takes --force.
rm -rf kt && cp -r w1 kt
p=$(ls -d kt/sweep/*/ | head -n 1)
rm -rf "$p"result.txt "$p"model.h5 "$p"best.h5 "$p"curves.h5 "$p"checkpoints/*
echo cut > "$p"checkpoints/ckpt-e000000-s000000000.h5.tmp-99999
if sweep kt --seeds 2 --resume --force --quiet > /dev/null 2> err.txt && grep -q ',ok,' kt/sweep/results.csv &&
   ! grep -q ',failed,"kt/' kt/sweep/results.csv && same_sweep kt w1; then
  ok "a point killed in its first checkpoint write: --resume runs it afresh, the uninterrupted table and bytes"
else
  bad "a point with only a cut checkpoint, --resume: $why $(cat err.txt)"
fi

# 4. Refusals.
sweep w1 --seeds 2 --quiet > /dev/null 2> err.txt
st=$?
[ $st -eq 2 ] && grep -q "holds another sweep; continue it with --resume, or start over with --force" err.txt &&
  ok "a second sweep into the same dir is refused (exit 2)" || bad "second sweep: $st $(cat err.txt)"
sweep w1 --seeds 3 --resume --quiet > /dev/null 2> err.txt
st=$?
[ $st -eq 2 ] && grep -q "points.txt: the grid, the config or --cv changed" err.txt &&
  ok "a changed grid on --resume is refused (exit 2)" || bad "changed grid: $st $(cat err.txt)"
if sweep w1 --seeds 3 --resume --force --quiet > /dev/null 2> err.txt &&
   [ "$(grep -c ',ok,$' w1/sweep/results.csv)" = 12 ]; then
  ok "--resume --force: the new grid, finished points kept"
else
  bad "--resume --force: $(cat err.txt)"
fi
"$BIN" sweep ames.ini --grid train.learnig_rate=1,2 > /dev/null 2> err.txt
st=$?
[ $st -eq 2 ] && grep -q "^housenet: --grid: unknown config key train.learnig_rate" err.txt &&
  ok "an unknown grid key is refused naming it" || bad "unknown key: $st $(cat err.txt)"
"$BIN" sweep ames.ini --budget 3 > /dev/null 2> err.txt
st=$?
[ $st -eq 2 ] && grep -q "go together" err.txt && ok "--budget without --random is refused" ||
  bad "--budget alone: $st $(cat err.txt)"

# Every point failed: the table is written, and the sweep exits 1 naming the first error (some failing is 0, above).
"$BIN" sweep ames.ini --set run.dir=wfail --grid train.learning_rate=abc,xyz --quiet > out.txt 2> err.txt
st=$?
[ $st -eq 1 ] && [ "$(wc -l <err.txt)" = 1 ] && [ "$(grep -c ',failed,' wfail/sweep/results.csv)" = 2 ] &&
  grep -q '^housenet: every point of the sweep failed (2 of 2); the first, [0-9a-f]*: --set train.learning_rate=abc: \[train\] learning_rate: expected a number from 0 to 1e+09, got "abc"$' err.txt &&
  ok "a sweep whose every point failed exits 1 naming the first error" || bad "all failed: $st $(cat err.txt)"

# More workers asked for than points to run: one child per point, no more.
"$BIN" sweep ames.ini --set train.epochs=2 --set run.dir=wmany --grid train.learning_rate=0.01,0.1 \
  --workers 64 > /dev/null 2> err.txt
st=$?
[ $st -eq 0 ] && grep -q "^housenet: sweep 2 points (2 to run) of ames.ini on 2 workers into" err.txt &&
  ok "--workers 64 on 2 points runs 2 children" || bad "--workers 64: $st $(head -2 err.txt)"

# 5. Random points.
sweep r1 --seeds 2 --budget 5 --random 7 --quiet > /dev/null 2> err.txt || bad "random: $(cat err.txt)"
sweep r2 --seeds 2 --budget 5 --random 7 --quiet > /dev/null 2> err.txt || bad "random again: $(cat err.txt)"
if $PY - w2/sweep/results.csv r1/sweep/results.csv r2/sweep/results.csv <<'EOF'
import csv, sys
full = [r["id"] for r in csv.DictReader(open(sys.argv[1]))]
a = [r["id"] for r in csv.DictReader(open(sys.argv[2]))]
b = [r["id"] for r in csv.DictReader(open(sys.argv[3]))]
assert len(a) == 5 and len(set(a)) == 5 and a == b, (a, b)
assert all(i in full for i in a)
assert sorted(a, key=full.index) == a
EOF
then ok "--budget 5 --random 7: 5 distinct points of the grid, in its order, the same twice"
else bad "random points"; fi

# 6. Cross-validation.
"$BIN" sweep ames.ini --set train.epochs=8 --set run.dir=cvs --grid train.learning_rate=0.01,0.1 --cv 2 \
  --quiet > /dev/null 2> err.txt || bad "sweep --cv: $(cat err.txt)"
"$BIN" cv ames.ini --set train.epochs=8 --set run.dir=cv1 --set train.learning_rate=0.1 --folds 2 --json \
  --quiet > cv1.json 2> err.txt || bad "cv: $(cat err.txt)"
if $PY - cvs/sweep/results.csv cv1.json <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cv = json.load(open(sys.argv[2]))
r = rows[1]
assert r["train.learning_rate"] == "0.1" and r["folds"] == "2", r
assert abs(float(r["cv_rmse_mean"]) - cv["rmse"]["mean"]) <= 1e-9 * cv["rmse"]["mean"], (r, cv["rmse"])
assert abs(float(r["cv_rmse_sd"]) - cv["rmse"]["sd"]) <= 1e-6 * cv["rmse"]["mean"], (r, cv["rmse"])
EOF
then ok "--cv 2: a point's mean and sd are housenet cv's"; else bad "--cv figures differ from housenet cv"; fi

# 7. Under mpirun.
# Not under the sanitizers: Open MPI's own allocations would drown
# LeakSanitizer (as for tests/mpi_test.sh).
if [ -f "$(dirname "$BIN")/libhousenet_mpi.so" ] && command -v mpirun > /dev/null &&
   ! grep -q __asan_init "$BIN" 2>/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  why=
  # shellcheck disable=SC2086
  if mpirun --oversubscribe --bind-to none -np 3 "$BIN" sweep ames.ini $SETS --set run.dir=m \
       --grid "model.hidden=2;4,4" --seeds 2 --quiet > /dev/null 2> err.txt &&
     same_sweep m w2; then
    ok "mpirun -np 3 (rank 0 hands out to 2): the table and every run dir as with 1 worker"
  else
    bad "mpirun -np 3: ${why:-$(tail -3 err.txt)}"
  fi
fi

finish && [ "$passed" -gt 0 ]
