#!/bin/sh
# bench_mpi: what mpirun buys on one machine, and what the collective costs.
#
#   sh tools/bench_mpi.sh                 # about 5 minutes on 2 cores
#   REPS=5 EPOCHS_SMALL=400 EPOCHS_BIG=12 sh tools/bench_mpi.sh
#
# 1. Training time (the summary's `seconds`: the training loop, without
#    start-up and data loading) of 1 rank x 1 thread, 1 rank x 2 threads
#    and 2 ranks x 1 thread (mpirun -np 2 --bind-to core), for the 2-2-1
#    and 2-64-64-1 networks (sigmoid, SGD, float64) at batch 1024, 16384
#    and the whole training set, on ROWS synthetic rows (x1, x2 standard
#    normal, y = 0.6 x1 + 0.3 x2 + 0.1 sin(3 x1) + noise; 70 % of them
#    train, so the default 90,000 rows give one chunk of ~63,000 training
#    rows and "full" is one step an epoch). The modes take turns, REPS
#    rounds; the medians are printed with the speed-ups over 1 x 1, the
#    bytes a step's gather moves to each rank, and whether the three runs
#    ended on the same bytes (tests/mpi_same.py).
# 2. bench_comm: one allgatherv against its payload over shared memory
#    (--mca btl vader,self) and TCP loopback (--mca btl tcp,self), np 2.
# The load average is printed before and after: on a shared machine the
# figures are only indicative (docs/mpi.md).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
BIN=$BUILD/housenet
ROWS=${ROWS:-90000}
REPS=${REPS:-3}
EPOCHS_SMALL=${EPOCHS_SMALL:-200}
EPOCHS_BIG=${EPOCHS_BIG:-6}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
cmake --build "$BUILD" --target housenet bench_comm -j2 >/dev/null
WORK=$(mktemp -d /tmp/housenet-bench-mpi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
awk -v n="$ROWS" 'BEGIN { srand(7); print "x1,x2,y"; pi = atan2(0, -1)
  for (i = 0; i < n; i++) {
    a = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand()); b = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
    printf "%.17g,%.17g,%.17g\n", a, b, 0.6 * a + 0.3 * b + 0.1 * sin(3 * a) + 0.05 * (rand() - 0.5) } }' >d.csv
printf '[data]\npath = %s/d.csv\nfeatures = x1, x2\ntarget = y\n[model]\nactivation = sigmoid\n[train]\noptimizer = sgd\nlearning_rate = 0.01\n[run]\ncheckpoint_every = 0\n' "$WORK" >b.ini
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs)"
secs() { sed -n 's/^epochs .* seconds \([0-9.]*\).*/\1/p' "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-10s %-6s %9s %9s %9s %7s %7s %12s %s\n' net batch 1x1_s 1x2_s 2x1_s 1x2 2x1 gather_B same
for net in 2 64,64; do
  epochs=$EPOCHS_SMALL; [ $net = 2 ] || epochs=$EPOCHS_BIG
  for batch in 1024 16384 full; do
    b=$batch; [ $batch = full ] && b=1000000
    set -- --set model.hidden=$net --set train.batch_size=$b --set train.epochs=$epochs --quiet
    : >t11; : >t12; : >t21
    r=0
    while [ $r -lt "$REPS" ]; do
      "$BIN" train b.ini "$@" --set train.threads=1 --set run.dir=r11 --force >o11 2>/dev/null && secs o11 >>t11
      "$BIN" train b.ini "$@" --set train.threads=2 --set run.dir=r12 --force >o12 2>/dev/null && secs o12 >>t12
      mpirun -np 2 --bind-to core "$BIN" train b.ini "$@" --set train.threads=1 --set run.dir=r21 --force >o21 2>/dev/null &&
        secs o21 >>t21
      r=$((r + 1))
    done
    s11=$(median <t11); s12=$(median <t12); s21=$(median <t21)
    same=yes
    /usr/bin/python3 "$SRC/tests/mpi_same.py" r11 r12 >/dev/null 2>&1 || same=no
    /usr/bin/python3 "$SRC/tests/mpi_same.py" r11 r21 >/dev/null 2>&1 || same=no
    np=$(/usr/bin/python3 -c 'import h5py, sys; f = h5py.File(sys.argv[1]); print(sum(f["model"][k].size for k in f["model"]))' r11/model.h5)
    ntrain=$(/usr/bin/python3 -c 'import h5py, sys; f = h5py.File(sys.argv[1]); print(int(f["split"].attrs["rows_read"]) - f["split/val_rows"].shape[0] - f["split/test_rows"].shape[0])' r11/model.h5)
    bs=$b; [ "$bs" -gt "$ntrain" ] && bs=$ntrain
    # groups of 2 blocks of 64 rows: (np + 2) doubles each, and a stop word per rank
    gather=$(( ((bs + 127) / 128) * (np + 2) * 8 + 16 ))
    printf '%-10s %-6s %9.3f %9.3f %9.3f %7.2f %7.2f %12d %s\n' "2-$(echo $net | tr , -)-1" $batch "$s11" "$s12" "$s21" \
      "$(echo "$s11 / $s12" | bc -l)" "$(echo "$s11 / $s21" | bc -l)" $gather $same
  done
done
echo
for btl in vader tcp; do
  echo "allgatherv over $btl (np 2):"
  mpirun -np 2 --bind-to core --mca btl $btl,self "$BUILD/bench_comm"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
