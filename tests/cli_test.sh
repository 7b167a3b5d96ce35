#!/bin/sh
# End-to-end checks of the housenet program: the worked example through
# `train` and `explain`, a short Ames run, bad input giving one clear line
# and the right exit status with nothing written, and the data commands
# `inspect` and `convert` (values bit-identical to Python's float(), training
# on the converted HDF5 table identical to training on the CSV, no output
# left by a failed conversion, memory bounded on a large file).
# usage: cli_test.sh HOUSENET SOURCE_DIR
. "$(dirname "$0")/testlib.sh"

# 1. The worked example: model.h5 holds the text's updated parameters to 1e-12.
if "$BIN" train "$SRC/configs/seed_example.ini" --set run.dir=seed --quiet >out.txt 2>err.txt; then
  if $PY - seed/model.h5 <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
want = {
    "W1": [[0.2056108859919978, 0.16157245235849543], [0.5036580030357395, 0.6075446312612127]],
    "b1": [0.0824659812750069, 0.23856874051331395],
    "W2": [[0.18667509608543847, 0.1007545699189388]],
    "b2": [0.1659810318631217],
}
for k, v in want.items():
    got = f["model/" + k][()]
    assert got.shape == np.array(v).shape, (k, got.shape)
    assert np.max(np.abs(got - np.array(v))) <= 1e-12, (k, got)
assert f.attrs["format"] in ("housenet-model", b"housenet-model")
PYEOF
  then ok "train seed_example reproduces the worked example to 1e-12"
  else bad "train seed_example: model.h5 values"; fi
else
  bad "train seed_example failed: $(cat err.txt)"
fi

# 2. explain prints each chain-rule term with the text's values.
"$BIN" explain "$SRC/configs/seed_example.ini" >explain.txt 2>&1
for want in "z11 = b11 + w111*x1 + w112*x2" "h21 = linear(z21) = 0.630094840684" \
            "dL/dh21 = -(y - h21) = -(-0.54 - 0.630094840684) = 1.17009484068" \
            "dL/dw211 = dL/dz21 * dz21/dw211 = 1.17009484068 * h11 (0.484255207246) = 0.566624519573" \
            "dh11/dz11 = h11 (1 - h11)" "dL/dw122 = " "= 0.6075446312612127" \
            "L = 0.3506359918401834 (before: 0.684560968098116, lower)" \
            "dL/dh11 = dL/dz21 * w211 = 1.17009484068 * 0.3 = 0.351028452205" \
            "w111     0.2 - 0.2 * -0.028054429959988973 = 0.2056108859919978" \
            "differ by at most 0"; do
  if grep -qF -- "$want" explain.txt; then ok "explain shows: $want"; else bad "explain lacks: $want"; fi
done

# 3. A short Ames run: validation loss falls, curves.h5 has one row per epoch.
if "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=15 --set run.dir=ames --quiet >out.txt 2>err.txt; then
  if $PY - ames/curves.h5 <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
e = f["curves/epoch"][()]; v = f["curves/val_loss"][()]
assert list(e) == list(range(16)), e
assert v[-1] < 0.6 * v[0], v
PYEOF
  then ok "ames: val_loss falls, one curves row per epoch"
  else bad "ames curves"; fi
else
  bad "ames train failed: $(cat err.txt)"
fi

# 3b. Without --quiet and off a terminal: one progress line per epoch on
# stderr, a summary with test metrics in target units on stdout. Epoch 0,
# the state before training, has no gradient norm nor rate to show (it
# showed grad_norm nan).
if "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=2 --set run.dir=lines >out.txt 2>err.txt &&
   grep -q '^epoch 0/2  train_loss .* val_rmse .*  (before training)$' err.txt && ! grep -qi nan err.txt &&
   [ "$(grep -c '^epoch [1-2]/2  train_loss .* val_rmse .* grad_norm [0-9].* samples/s' err.txt)" -eq 2 ] &&
   grep -q '^best_epoch ' out.txt && grep -q '^test_rmse .* (Sale_Price units, 440 rows)' out.txt; then
  ok "progress lines on stderr, summary on stdout"
else
  bad "progress/summary: $(cat err.txt out.txt)"
fi

# 3c. Without validation rows (the worked example's one row) the lines and
# the summary leave the validation figures out, where they showed nan.
if "$BIN" train "$SRC/configs/seed_example.ini" --set run.dir=noval >out.txt 2>err.txt &&
   ! grep -qi nan err.txt out.txt && grep -q '^epoch 1/1  train_loss [0-9.]*  lr 0.2  grad_norm ' err.txt &&
   grep -q '^train_loss [0-9.]*  (normalised units, epoch 1; no validation rows)$' out.txt; then
  ok "no validation rows: no nan in the lines and the summary"
