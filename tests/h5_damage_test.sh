#!/bin/sh
# Damaged and hand-edited HDF5 files through every command that reads one
# (tests/h5_damage.py says what is tried and what is asserted).
# usage: h5_damage_test.sh HOUSENET SOURCE_DIR
# H5_DAMAGE_ALL=1 tries every mutation of every object (several minutes).
set -u
PY=/usr/bin/python3
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "FAIL - h5py and numpy are needed (sh tools/setup.sh installs python3-h5py)"
  exit 1
fi
exec $PY -W ignore::DeprecationWarning "$(dirname "$0")/h5_damage.py" "$1" "$2"
