#!/bin/bash
# doc-listings.sh - the generated code shown in docs/vflisp.md is what the
# compiler generates: every ```vflisp block is compiled (Ethernet) and its
# `vflispc -S` output must equal the ```vfm block that follows it.
#
# Usage: doc-listings.sh DOC    Environment: VFLISPC.

set -u
export LC_ALL=C
: "${VFLISPC:?set VFLISPC}"
DOC=${1:?usage: doc-listings.sh DOC}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfl-doc.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Split the document into numbered blocks: N.vflisp, N.vfm.
awk -v dir="$TMP" '
    /^```vflisp$/ { n++; out = dir "/" n ".vflisp"; printf "" > out; inblk = 1; next }
    /^```vfm$/    { if (!n) { print "vfm block before any vflisp block" > "/dev/stderr"; exit 1 }
                    out = dir "/" n ".vfm"; printf "" > out; inblk = 1; next }
    /^```/        { inblk = 0; next }
    inblk         { print >> out }
' "$DOC" || exit 1

PASSED=0
FAILED=0
count=0
for src in "$TMP"/*.vflisp; do
    [ -f "$src" ] || continue
    count=$((count + 1))
    want=${src%.vflisp}.vfm
    first=$(head -n 1 "$src")
    if [ ! -f "$want" ]; then
        echo "FAIL: no vfm listing after the block starting '$first'"
        FAILED=$((FAILED + 1))
        continue
    fi
    if ! "$VFLISPC" -S - <"$src" >"$TMP/got" 2>"$TMP/err"; then
        echo "FAIL: '$first' does not compile: $(tr '\n' '|' <"$TMP/err")"
        FAILED=$((FAILED + 1))
    elif diff -u "$want" "$TMP/got" >"$TMP/diff"; then
        echo "ok: $first"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL: the listing of '$first' differs from the compiler's output:"
        cat "$TMP/diff"
        FAILED=$((FAILED + 1))
    fi
done
[ "$count" -gt 0 ] || { echo "FAIL: no vflisp blocks in $DOC"; FAILED=1; }
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