else
  bad "no validation rows: $(cat err.txt out.txt)"
fi

# 3d. A bounded output activation that cannot reach the normalised targets is named, with the fix; under
# normalize_target = minmax (targets in [0, 1]) sigmoid can, and nothing is said.
if "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set model.output_activation=sigmoid --set run.dir=sig1 \
     --quiet >/dev/null 2>err.txt &&
   grep -q '^housenet: warning: \[model\] output_activation = sigmoid reaches only (0, 1), and [0-9]*% of the training rows.* set \[data\] normalize_target = minmax (targets in \[0, 1\]), or output_activation = linear$' err.txt &&
   "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=1 --set model.output_activation=sigmoid \
     --set data.normalize_target=minmax --set run.dir=sig2 --quiet >/dev/null 2>err2.txt && [ ! -s err2.txt ]; then
  ok "a sigmoid output that cannot reach the targets is named; under minmax it is not"
else
  bad "output range warning: $(cat err.txt err2.txt)"
fi

# 4. evaluate and predict against an independent numpy recomputation.
if $PY "$SRC/tests/check_evaluate.py" "$BIN" ames/model.h5 "$WORK" >check.txt 2>&1; then
  ok "evaluate and predict match numpy"
else
  bad "evaluate/predict vs numpy: $(cat check.txt)"
fi
# 4a. The transforms: a log target and a log1p feature, evaluate and predict
# in dollars against numpy (which applies the transforms itself); a target
# of 0 under log is an error at its line and column, nothing written.
if "$BIN" train "$SRC/configs/ames.ini" --quiet --set run.dir=logged --set train.epochs=20 \
     --set data.target_transform=log --set data.log_features=Gr_Liv_Area >out.txt 2>err.txt &&
   $PY "$SRC/tests/check_evaluate.py" "$BIN" logged/model.h5 "$WORK" >check.txt 2>&1; then
  ok "log target and log1p feature: evaluate and predict match numpy"
else
  bad "transforms vs numpy: $(cat err.txt check.txt)"
fi
printf 'a;b;price\n1;2;100\n2;1;0\n3;3;150\n4;1;90\n5;2;120\n6;4;200\n7;1;110\n8;3;170\n9;2;160\n10;5;260\n' >zero.csv
printf '[data]\npath = zero.csv\ndelimiter = ;\nfeatures = a, b\ntarget = price\ntarget_transform = log\n[run]\ndir = zero\n' >zero.ini
"$BIN" train zero.ini --quiet >out.txt 2>err.txt; st=$?
if [ "$st" -eq 1 ] && [ ! -e zero ] &&
   grep -q '^housenet: zero.csv:3:3: column "price": 0 is outside the domain of log (\[data\] target_transform = log needs values above 0); leave such rows out with \[data\] filter = price > 0, or use log1p$' err.txt; then
  ok "a target of 0 under log: file:line:col, exit 1, nothing written"
else
  bad "log of 0: status $st: $(cat err.txt)"
fi
# 4a'. Semicolon and pipe files, the delimiter given in the file, by --set
# and by name on the command line.
tr ';' '|' <zero.csv >pipe.csv
if "$BIN" train zero.ini --quiet --set data.target_transform=log1p --set train.epochs=1 >out.txt 2>err.txt &&
   "$BIN" train zero.ini --quiet --force --set 'data.delimiter=;' --set data.target_transform=none \
     --set train.epochs=1 >out.txt 2>err.txt &&
   "$BIN" train zero.ini --quiet --force --set data.path=pipe.csv --set 'data.delimiter=|' --set train.epochs=1 \
     --set data.target_transform=log1p >out.txt 2>err.txt &&
   "$BIN" evaluate --model zero/model.h5 zero/../pipe.csv --delimiter pipe >out.txt 2>err.txt; then
  ok "semicolon and pipe files train, from the file and by --set"
else
  bad "semicolon/pipe delimiter: $(cat err.txt)"
fi
# 4a''. NA and friends are missing by default; an undeclared marker gets a hint.
printf 'a,b,y\n1,2,3\nNA,3,5\n2,#N/A,4\n3,1,7\n4,4,9\n5,2,8\n' >na.csv
printf 'a,b,y\n1,2,3\n?,3,5\n2,1,4\n3,1,7\n' >q.csv
printf '[data]\npath = na.csv\nfeatures = a, b\ntarget = y\nmissing = drop\n[run]\ndir = na\n' >na.ini
"$BIN" train na.ini --quiet --set data.path=q.csv >out.txt 2>q.txt; st=$?
if "$BIN" train na.ini --dry-run >out.txt 2>err.txt && grep -q '6 rows read, 0 left out by the filter, 2 dropped' out.txt &&
   [ "$st" -eq 1 ] && grep -q '^housenet: q.csv:3:1: column "a": expected a number, got "?"; if it means missing, list it in \[data\] na_values' q.txt; then
  ok "NA and #N/A missing by default; \"?\" is an error with a hint"
