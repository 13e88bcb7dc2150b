#!/bin/bash
# equivalence.sh - every VFLisp filter of equivalence.pairs accepts exactly
# the packets its tcpdump expression accepts, on every capture of DIR.
#
# Usage: equivalence.sh [--skip-if-missing] DIR
# Environment: VFLISPC, VFM_TEST (tool paths), VFL_PAIRS (the pairs file).
#
# Each filter is compiled for the capture's link type (vflispc --linktype,
# the name tcpdump reports) and run with `vfm-test --count`; tcpdump runs
# `tcpdump --count -r CAPTURE EXPR`.  Both reject a packet when a load falls
# outside the captured bytes, so truncated packets must agree too.  Where
# tcpdump refuses the expression for the link type ("expression rejects all
# packets", "no VLAN support for ..."), the expected count is 0.  A capture
# tcpdump cannot open must make vfm-test exit 2; one it reads partly (a count
# and exit 1) must give the same count and make vfm-test exit 2.
# --skip-if-missing: a missing DIR prints SKIP and exits 77 (the shared
# corpus); without it a missing or empty DIR fails (the bundled captures).

set -u
export LC_ALL=C
: "${VFLISPC:?set VFLISPC}" "${VFM_TEST:?set VFM_TEST}"
PAIRS=${VFL_PAIRS:-$(dirname "$0")/equivalence.pairs}
. "$(dirname "$0")/../../tests/scripts/corpus.sh"
corpus_args "$@"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfl-equiv.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# ---- the pairs ------------------------------------------------------------------
. "$(dirname "$0")/../../tests/scripts/pairs.sh"
read_pairs "$PAIRS" >"$TMP/pairs.err" || bad "$(cat "$TMP/pairs.err")"

# Compile pair I for link type LT once: $TMP/LT/I.bin.
compile() { # I LT
    local out=$TMP/$2/$1.bin
    [ -f "$out" ] && return 0
    mkdir -p "$TMP/$2"
    if ! "$VFLISPC" --linktype "$2" -e "${VFLS[$1]}" -o "$out" >/dev/null 2>"$TMP/cc.err"; then
        bad "${NAMES[$1]}: vflispc --linktype $2 failed: $(tr '\n' '|' <"$TMP/cc.err")"
        return 1
    fi
}

td_count() { # CAPTURE EXPR -> TD, TD_RC, TD_NOTE
    tcpdump --count -r "$1" "$2" >"$TMP/td.out" 2>&1
    TD_RC=$?
    TD=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\}$/\1/p' "$TMP/td.out" | tail -n 1)
    TD_NOTE=""
    if [ -z "$TD" ] && grep -Eq 'rejects all packets|no VLAN support' "$TMP/td.out"; then
        TD=0
        TD_RC=0
        TD_NOTE=" (tcpdump: $(grep -Eo 'rejects all packets|no VLAN support[^|]*' "$TMP/td.out" | head -n 1))"
    fi
}

vt_count() { # BIN CAPTURE -> VT, VT_RC
    "$VFM_TEST" --count "$1" "$2" >"$TMP/vt.out" 2>"$TMP/vt.err" </dev/null
    VT_RC=$?
    VT=$(sed -n 's/^\([0-9][0-9]*\)$/\1/p' "$TMP/vt.out" | tail -n 1)
}

compare_file() { # CAPTURE
    local cap=$1 base lt i
    base=$(basename "$cap")
    lt=$(tcpdump -nr "$cap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Za-z0-9_]*\) .*/\1/p' | head -n 1)
    if [ -z "$lt" ]; then
        # tcpdump cannot open it: vfm-test must refuse it too (exit 2).
        compile 0 EN10MB || return
        vt_count "$TMP/EN10MB/0.bin" "$cap"
        if [ "$VT_RC" -eq 2 ]; then
            ok "$(printf '%-28s %-40s unreadable for tcpdump and vfm-test (exit 2)' '*' "$base")"
        else
            bad "$base: tcpdump cannot read it, but vfm-test exit $VT_RC count ${VT:-none}"
        fi
        return
    fi
    for i in "${!NAMES[@]}"; do
        if [ -n "${ONLY[$i]}" ] && ! [[ " ${ONLY[$i]} " == *" $lt "* ]]; then
            continue # the pair is for other link types
        fi
        compile "$i" "$lt" || continue
        td_count "$cap" "${EXPRS[$i]}"
        if [ -z "$TD" ]; then
            bad "${NAMES[$i]} $base: tcpdump gave no count: $(head -c 300 "$TMP/td.out" | tr '\n' '|')"
            continue
        fi
        vt_count "$TMP/$lt/$i.bin" "$cap"
        local want_rc=0
        [ "$TD_RC" -ne 0 ] && want_rc=2
        if [ "$TD" = "$VT" ] && [ "$VT_RC" -eq "$want_rc" ]; then
            ok "$(printf '%-28s %-40s tcpdump %6s  vfm %6s%s' "${NAMES[$i]}" "$base" "$TD" "$VT" "$TD_NOTE")"
        else
            bad "$(printf '%-28s %-40s tcpdump %6s  vfm %6s (exit %s, expected %s) %s' "${NAMES[$i]}" \
                "$base" "$TD" "${VT:-none}" "$VT_RC" "$want_rc" "$(head -n 1 "$TMP/vt.err")")"
        fi
    done
}

count=0
for cap in "$DIR"/*.pcap "$DIR"/*.pcapng; do
    [ -f "$cap" ] || continue
    count=$((count + 1))
    compare_file "$cap"
done
[ "$count" -gt 0 ] || bad "no captures in $DIR"
echo "$PASSED passed, $FAILED failed (${#NAMES[@]} pairs, $count captures)"
[ "$FAILED" -eq 0 ]
