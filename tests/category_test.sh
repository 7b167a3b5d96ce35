#!/bin/sh
# Categorical features end to end (docs/data.md, "Categorical features"):
# the vocabulary comes from the training rows only, sorted, and is stored
# in model.h5 where h5py reads it; predict's numbers equal a forward pass
# computed here from the stored weights with the documented one-hot
# layout; unseen levels warn (or fail under unknown_category = error) with
# the column, the values, the count and file:line:col; what a text column
# cannot be is refused with one line.
# usage: category_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"

# 300 rows: size, hood (text, "Solo" on one row only), zone (numeric codes),
# price depending on all three; a few NA hoods in the second file.
$PY - <<'EOF'
import random
r = random.Random(5)
hoods = ["North", "South", "East", "West"]
with open("h.csv", "w") as f, open("hm.csv", "w") as g:
    f.write("size,hood,zone,price\n"); g.write("size,hood,zone,price\n")
    for i in range(300):
        h = "Solo" if i == 150 else r.choice(hoods)
        z = r.choice([20, 30, 120])
        s = r.uniform(50, 300)
        p = 1000 * s + {"North": 50000, "South": 0, "East": 20000, "West": -20000, "Solo": 0}[h] \
            + (8000 if z == 120 else 0) + r.gauss(0, 3000)
        f.write("%.1f,%s,%d,%.0f\n" % (s, h, z, p))
        g.write("%.1f,%s,%d,%.0f\n" % (s, "NA" if i % 37 == 5 else h, z, p))
with open("new.csv", "w") as f:
    f.write("size,hood,zone\n100,North,20\n120,Mars,30\n130,Venus,120\n140,Mars,20\n150,South,45\n")
EOF
cat > c.ini <<'EOF'
[data]
path = h.csv
features = size, hood, zone
categorical = zone
target = price
validation_fraction = 0.2
test_fraction = 0.2
[model]
hidden = 3
[train]
optimizer = adam
learning_rate = 0.02
epochs = 40
seed = 3
EOF

if "$BIN" train c.ini --quiet --set run.dir=r1 >/dev/null 2>err; then ok "train with a text and a numeric-coded feature"
else bad "train: $(cat err)"; fi

# The vocabulary: sorted, from the training rows only, beside the split.
if $PY - <<'EOF'
import h5py, sys
with h5py.File("r1/model.h5", "r") as f:
    cols = [c.decode() for c in f["/categories/columns"][()]]
    assert cols == ["size", "hood", "zone"], cols
    assert "0" not in f["/categories"], "a numeric feature has no vocabulary"
    hood = [t.decode() for t in f["/categories/1/levels"][()]]
    zone = [t.decode() for t in f["/categories/2/levels"][()]]
    held = set(int(r) for r in f["/split/val_rows"][()]) | set(int(r) for r in f["/split/test_rows"][()])
    assert f.attrs["version"] == 2
names = [l.split(",")[1] for l in open("h.csv").read().splitlines()[1:]]
want = sorted(set(h for i, h in enumerate(names) if i not in held))
assert hood == want, (hood, want)
assert ("Solo" in hood) == (150 not in held)
assert zone == ["120", "20", "30"], zone  # levels are texts, sorted by bytes
EOF
then ok "model.h5 holds the sorted training-row vocabulary, readable by h5py"; else bad "vocabulary in model.h5"; fi

# predict: the numbers of a forward pass over the documented inputs.
if "$BIN" predict --model r1/model.h5 new.csv >pred.csv 2>warn; then ok "predict with unseen levels exits 0"
else bad "predict: $(cat warn)"; fi
if $PY - <<'EOF'
import csv, h5py, numpy as np
with h5py.File("r1/model.h5", "r") as f:
    W1, b1, W2, b2 = (f["/model/" + k][()] for k in ("W1", "b1", "W2", "b2"))
    shift, scale = f["/norm/x_shift"][()], f["/norm/x_scale"][()]
    ys, yc = f["/norm"].attrs["y_shift"], f["/norm"].attrs["y_scale"]
    inputs = [n.decode() for n in f["/norm/feature_names"][()]]
rows = list(csv.DictReader(open("pred.csv")))
assert len(rows) == 5
for row in rows:
    x = np.zeros(len(inputs))
    for i, name in enumerate(inputs):
        col, _, level = name.partition("=")
        x[i] = float(row[col]) if not level else float(row[col] == level)
    z = (x - shift) / scale
    h = 1 / (1 + np.exp(-(W1 @ z + b1)))
    y = float((W2 @ h + b2)[0]) * yc + ys
    got = float(row["predicted_price"])
    assert abs(got - y) <= 1e-6 * max(1, abs(y)), (row, got, y)
EOF
then ok "predictions equal a forward pass over the one-hot inputs (unseen levels all zeros)"
else bad "predictions differ from the one-hot forward pass"; fi
n=$(grep -c "warning" warn)
if [ "$n" = 2 ] && grep -q 'new.csv: column "hood": 3 rows with a level the training rows never had ("Mars", "Venus"), first at new.csv:3:2; encoded as all zeros' warn \
   && grep -q 'column "zone": 1 row with a level the training rows never had ("45"), first at new.csv:6:3' warn
then ok "one warning line per column: values, count, first file:line:col"; else bad "unknown-level warnings: $(cat warn)"; fi

"$BIN" train c.ini --quiet --set run.dir=r2 --set data.unknown_category=error >/dev/null 2>&1
if "$BIN" predict --model r2/model.h5 new.csv >/dev/null 2>err; then bad "unknown_category = error accepted Mars"
elif grep -q '^housenet: new.csv:3:2: column "hood": level "Mars" is not one the model was trained on' err \
     && [ "$(wc -l <err)" = 1 ]; then ok "unknown_category = error: one line at file:line:col"