else
  bad "missing tokens: $(cat out.txt err.txt q.txt)"
fi
# 4b'. cv against numpy (folds, baselines, summary, evaluate on a fold's run),
# with the transforms on; the same folds.csv whatever the thread count.
if $PY "$SRC/tests/check_cv.py" "$BIN" "$SRC/configs/ames.ini" "$WORK" 3 2 7 --set train.epochs=20 \
     --set data.target_transform=log --set data.log_features=Gr_Liv_Area >check.txt 2>&1; then
  ok "cv matches numpy: $(cat check.txt)"
else
  bad "cv vs numpy: $(cat check.txt)"
fi
if "$BIN" cv "$SRC/configs/ames.ini" --folds 3 --set train.epochs=10 --set run.dir=cv1 --set train.threads=1 \
     >cv1.txt 2>err.txt &&
   "$BIN" cv "$SRC/configs/ames.ini" -k 3 --set train.epochs=10 --set run.dir=cv2 --set train.threads=2 --quiet \
     >cv2.txt 2>err.txt && cmp -s cv1/cv/folds.csv cv2/cv/folds.csv &&
   [ "$(wc -l <cv1/cv/folds.csv)" -eq 4 ] && grep -q '^baseline: ridge (lambda 1) ' cv1.txt &&
   [ ! -s err.txt ]; then
  ok "cv: folds.csv the same on 1 and 2 threads, a table on stdout"
else
  bad "cv threads: $(cat err.txt; diff cv1/cv/folds.csv cv2/cv/folds.csv | head -3)"
fi
# A second cv of fewer folds into cv2 replaces the first's fold runs without a line per fold, and removes
# the fold it no longer makes (r1-f3 stood beside its two as if it were one of them).
if "$BIN" cv "$SRC/configs/ames.ini" --folds 2 --set train.epochs=2 --set run.dir=cv2 --quiet >/dev/null 2>err.txt &&
   [ ! -s err.txt ] && [ "$(ls cv2/cv | tr '\n' ' ')" = "folds.csv r1-f1 r1-f2 " ]; then
  ok "cv: a new cv replaces the earlier one's folds, quietly, and removes the one it does not make"
else
  bad "cv again with fewer folds: $(cat err.txt) left: $(ls cv2/cv)"
fi
"$BIN" cv "$SRC/configs/ames.ini" --folds 1 >out.txt 2>err.txt; st=$?
if [ "$st" -eq 2 ] && grep -q '^housenet: --folds: "1" is not a whole number from 2 to 1000$' err.txt; then
  ok "cv --folds 1: a usage error"
else
  bad "cv --folds 1: status $st: $(cat err.txt)"
fi
printf 'Gr_Liv_Area,TotRms_AbvGrd,Sale_Price\n1000,5,100000\n1200,6,120000\n1400,6,150000\n1500,7,160000\n1700,7,170000\n1900,8,200000\n' >six.csv
"$BIN" cv "$SRC/configs/ames.ini" --folds 8 --set data.path=six.csv --set run.dir=cv8 >out.txt 2>err.txt; st=$?
if [ "$st" -eq 1 ] && grep -q ': 6 usable rows cannot make 8 folds; use 6 folds or fewer$' err.txt && [ ! -e cv8/cv ]; then
  ok "cv: more folds than rows names the most it can make"
else
  bad "cv --folds 8 on 6 rows: status $st: $(cat err.txt)"
fi
"$BIN" evaluate --model ames/model.h5 >eval.txt 2>err.txt
if grep -q "^model  " eval.txt && grep -q "baseline: least squares" eval.txt && [ ! -s err.txt ]; then
  ok "evaluate prints the model and both baselines"
else
  bad "evaluate text: $(cat eval.txt err.txt)"
fi
# A run directory where a model or a curves file is read is taken for its model.h5 or curves.h5; inspect
# names the files it can read; a directory without the file is named as such.
"$BIN" curves export ames/curves.h5 --csv >c1.csv 2>err.txt
if "$BIN" evaluate --model ames/ >eval2.txt 2>>err.txt && cmp -s eval.txt eval2.txt &&
   "$BIN" curves export ames --csv >c2.csv 2>>err.txt && cmp -s c1.csv c2.csv && [ -s c1.csv ]; then
  ok "evaluate --model RUN and curves export RUN read its model.h5 and curves.h5"
