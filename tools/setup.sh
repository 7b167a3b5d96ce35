#!/bin/sh
# Installs every Debian package that the build, the tests and the tools need.
#   sh tools/setup.sh          build, tests, plots
#   sh tools/setup.sh --bench  also the peers tools/bench compares against
#                              (FANN, PyTorch, scikit-learn: large, benchmarks only)
# Idempotent; run as root (or with sudo available) on Debian 12.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev libomp-14-dev \
libhdf5-dev hdf5-tools libcsv-dev libcmocka-dev libinih-dev openmpi-bin libopenmpi-dev \
python3 python3-numpy python3-h5py python3-matplotlib python3-pandas gnuplot-nox locales"
if [ "${1:-}" = "--bench" ]; then
  PKGS="$PKGS libfann-dev python3-torch python3-sklearn time"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
