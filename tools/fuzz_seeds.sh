#!/bin/sh
# fuzz_seeds.sh HOUSENET OUT: makes the seed corpora of the fuzz targets
# (tests/fuzz/<target>/, docs/hardening.md) from files the program writes
# for tiny configs, a few damaged copies, and tables h5py writes in the
# layouts the table reader accepts. Run from anywhere; OUT/<target>/ get
# the files (existing ones are kept: crash reproducers stay).
set -eu
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 - <<'PY'
import random
random.seed(3)
with open("data.csv", "w") as f:
    f.write("a,b,c,y\n")
    for i in range(40):
        a, b, c = (round(random.uniform(0, 16), 4) for _ in range(3))
        f.write(f"{a},{b},{c},{round(2*a - b + 0.5*c + 20, 4)}\n")
with open("missing.csv", "w") as f:
    f.write("a;b;y\n")
    for i in range(12):
        f.write(f"{i};{'NA' if i % 5 == 0 else i * 2};{i * 3 + 1}\n")
PY
cat > cfg.ini <<'INI'
[data]
path = data.csv
features = a, b, c
target = y
validation_fraction = 0.2
test_fraction = 0.2
[model]
hidden = 3
[train]
epochs = 3
batch_size = 8
threads = 1
seed = 7
optimizer = adam
lr_schedule = cosine
[run]
checkpoint_every_steps = 5
log_every_steps = 2
INI
cat > deep.ini <<'INI'
[data]
path = data.csv
features = a, b
target = y
normalize = minmax
log_features = a
target_transform = log1p
filter = c > 1
missing = mean
[model]
hidden = 2, 2
activation = tanh
output_activation = linear
init = uniform
[train]
epochs = 2
batch_size = 4
threads = 1
optimizer = nesterov
momentum = 0.9
patience = 1
INI
"$H" train cfg.ini --quiet
"$H" train deep.ini --quiet
"$H" convert data.csv table_z.h5 --quiet --compress
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
with h5py.File("cols.h5", "w") as f:
    g = f.create_group("houses")
    g["a"] = np.arange(10, dtype=np.int32)
    g["b"] = np.linspace(0, 1, 10).astype(np.float32)
    g["y"] = np.array([1, 2, np.nan, 4, 5, 6, 7, 8, 9, 10], dtype=np.float64)
    g["name"] = np.array([b"x"] * 10)
with h5py.File("matrix.h5", "w") as f:
    d = f.create_dataset("m", data=np.arange(30, dtype=np.float64).reshape(10, 3))
    d.attrs["columns"] = [b"a", b"b", b"y"]
PY
damage() { # FILE NAME: a truncated copy and one with bytes changed in the middle
    n=$(wc -c < "$1")
    head -c $((n / 2)) "$1" > "$2-half"
    cp "$1" "$2-flip"
    printf '\377\377\377\377\377\377\377\377' | dd of="$2-flip" bs=1 seek=$((n / 3)) conv=notrunc 2>/dev/null
}
mkdir -p "$OUT/fuzz_model" "$OUT/fuzz_checkpoint" "$OUT/fuzz_curves" "$OUT/fuzz_h5table" \
    "$OUT/fuzz_stream" "$OUT/fuzz_load" "$OUT/fuzz_argv"