else
  bad "a run directory for its files: $(cat err.txt)"
fi

# 4b. [data] filter: the rows it leaves out are reported by train, --dry-run
# and evaluate, and evaluate on another file applies the model's filter.
F='data.filter=Gr_Liv_Area <= 4000'
if "$BIN" train "$SRC/configs/ames.ini" --set "$F" --set train.epochs=2 --set run.dir=filtered >out.txt 2>err.txt &&
   grep -q '^housenet: 5 of the 2930 rows left out by \[data\] filter (Gr_Liv_Area <= 4000)$' err.txt &&
   "$BIN" train "$SRC/configs/ames.ini" --set "$F" --dry-run >dry.txt 2>err.txt &&
   grep -q ': 2930 rows read, 5 left out by the filter, 0 dropped, 0 cells filled; 2047 training' dry.txt &&
   "$BIN" evaluate --model filtered/model.h5 "$SRC/datasets/ames_housing.csv" --json >eval.json 2>err.txt &&
   grep -q "ames_housing.csv: 5 rows outside the model's \[data\] filter (Gr_Liv_Area <= 4000) left out" err.txt &&
   $PY -c 'import json,sys; sys.exit(json.load(open("eval.json"))["rows"] != 2925)'; then
  ok "filter: 5 Ames rows left out in train, --dry-run and evaluate of a file"
else
  bad "filter: $(cat err.txt dry.txt eval.json 2>/dev/null | head -20)"
fi

# 5. curves: the step log and the CSV export.
if "$BIN" train "$SRC/configs/ames.ini" --set train.epochs=3 --set train.batch_size=32 --set run.dir=steps --set run.log_every_steps=10 \
     --quiet >out.txt 2>err.txt &&
   "$BIN" curves export steps/curves.h5 --csv >curves.csv 2>err.txt &&
   "$BIN" curves export steps/curves.h5 --csv --steps >steps.csv 2>>err.txt; then
  if head -1 curves.csv | grep -q '^epoch,train_loss,val_loss,learning_rate,' && [ "$(wc -l <curves.csv)" -eq 5 ] &&
     head -1 steps.csv | grep -q '^step,epoch,loss,learning_rate$' && [ "$(wc -l <steps.csv)" -eq 20 ]; then
    ok "curves export: 4 epoch rows, 19 step rows (every 10th of 195 steps)"
  else
    bad "curves export: $(head -3 curves.csv steps.csv)"
  fi
else
  bad "curves export failed: $(cat err.txt)"
fi

# 5b. The plot tools write PNGs (skipped where their packages are missing).
png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
if $PY -c 'import h5py, matplotlib' 2>/dev/null; then
  if $PY "$SRC/tools/plot_loss.py" steps/curves.h5 -o plot.png >/dev/null 2>err.txt && png plot.png; then
    ok "tools/plot_loss.py writes a PNG"
  else bad "tools/plot_loss.py: $(cat err.txt)"; fi
else
  echo "skip - tools/plot_loss.py: no h5py or matplotlib"
fi
if command -v gnuplot >/dev/null 2>&1; then
  if gnuplot -e "in='curves.csv'; out='plot_gp.png'" "$SRC/tools/plot_loss.gp" 2>err.txt && png plot_gp.png; then
    ok "tools/plot_loss.gp writes a PNG"
  else bad "tools/plot_loss.gp: $(cat err.txt)"; fi
else
  echo "skip - tools/plot_loss.gp: no gnuplot"
fi

# 6. --dry-run prints the config, the data and the memory, and writes nothing.
if "$BIN" train "$SRC/configs/ames.ini" --dry-run --set run.dir=dry >dry.txt 2>err.txt &&
   grep -q '^optimizer = ' dry.txt && grep -q 'Gr_Liv_Area *feature' dry.txt && grep -q '^# memory' dry.txt &&
   [ ! -e dry ]; then
  ok "train --dry-run"
else
  bad "train --dry-run: $(cat dry.txt err.txt)"
fi

# 7. help config documents every key of a resolved config.
"$BIN" help config >help.txt
missing=""
for key in $(grep -o '^[a-z_0-9]* =' dry.txt | cut -d' ' -f1); do
  grep -q "^  $key " help.txt || missing="$missing $key"
done
if [ -z "$missing" ]; then ok "help config documents every key"; else bad "help config lacks:$missing"; fi

