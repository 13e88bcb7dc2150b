#!/bin/bash
# equivalence.sh - every VFLisp filter of vflisp/tests/equivalence.pairs,
# given to tcpdump through the shim, prints exactly the packets tcpdump
# prints for the pair's tcpdump expression, on every capture of DIR that
# libpcap reads (Ethernet, SLL, SLL2, raw IP, BSD loopback...).
#
# Usage: equivalence.sh [--skip-if-missing] [--shard I/N] DIR
# Environment: VFM_TCPDUMP_SHIM (the vfm-tcpdump to test), VFL_PAIRS.
#
# The VFLisp text is passed bare, so the auto-detection rule is what picks
# VFLisp; each text is first checked to be something plain libpcap rejects
# (otherwise the shim would rightly keep libpcap's meaning).  Compared: the
# -nn printout and the exit status.  Where tcpdump refuses the expression for
# the link type ("no VLAN support for ..."), the filter must print nothing
# and succeed; likewise where it finds that the expression "rejects all
# packets" (IPv4 fields on a raw IPv6 link).
# --shard I/N: only the captures whose index is I modulo N.

set -u
export LC_ALL=C
: "${VFM_TCPDUMP_SHIM:?set VFM_TCPDUMP_SHIM}" "${VFL_PAIRS:?set VFL_PAIRS}"
SHARD=0 SHARDS=1
ARGS=()
while [ $# -gt 0 ]; do
    case $1 in
    --shard)
        SHARD=${2%/*} SHARDS=${2#*/}
        shift 2
        ;;
    *)
        ARGS+=("$1")
        shift
        ;;
    esac
done
. "$(dirname "$0")/../../tests/scripts/corpus.sh"
corpus_args "${ARGS[@]}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-shim-equiv.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# ---- the pairs (format: see the pairs file) ------------------------------------------
. "$(dirname "$0")/../../tests/scripts/pairs.sh"
read_pairs "$VFL_PAIRS" >"$TMP/pairs.err" || bad "$(cat "$TMP/pairs.err")"

# Auto-detection must see VFLisp: plain libpcap must reject every VFLisp text.
if [ "$SHARD" -eq 0 ]; then
    for i in "${!NAMES[@]}"; do
        if tcpdump -d "${VFLS[$i]}" >/dev/null 2>&1; then
            bad "${NAMES[$i]}: libpcap accepts the VFLisp text, so the shim keeps libpcap's meaning"
        fi
    done
fi

compare_file() { # CAPTURE
    local cap=$1 base lt i td_rc vf_rc note
    base=$(basename "$cap")
    lt=$(tcpdump -nr "$cap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Za-z0-9_]*\) .*/\1/p' | head -n 1)
    if [ -z "$lt" ]; then
        echo "skip: $base: libpcap cannot read it"
        return
    fi
    for i in "${!NAMES[@]}"; do
        if [ -n "${ONLY[$i]}" ] && ! [[ " ${ONLY[$i]} " == *" $lt "* ]]; then
            continue
        fi
        tcpdump -nn -r "$cap" "${EXPRS[$i]}" >"$TMP/td.out" 2>"$TMP/td.err"
        td_rc=$?
        note=""
        if [ "$td_rc" -ne 0 ] && grep -Eq 'no VLAN support|rejects all packets' "$TMP/td.err"; then
            : >"$TMP/td.out" # tcpdump refuses `vlan` here; VFLisp's field is absent
            td_rc=0
            note=" (tcpdump: $(grep -Eo 'no VLAN support|rejects all packets' "$TMP/td.err" | head -n 1))"
        fi
        "$VFM_TCPDUMP_SHIM" -nn -r "$cap" "${VFLS[$i]}" >"$TMP/vf.out" 2>"$TMP/vf.err" </dev/null
        vf_rc=$?
        if [ "$td_rc" -eq "$vf_rc" ] && cmp -s "$TMP/td.out" "$TMP/vf.out"; then
            ok "$(printf '%-28s %-40s %5s lines%s' "${NAMES[$i]}" "$base" "$(wc -l <"$TMP/td.out")" "$note")"
        else
            bad "$(printf '%-28s %-40s tcpdump %s lines exit %s, shim %s lines exit %s: %s' "${NAMES[$i]}" \
                "$base" "$(wc -l <"$TMP/td.out")" "$td_rc" "$(wc -l <"$TMP/vf.out")" "$vf_rc" \
                "$(grep -v '^reading from' "$TMP/vf.err" | head -n 1)")"
            diff "$TMP/td.out" "$TMP/vf.out" | head -n 4
        fi
    done
}

count=0 index=0
for cap in "$DIR"/*.pcap "$DIR"/*.pcapng; do
    [ -f "$cap" ] || continue
    index=$((index + 1))
    [ $(((index - 1) % SHARDS)) -eq "$SHARD" ] || continue
    count=$((count + 1))
    compare_file "$cap"
done
[ "$index" -gt 0 ] || bad "no captures in $DIR"
echo "$PASSED passed, $FAILED failed (${#NAMES[@]} pairs, $count captures, shard $SHARD/$SHARDS)"
[ "$FAILED" -eq 0 ]
