#!/bin/sh
# Damaged and hand-edited HDF5 files through every command that reads one
# (tests/h5_damage.py says what is tried and what is asserted).
# usage: h5_damage_test.sh HOUSENET SOURCE_DIR
# H5_DAMAGE_ALL=1 tries every mutation of every object (several minutes).
. "$(dirname "$0")/testlib.sh"
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  bad "h5py and numpy are needed (sh tools/setup.sh installs python3-h5py)"
  finish
  exit
fi
$PY -W ignore::DeprecationWarning "$SRC/tests/h5_damage.py" "$BIN" "$SRC"