# 8. Bad input: one line on stderr, exit status, nothing written.
expect_error() { # name status pattern command...
  name=$1; status=$2; pattern=$3; shift 3
  "$@" >out.txt 2>err.txt
  rc=$?
  lines=$(wc -l <err.txt)
  if [ "$rc" -eq "$status" ] && [ "$lines" -eq 1 ] && grep -qF -- "$pattern" err.txt; then
    ok "$name"
  else
    bad "$name: status $rc, stderr: $(cat err.txt)"
  fi
}
printf '[data]\npath = x.csv\n[train]\nlearnig_rate = 0.1\n' >typo.ini
expect_error "unknown key -> status 2 with file:line" 2 'typo.ini:4: unknown key "learnig_rate" in [train] (did you mean "learning_rate"?)' \
  "$BIN" train typo.ini
# One delimiter rule for the config, every command and the readers.
RULE='other than a quote, a digit, . + - e or E'
expect_error "a digit as --delimiter of evaluate -> the rule" 2 "-d \"5\": expected one character (e.g. , or ; or tab) $RULE" \
  "$BIN" evaluate --model ames/model.h5 -d 5
expect_error "a minus as [data] delimiter -> the rule, naming the key" 2 "[data] delimiter: expected one character (e.g. , or ; or tab) $RULE, got \"-\"" \
  "$BIN" train "$SRC/configs/ames.ini" --set data.delimiter=- --dry-run
expect_error "two characters as --delimiter of inspect -> the rule" 2 "--delimiter \"ab\": expected one character" \
  "$BIN" inspect "$SRC/datasets/ames_housing.csv" --delimiter=ab
printf '[data]\npath = nowhere.csv\nfeatures = a\ntarget = b\n[run]\ndir = shouldnotexist\n' >missing.ini
expect_error "missing data file -> status 2 at its key, the fix" 2 \
  "missing.ini:2: [data] path: nowhere.csv: no such file; set it to the CSV or HDF5 file to train on (a relative path is taken from the config file's directory)" \
  "$BIN" train missing.ini
if [ -e shouldnotexist ]; then bad "run dir created for a failed load"; else ok "no run dir for a failed load"; fi
cp "$SRC/datasets/ames_housing.csv" ames_sales.csv
expect_error "a misspelt data file -> the closest data file beside it" 2 \
  "housenet: --set data.path: ames_sale.csv: no such file (did you mean ames_sales.csv?); set it to the CSV or HDF5 file to train on (a relative path is taken from the current directory)" \
  "$BIN" train missing.ini --set data.path=ames_sale.csv
expect_error "[data] path = - -> /dev/stdin" 2 \
  "housenet: --set data.path: -: no such file (standard input is /dev/stdin here); set it" \
  "$BIN" train missing.ini --set data.path=-
mkdir -p datadir
expect_error "a data path that is a directory -> said so" 2 \
  "housenet: --set data.path: datadir is a directory; set it to a CSV or HDF5 file in it" \
  "$BIN" cv missing.ini --set data.path=datadir
expect_error "unknown command -> status 2" 2 'unknown command' "$BIN" frobnicate
# A config that does not exist: the closest .ini beside it, the shipped
# configs/ from a source tree's root, or the directory that is missing.
expect_error "a misspelt config -> the closest .ini" 1 \
  "$SRC/configs/amse.ini: cannot open config: No such file or directory (did you mean $SRC/configs/ames.ini?)" \
  "$BIN" train "$SRC/configs/amse.ini"
expect_error "a config named from the source root -> configs/" 1 \
  "ames_full.ini: cannot open config: No such file or directory (did you mean configs/ames_full.ini?)" \
  sh -c "cd '$SRC' && '$BIN' train ames_full.ini"
expect_error "a config in a directory that is not there -> that directory" 1 \
  "config/ames.ini: cannot open config: No such file or directory (no directory config/)" "$BIN" train config/ames.ini
printf 'Gr_Liv_Area,rooms\n1500,6\n' >nofeature.csv
expect_error "predict without a feature column -> status 1" 1 'nofeature.csv:1: no column "TotRms_AbvGrd"' \
  "$BIN" predict --model ames/model.h5 nofeature.csv -o shouldnotexist.csv