else bad "unknown_category = error: $(cat err)"; fi

# One-hot levels are collinear with the intercept: evaluate's least-squares row says it is undefined and why,
# where it showed nan in every column.
"$BIN" evaluate --model r1 >ev.txt 2>err || bad "evaluate r1: $(cat err)"
if grep -q '^baseline: least squares  *undefined: no unique fit (collinear features, as a feature.s one-hot levels are with the intercept, or fewer rows than features); ridge, below, is defined$' ev.txt &&
   ! grep -q nan ev.txt && grep -q '^baseline: ridge (lambda 1)  *[0-9]' ev.txt
then ok "evaluate: least squares undefined on one-hot inputs, said so"
else bad "evaluate least squares row: $(cat ev.txt err)"; fi

# min_category_count: rare levels share an "other" input; missing = mean a "missing" input.
"$BIN" train c.ini --quiet --set run.dir=r3 --set data.min_category_count=2 --set data.path=hm.csv \
    --set data.missing=mean >/dev/null 2>err || bad "train with min_category_count: $(cat err)"
if $PY - <<'EOF'
import h5py
with h5py.File("r3/model.h5", "r") as f:
    inputs = [n.decode() for n in f["/norm/feature_names"][()]]
    g = f["/categories/1"]
    rare = [t.decode() for t in g["levels"][()]][g.attrs["nlevels"]:]
    assert g.attrs["other"] == (1 if rare else 0) and g.attrs["missing"] == 1, dict(g.attrs)
assert "hood=(missing)" in inputs, inputs
assert all(t == "Solo" for t in rare), rare
assert ("hood=(other)" in inputs) == bool(rare)
EOF
then ok "rare levels go to (other), missing cells to (missing)"; else bad "min_category_count / missing level"; fi

# A categorical feature that is one constant input on the training rows
# (every level rarer than min_category_count, or one level) is named;
# the run above, with levels to tell apart, warns of nothing.
"$BIN" train c.ini --quiet --set run.dir=r3c --set data.min_category_count=1000 >/dev/null 2>errc ||
  bad "train with min_category_count = 1000: $(cat errc)"
$PY - <<'EOF'
with open("h.csv") as f, open("one.csv", "w") as g:
    for i, line in enumerate(f):
        size, hood, zone, price = line.rstrip("\n").split(",")
        g.write(",".join([size, "hood" if i == 0 else "North", zone, price]) + "\n")
EOF
"$BIN" train c.ini --quiet --set run.dir=r3d --set data.path=one.csv >/dev/null 2>errd ||
  bad "train with one level: $(cat errd)"
if ! grep -q constant err && [ "$(grep -c constant errc)" = 2 ] && grep -q "column \"zone\" has no level on 1000" errc &&
   grep -q '^housenet: warning: h.csv: column "hood" has no level on 1000 training rows or more (\[data\] min_category_count), so every level is (other): one constant input, which carries nothing; lower \[data\] min_category_count, or leave the column out$' errc &&
   grep -q '^housenet: warning: one.csv: column "hood" has one level on the training rows ("North"): one constant input' errd
then ok "a categorical feature that is one constant input is named"
else bad "constant categorical input: $(cat err errc errd)"; fi

# What a text column cannot be.
expect_err() { # description pattern args...
  d=$1; p=$2; shift 2
  if "$BIN" train c.ini --quiet "$@" >/dev/null 2>err; then bad "$d: accepted"
  elif grep -q "$p" err && [ "$(wc -l <err)" = 1 ]; then ok "$d"
  else bad "$d: $(cat err)"; fi
}
printf 'size,hood,zone,price\n1,North,20,5\n2,7,30,6\n3,South,20,7\n' > mixed.csv
expect_err "a column mixing numbers and text names the cell" \
  'mixed.csv:3:2: column "hood": a number among text: "7"; 2 other cells are text: fix the cell, or list the column in \[data\] categorical' \
  --set data.path=mixed.csv --set data.validation_fraction=0 --set data.test_fraction=0 --set run.dir=rm
expect_err "log_features on a text column" 'column "hood" holds text, so it is one-hot encoded and cannot take a log' \
  --set data.log_features=hood --set run.dir=rl
expect_err "a filter on a text column" '\[data\] filter: column "hood" holds text' \
  --set 'data.filter=hood > 2' --set run.dir=rf
expect_err "categorical names a feature" '\[data\] categorical: "price" is not one of the features' \
  --set data.categorical=price --set run.dir=rc
# HDF5: convert stores text columns as strings; training from the table
# gives the fingerprint, the vocabulary and the parameters of the CSV run.
if "$BIN" convert h.csv h.h5 >out 2>err && grep -q '4 columns .*3 float64, 1 text' out &&
   "$BIN" train c.ini --quiet --set run.dir=rh --set data.path=h.h5 >/dev/null 2>>err &&
   $PY - <<'EOF'
import h5py, numpy as np
with h5py.File("h.h5", "r") as t:
    assert t["/table/hood"].dtype.kind == "O" and t["/table/hood"].asstr()[3] in ("North", "South", "East", "West")
with h5py.File("r1/model.h5", "r") as a, h5py.File("rh/model.h5", "r") as b:
    assert a["/split"].attrs["fingerprint"] == b["/split"].attrs["fingerprint"]
    for k in ("/model/W1", "/model/b1", "/model/W2", "/model/b2", "/norm/x_shift", "/categories/1/levels",
              "/categories/2/levels"):
        assert a[k].shape == b[k].shape and (a[k][()] == b[k][()]).all(), k
EOF
then ok "an HDF5 table with text columns trains to the CSV run's bytes"
else bad "HDF5 text columns: $(cat out err)"; fi

finish category