ckpt=$(ls runs/cfg/checkpoints/*.h5 | head -1)
cp runs/cfg/model.h5 "$OUT/fuzz_model/model"
cp runs/deep/best.h5 "$OUT/fuzz_model/deep-best"
damage runs/cfg/model.h5 "$OUT/fuzz_model/model"
cp "$ckpt" "$OUT/fuzz_checkpoint/ckpt"
cp "$(ls runs/deep/checkpoints/*.h5 | head -1)" "$OUT/fuzz_checkpoint/deep-ckpt"
damage "$ckpt" "$OUT/fuzz_checkpoint/ckpt"
# A run's curves.h5 and an uncompressed table are mostly preallocated
# chunks (200 KB, 2 MB): one curves file as written, the rest repacked with
# gzip (h5repack) or written with --compress, so that the corpora stay
# small and the fuzzer's inputs short.
cp runs/cfg/curves.h5 "$OUT/fuzz_curves/curves"
h5repack -f GZIP=9 runs/cfg/curves.h5 curves_z.h5
h5repack -f GZIP=9 runs/deep/curves.h5 "$OUT/fuzz_curves/deep-curves-z"
cp curves_z.h5 "$OUT/fuzz_curves/curves-z"
damage curves_z.h5 "$OUT/fuzz_curves/curves-z"
for t in table_z cols matrix; do cp $t.h5 "$OUT/fuzz_h5table/$t"; done
damage table_z.h5 "$OUT/fuzz_h5table/table_z"
{ printf '\0'; cat table_z.h5; } > "$OUT/fuzz_stream/table_z"
{ printf '[data]\nfeatures = a, b\ntarget = y\nvalidation_fraction = 0.3\nmissing = drop\nfilter = a > 2\n\0'; cat table_z.h5; } > "$OUT/fuzz_stream/filter"
{ printf '[data]\ntable = houses\nfeatures = a, b\ntarget = y\nmissing = mean\nlog_features = b\n\0'; cat cols.h5; } > "$OUT/fuzz_stream/cols-mean"
{ printf '[data]\nfeatures = a,b\ntarget = y\nmissing = error\n\0'; cat cols.h5; } > "$OUT/fuzz_stream/cols-error"
{ grep -v '^path' cfg.ini; printf '\0'; cat data.csv; } > "$OUT/fuzz_load/cfg"
{ grep -v '^path' deep.ini; printf '\0'; cat data.csv; } > "$OUT/fuzz_load/deep"
{ printf '[data]\ndelimiter = ;\nna_values = NA\nmissing = mean\nfeatures = a, b\ntarget = y\n\0'; cat missing.csv; } > "$OUT/fuzz_load/missing"
{ printf '\0'; cat data.csv; } > "$OUT/fuzz_load/no-config"
{ printf '[data]\nfeatures = a\ntarget = y\n\0'; printf 'a,y\n1,2\n'; } > "$OUT/fuzz_load/one-row"
a() { printf '%s\0' "$@" | head -c -1; } # arguments separated by NUL bytes
a train cfg.ini --quiet > "$OUT/fuzz_argv/train"
a train cfg.ini --dry-run > "$OUT/fuzz_argv/dry-run"
a train cfg.ini --quiet --resume --force --set train.learning_rate=0.5 > "$OUT/fuzz_argv/resume"
a cv cfg.ini --folds 2 --json --quiet > "$OUT/fuzz_argv/cv"
a explain cfg.ini --set data.normalize=minmax > "$OUT/fuzz_argv/explain"
a evaluate --model runs/cfg/model.h5 --json > "$OUT/fuzz_argv/evaluate"
a evaluate --model runs/cfg/best.h5 data.csv > "$OUT/fuzz_argv/evaluate-csv"
a predict --model runs/cfg/model.h5 data.csv -o out.csv > "$OUT/fuzz_argv/predict"
a curves export runs/cfg/curves.h5 --csv --steps -o steps.csv > "$OUT/fuzz_argv/curves"
a inspect runs/cfg/model.h5 > "$OUT/fuzz_argv/inspect-model"
a inspect table.h5 --table / > "$OUT/fuzz_argv/inspect-table"
a inspect data.csv --delimiter , --na-values NA,x > "$OUT/fuzz_argv/inspect-csv"
a convert data.csv t.h5 --compress --table t > "$OUT/fuzz_argv/convert"
a help config > "$OUT/fuzz_argv/help"
a --version > "$OUT/fuzz_argv/version"
# The text targets: cells, CSV files behind an option byte, configs.
mkdir -p "$OUT/fuzz_csv_number" "$OUT/fuzz_csv" "$OUT/fuzz_config"
for c in 1 -0.5e-3 0x10 1e400 ' 7 ' nan 1.7976931348623157e308 4.9e-324 .5 1,5; do
    printf '%s' "$c" > "$OUT/fuzz_csv_number/$(printf '%s' "$c" | od -An -tx1 | tr -d ' \n')"
done
i=0
for f in bom.csv crlf.csv na.csv quoted.csv ragged.csv semicolon.csv tab.tsv unclosed.csv text_columns.csv; do
    { printf "\\$(printf '%03o' $i)"; cat "$SRC/tests/data/csv/$f"; } > "$OUT/fuzz_csv/$f"
    i=$((i + 1))
done
cp "$SRC/configs/ames.ini" "$SRC/configs/ames_full.ini" deep.ini "$OUT/fuzz_config/"
{ cat cfg.ini; printf '\0train.optimizer=sgd'; } > "$OUT/fuzz_config/cfg-set"