if [ -e shouldnotexist.csv ] || ls | grep -q 'shouldnotexist.csv.tmp'; then bad "predict left a file"; else ok "failed predict writes nothing"; fi
expect_error "evaluate without --model -> status 2" 2 'missing --model' "$BIN" evaluate
# Every command of the table answers --help and `help CMD` with its usage
# on stdout and status 0; an unknown option names the command's --help.
"$BIN" help >commands.txt
cmds=$(grep -o '^  [a-z][a-z]* ' commands.txt | tr -d ' ' | sort -u)
[ "$(echo $cmds | wc -w)" -ge 8 ] && ok "help lists the commands" || bad "help lists: $cmds"
for c in $cmds; do
  "$BIN" "$c" --help >usage.txt 2>err.txt; rc=$?
  "$BIN" help "$c" >usage2.txt 2>>err.txt; rc2=$?
  if [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && grep -q "^  $c " usage.txt && cmp -s usage.txt usage2.txt && [ ! -s err.txt ]; then
    ok "$c --help and help $c: its usage, status 0"
  else
    bad "$c --help: status $rc/$rc2, stdout $(head -2 usage.txt), stderr $(cat err.txt)"
  fi
  [ "$c" = help ] && continue
  expect_error "$c --bogus -> status 2 pointing at its --help" 2 "see housenet $c --help" "$BIN" "$c" --bogus
done
expect_error "help of an unknown command -> status 2" 2 'no command "bogus"' "$BIN" help bogus
# A misspelt command or option gets the closest name; a value given to a flag is named as such.
expect_error "a misspelt command -> did you mean" 2 'unknown command "trian" (did you mean train?); commands are' \
  "$BIN" trian x.ini
expect_error "a misspelt option -> did you mean" 2 'train: unknown option --sett (did you mean --set?); see housenet train --help' \
  "$BIN" train x.ini --sett train.epochs=2
expect_error "a misspelt option=value -> did you mean" 2 'cv: unknown option --fold=3 (did you mean --folds?)' \
  "$BIN" cv x.ini --fold=3
expect_error "a flag given a value" 2 'train: --quiet takes no value' "$BIN" train x.ini --quiet=1
# A run directory where one file is read (the evaluate and curves export cases are above).
expect_error "inspect RUN names its files" 2 "ames is a run directory; inspect reads one file: ames/model.h5, or its" \
  "$BIN" inspect ames
mkdir -p emptydir
expect_error "--model DIR without model.h5" 2 "emptydir is a directory without model.h5; --model names a model file" \
  "$BIN" predict --model emptydir x.csv
printf '[data]\npath = x.csv\nfeatures = a\ntarget = b\n[train]\noptimiser = adam\n' >typo2.ini
expect_error "misspelt new key -> did you mean" 2 'unknown key "optimiser" in [train] (did you mean "optimizer"?)' \
  "$BIN" train typo2.ini

# 5. inspect on a small CSV: rows and, per column, type, missing, min, mean, max.
cat >want.txt <<WANT
file $SRC/tests/data/csv/inspect.csv
format csv
rows 3
columns 4
column  type     missing             min            mean             max
id      numeric        0               1               2               3
city    text           0               -               -               -  first text at line 2: "Davis"
price   numeric        1             100             200             300
area    numeric        1              50              60              70
WANT
if "$BIN" inspect "$SRC/tests/data/csv/inspect.csv" --na-values NA >out.txt 2>err.txt && cmp -s out.txt want.txt; then
  ok "inspect describes a small CSV"
else
  bad "inspect output: $(diff want.txt out.txt) $(cat err.txt)"
fi

# 6. convert: Ames to HDF5; every numeric value bit-identical to float() of the CSV text;
# uncompressed by default, shuffle + deflate with --compress (the same values).
for compress in "" --compress; do
if "$BIN" convert "$SRC/datasets/ames_housing.csv" ames.h5 $compress >out.txt 2>err.txt; then
  if grep -q 'converted 2930 rows x 74 columns .*34 float64, 40 text' out.txt &&
     grep -q 'column "MS_Zoning" stored as text (first text at line 2' err.txt &&
     $PY - "$SRC/datasets/ames_housing.csv" ames.h5 "$compress" <<'PYEOF'
import csv, sys, h5py, numpy as np
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
f = h5py.File(sys.argv[2], "r")
assert f.attrs["format"] == "housenet-table" and f.attrs["table"] == "/table"
g = f["table"]
assert len(g) == 74, len(g)
for name in g:
    j = head.index(name)
    if g[name].dtype.kind == "O":  # a text column: each cell's text, as h5py's str
        na = {"NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "<NA>", "#N/A"}
        assert list(g[name].asstr()[()]) == ["" if r[j].strip() in na else r[j].strip() for r in body], name
        continue
    want = np.array([float(r[j]) for r in body])
    got = g[name][()]
    assert got.dtype == np.float64 and (got.view(np.uint64) == want.view(np.uint64)).all(), name
    assert g[name].chunks == (65536,)
    if sys.argv[3]:
        assert g[name].compression == "gzip" and g[name].shuffle, name
    else:
        assert g[name].compression is None and not g[name].shuffle, name
PYEOF
  then ok "convert $compress writes every numeric Ames column bit-identical to float(), every text column as str"
  else bad "convert ames $compress: $(cat out.txt) $(cat err.txt)"; fi
else
  bad "convert ames $compress failed: $(cat err.txt)"
fi
done

# 7. inspect on the converted table gives the CSV's figures.
"$BIN" inspect "$SRC/datasets/ames_housing.csv" >csv_inspect.txt 2>&1
"$BIN" inspect ames.h5 >h5_inspect.txt 2>&1
c=$(grep '^Sale_Price ' csv_inspect.txt | awk '{print $2, $3, $4, $5, $6}')
h=$(grep '^Sale_Price ' h5_inspect.txt | awk '{print $2, $3, $4, $5, $6, $7}')
if grep -q '^rows 2930$' h5_inspect.txt && grep -q '^format hdf5 table /table (one dataset per column)$' h5_inspect.txt &&
   [ -n "$c" ] && [ "$h" = "$c float64" ]; then
  ok "inspect of the HDF5 table matches the CSV ($c)"
else
  bad "inspect ames.h5: csv '$c', h5 '$h': $(head -3 h5_inspect.txt)"
fi

# 8. Training on the HDF5 table gives the parameters training on the CSV gives.
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=5 --set run.dir=from_csv --quiet >out.txt 2>err.txt
"$BIN" train "$SRC/configs/ames.ini" --set train.epochs=5 --set run.dir=from_h5 --set data.path=ames.h5 \
  --quiet >out2.txt 2>err2.txt
if $PY - from_csv/model.h5 from_h5/model.h5 <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in a["model"]:
    assert (a["model"][k][()] == b["model"][k][()]).all(), k
assert (a["norm/x_scale"][()] == b["norm/x_scale"][()]).all()
PYEOF
then ok "training on ames.h5 gives the parameters of training on the CSV"
else bad "train from h5: $(cat err.txt err2.txt)"; fi

# 9. A failed conversion leaves no output and no temporary file, and keeps an old output.
printf 'a,b\n1,2\n3,4\n5,6,7\n' >bad.csv
expect_error "convert of a ragged CSV -> status 1 with file:line" 1 'bad.csv:4: row has 3 fields, the header has 2' \
  "$BIN" convert bad.csv bad.h5
if ls | grep -q '^bad\.h5'; then bad "convert left $(ls | grep '^bad\.h5')"; else ok "a failed convert leaves no file"; fi
# An OUT whose name does not end in .h5 or .hdf5 would be an HDF5 file that every reader takes for CSV.
expect_error "convert to a name without .h5 -> status 2 with the name to give" 2 \
  'out.csv: convert writes an HDF5 table, and a file is read as one by its name'"'"'s .h5 or .hdf5 ending: name it out.h5' \
  "$BIN" convert bad.csv out.csv
[ -e out.csv ] && bad "convert wrote out.csv" || ok "convert to out.csv wrote nothing"
echo previous >old.h5
"$BIN" convert bad.csv old.h5 >/dev/null 2>&1
if [ "$(cat old.h5)" = previous ] && ! ls | grep -q '^old\.h5\.tmp'; then ok "a failed convert keeps the old output"
else bad "old.h5 changed or a temporary file is left"; fi
if "$BIN" inspect from_csv/model.h5 >out.txt 2>err.txt && grep -q "housenet-model version 1" out.txt \
   && grep -q "/model/W1 *float64 (2, 2)" out.txt; then ok "inspect describes a model file"
else bad "inspect of a model file: $(cat err.txt)"; fi
expect_error "a table key with a CSV -> status 2" 2 '[data] table applies to HDF5 files' \
  "$BIN" train "$SRC/configs/ames.ini" --set data.table=t --set run.dir=never

# 11. [data] stream: training from the HDF5 table a chunk at a time gives
# bit-identical parameters for 1 and 2 threads and for a repeated run; a
# streamed model is not evaluated on an unrecorded test split.
awk 'BEGIN { srand(2); print "x1,x2,y"; for (i = 0; i < 150000; i++) { a = rand(); b = rand();
  printf "%.17g,%.17g,%.17g\n", a, b * 1000, 2 * a - b + 0.1 * rand() } }' >s.csv
