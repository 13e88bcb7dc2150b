#!/bin/bash
# agree.sh - per-flow agreement of vfm-classify --flows with ndpiReader, the
# reference (the real one, libndpi-bin).  For every capture: the set of flows
# (IP protocol, both endpoints, VLAN id), each flow's packets, captured bytes
# and nDPI application must be the same as `ndpiReader -i FILE -v 2` lists.
#
#   agree.sh [--skip-if-missing] CAPTURE|DIR...
#
# Where agreement is impossible, and why (the only exceptions):
#  - LINUX_SLL2 captures: ndpiReader 4.2 does not read link type 276
#    ("Unsupported datalink"); vfm-classify does.  Checked: ndpiReader lists
#    no flow, vfm-classify lists some.
#  - frames behind an 802.1ad (0x88a8) or old QinQ (0x9100) outer tag:
#    ndpiReader 4.2 decodes only 802.1Q (0x8100) tags and drops them;
#    vfm-classify decodes them.  They are removed (tcpdump) from the copy
#    compared, and checked to be flows vfm-classify does list.
# Corrupt captures (corrupt-*) are compared up to the broken record, which
# ndpiReader also stops at; vfm-classify must then exit 2 naming the file.
# Environment: VFM_CLASSIFY, VFM_SOURCE_DIR (tests/scripts/lib.sh).
. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
need_env VFM_CLASSIFY
AWK="$VFM_SOURCE_DIR/plugins/ndpi/tests/flows.awk"

optional=0
if [ "${1:-}" = --skip-if-missing ]; then
    optional=1
    shift
fi
for t in ndpiReader tcpdump; do
    if ! command -v $t >/dev/null 2>&1; then
        echo "FAIL: $t is not installed (apt-get install libndpi-bin tcpdump): the reference here"
        exit 1
    fi
done

files=()
for a in "$@"; do
    if [ -d "$a" ]; then
        for f in "$a"/*.pcap "$a"/*.pcapng; do [ -e "$f" ] && files+=("$f"); done
    elif [ -e "$a" ]; then
        files+=("$a")
    elif [ "$optional" -eq 1 ]; then
        echo "SKIP: no shared corpus at $a"
        exit 77
    else
        echo "FAIL: no capture $a"
        exit 1
    fi
done
if [ "${#files[@]}" -eq 0 ]; then
    [ "$optional" -eq 1 ] && { echo "SKIP: no captures in $*"; exit 77; }
    echo "FAIL: no captures in $*"
    exit 1
fi

# ndpi_flows FILE OUT: ndpiReader's flows, normalised; checks the parse
# against its own "Unique flows" count so a format change cannot pass.
ndpi_flows() {
    ndpiReader -i "$1" -v 2 >"$TMP/nr.txt" 2>&1 </dev/null
    awk -v from=ndpi -f "$AWK" "$TMP/nr.txt" | sort >"$2"
    local unique
    unique=$(awk '/Unique flows:/ { print $3; exit }' "$TMP/nr.txt")
    if [ -n "$unique" ] && [ "$unique" != "$(wc -l <"$2")" ]; then
        bad "$(basename "$1"): parsed $(wc -l <"$2") ndpiReader flows, it reports $unique"
        return 1
    fi
    return 0
}

# vfm_flows FILE OUT: sets VRC to vfm-classify's exit code.
vfm_flows() {
    "$VFM_CLASSIFY" --flows "$1" >"$TMP/vc.txt" 2>"$TMP/vc.err" </dev/null
    VRC=$?
    awk -v from=vfm -f "$AWK" "$TMP/vc.txt" | sort >"$2"
}

total=0
for f in "${files[@]}"; do
    name=$(basename "$f")
    lt=$(tcpdump -r "$f" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\).*/\1/p' | head -1)
    if [ "$lt" = LINUX_SLL2 ]; then
        ndpi_flows "$f" "$TMP/a" || continue
        vfm_flows "$f" "$TMP/b"
        if [ ! -s "$TMP/a" ] && [ -s "$TMP/b" ] && [ "$VRC" -eq 0 ]; then
            ok "$name: SLL2, which ndpiReader 4.2 does not read: vfm-classify lists $(wc -l <"$TMP/b") flows"
        else
            bad "$name: SLL2 exception no longer holds (ndpiReader $(wc -l <"$TMP/a") flows, vfm-classify $(wc -l <"$TMP/b"), exit $VRC)"
        fi
        continue
    fi
    input=$f
    qinq=0
    if [ "$lt" = EN10MB ]; then
        qinq=$(tcpdump -r "$f" 'ether[12:2] = 0x88a8 or ether[12:2] = 0x9100' 2>/dev/null | wc -l)
        if [ "$qinq" -gt 0 ]; then
            input="$TMP/no-qinq.pcap"
            tcpdump -r "$f" -w "$input" 'not (ether[12:2] = 0x88a8 or ether[12:2] = 0x9100)' 2>/dev/null
            vfm_flows "$f" "$TMP/whole"
        fi
    fi
    ndpi_flows "$input" "$TMP/a" || continue
    vfm_flows "$input" "$TMP/b"
    case "$name" in
    corrupt-*)
        if [ "$VRC" -eq 2 ] && grep -q "^vfm-classify: $input: " "$TMP/vc.err" && [ "$(wc -l <"$TMP/vc.err")" -eq 1 ]; then
            ok "$name: corrupt capture: exit 2, one line naming the file"
        else
            bad "$name: corrupt capture: exit $VRC, stderr '$(head -c 300 "$TMP/vc.err")'"
        fi ;;
    *)
        [ "$VRC" -eq 0 ] || bad "$name: vfm-classify --flows exit $VRC: $(head -c 300 "$TMP/vc.err")" ;;
    esac
    if diff "$TMP/a" "$TMP/b" >"$TMP/diff"; then
        ok "$name: $(wc -l <"$TMP/b") flows, each with ndpiReader's packets, bytes and app"
        total=$((total + $(wc -l <"$TMP/b")))
    else
        bad "$name: flows differ from ndpiReader's (< ndpiReader, > vfm-classify):"
        head -20 "$TMP/diff" | sed 's/^/    /'
    fi
    if [ "$qinq" -gt 0 ]; then
        # The QinQ frames are flows of their own that only vfm-classify has.
        extra=$(comm -13 "$TMP/b" "$TMP/whole" | wc -l)
        if [ "$(comm -23 "$TMP/b" "$TMP/whole" | wc -l)" -eq 0 ]; then
            ok "$name: $qinq 802.1ad frames ndpiReader does not decode: $extra more flows (IP inside)"
        else
            bad "$name: the 802.1ad frames changed flows ndpiReader has too"
        fi
    fi
done
echo "flows compared with ndpiReader: $total"
finish
