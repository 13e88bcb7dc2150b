# lib.sh - sourced by the DEP-8 tests: checks counted, a summary, exit 1 on any failure.
set -u
export LC_ALL=C
PASSED=0 FAILED=0
TMPD=${AUTOPKGTEST_TMP:-$(mktemp -d)}
SAMPLE=/usr/share/vfm/mix.pcap
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
check() { # DESCRIPTION CMD...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
same() { # DESCRIPTION GOT WANT
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', want '$3'"; fi
}
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