"$BIN" convert s.csv s.h5 --quiet >/dev/null 2>&1
printf '[data]\npath = s.h5\nfeatures = x1, x2\ntarget = y\nstream = true\ntest_fraction = 0.1\n[train]\nepochs = 2\nbatch_size = 128\noptimizer = adam\nlearning_rate = 0.01\n' >s.ini
if "$BIN" train s.ini --set train.threads=1 --set run.dir=s1 --quiet >out.txt 2>err.txt &&
   "$BIN" train s.ini --set train.threads=2 --set run.dir=s2 --quiet >>out.txt 2>>err.txt &&
   "$BIN" train s.ini --set train.threads=2 --set run.dir=s3 --quiet >>out.txt 2>>err.txt; then
  if $PY - s1/model.h5 s2/model.h5 s3/model.h5 <<'PYEOF'
import sys, h5py, numpy as np
fs = [h5py.File(p, "r") for p in sys.argv[1:]]
for k in ("W1", "b1", "W2", "b2"):
    a = fs[0]["model/" + k][()]
    for f in fs[1:]:
        assert a.tobytes() == f["model/" + k][()].tobytes(), k
sp = fs[0]["split"]
assert sp.attrs["split"] in ("hash", b"hash"), "a streamed model's split is the hashed draw"
assert sp["val_rows"].shape == (0,) and sp["test_rows"].shape == (0,), "with no row lists"
assert sp.attrs["rows_read"] == 150000
PYEOF
  then ok "streamed training is bit-identical for 1 and 2 threads and across runs"
  else bad "streamed training: models differ"; fi
