# testlib.sh: what the shell tests share, sourced first by each with
#   . "$(dirname "$0")/testlib.sh"
# while $1 and $2 are the test's HOUSENET and SOURCE_DIR arguments.
# Sets BIN and SRC (both absolute), PY (the Debian python3 that sees
# python3-h5py), WORK (a new directory /tmp/housenet-NAME-XXXXXX, NAME the
# script's name without _test.sh, removed on exit) and makes WORK the
# working directory. ok WHAT and bad WHAT print one TAP-like line and count
# into passed and failed; finish [PREFIX] prints the counts and returns
# non-zero when anything failed, so that it ends a test as its last command.
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d "/tmp/housenet-$(basename "$0" .sh | sed 's/_test$//')-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; }
finish() { echo "${1:+$1: }$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