else
  bad "streamed training failed: $(cat err.txt)"
fi
expect_error "evaluate of a streamed model without a data file -> a hint" 1 'pass a data file to evaluate' \
  "$BIN" evaluate --model s1/model.h5
expect_error "stream with a CSV path -> status 2 naming the key" 2 '[data] stream applies to HDF5 files' \
  "$BIN" train "$SRC/configs/ames.ini" --set data.stream=true --set run.dir=never

# 10. convert streams: on 2,000,000 rows (~120 MB, 48 MB of values) its peak RSS
# stays under 40 MiB; training streamed from the result stays under 48 MiB.
# Skipped under the sanitizers (their allocator is not ours).
if [ -n "${ASAN_OPTIONS:-}" ]; then
  echo "skip - convert memory bound (sanitizer build)"
else
  awk 'BEGIN { srand(1); print "x1,x2,y"; for (i = 0; i < 2000000; i++) printf "%.17g,%.17g,%.17g\n", rand(), rand() * 1000, rand() - 0.5 }' >big.csv
  kib=$($PY - "$BIN" big.csv big.h5 <<'PYEOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "convert", sys.argv[2], sys.argv[3], "--quiet"], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PYEOF
)
  if [ -n "$kib" ] && [ "$kib" -lt 40960 ] && [ -s big.h5 ]; then ok "convert of 2M rows peaks at $kib KiB"
  else bad "convert of 2M rows: peak RSS ${kib:-?} KiB"; fi
  # Training streamed from it holds two 65536-row blocks and the validation
  # rows (200k), not the 2M rows: in memory the same run peaks near 130 MiB.
  printf '[data]\npath = big.h5\nfeatures = x1, x2\ntarget = y\nstream = true\nvalidation_fraction = 0.1\n[train]\nepochs = 1\nbatch_size = 1024\nthreads = 1\n' >big.ini
  kib=$($PY - "$BIN" big.ini <<'PYEOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "train", sys.argv[2], "--quiet"], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PYEOF
)
  if [ -n "$kib" ] && [ "$kib" -lt 49152 ]; then ok "streamed training on 2M rows peaks at $kib KiB"
  else bad "streamed training on 2M rows: peak RSS ${kib:-?} KiB"; fi
  rm -f big.csv big.h5
fi

# 12. Kernel paths: --version names the path in use, the paths available and
# the arithmetic version; HOUSENET_ISA forces a path; a name that is unknown
# (or that this CPU cannot run) stops every command with exit status 2.
"$BIN" --version >out.txt 2>err.txt
if grep -q "^kernels [a-z0-9]* (available: baseline" out.txt && grep -q "^arithmetic [0-9]" out.txt; then
  ok "--version names the kernel path and the arithmetic version"
else bad "--version: $(cat out.txt err.txt)"; fi
if HOUSENET_ISA=baseline "$BIN" --version | grep -q "^kernels baseline "; then ok "HOUSENET_ISA=baseline forces the baseline path"
else bad "HOUSENET_ISA=baseline: $(HOUSENET_ISA=baseline "$BIN" --version 2>&1)"; fi
HOUSENET_ISA=sse9 "$BIN" train "$SRC/configs/ames.ini" --set run.dir=isa --quiet >out.txt 2>err.txt
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'HOUSENET_ISA=sse9: unknown; this binary and CPU run baseline' err.txt && [ ! -e isa ]; then
  ok "HOUSENET_ISA=sse9 exits 2 naming the paths"
else bad "HOUSENET_ISA=sse9: exit $rc, $(cat err.txt)"; fi
$PY - seed/model.h5 <<'PYEOF' && ok "model.h5 stores the arithmetic version" || bad "model.h5 has no arithmetic attribute"
import sys, h5py
assert int(h5py.File(sys.argv[1], "r").attrs["arithmetic"]) >= 1
PYEOF

finish
