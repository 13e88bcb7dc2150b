#!/bin/bash
# equivalence.sh - on every capture of DIR that tshark reads, the vfm plugin
# accepts exactly the frames vfm-test accepts, for every VFLisp filter of
# vflisp/tests/equivalence.pairs (compared frame by frame, not by count).
#
# Usage: equivalence.sh [--skip-if-missing] [--all-main] [--only FILE] [--part I/N] DIR
#   --skip-if-missing  a missing DIR prints SKIP and exits 77 (the shared corpus)
#   --all-main         run every pair as vfm.filter (one tshark per pair and
#                      capture); without it each capture runs one pair as
#                      vfm.filter, a different one per capture
#   --only FILE        only the capture DIR/FILE
#   --part I/N         only the captures whose index (sorted) is I modulo N, so
#                      ctest can run a large corpus as N tests in parallel
# Environment: see tshark.sh; VFL_PAIRS (the pairs file).
#
# The reference: the filter compiled by vflispc for the capture's link type
# (as tcpdump names it) and run by vfm-test -v.  In tshark, per capture:
#   - all pairs at once as named filters (-o uat:vfm_filters:...), reading
#     vfm.matched of every frame;
#   - vfm.filter set to a pair and -Y vfm.match, reading the frame numbers.
# A capture tcpdump (so vfm-test) cannot open has no reference; tshark must
# still read it without complaint from the plugin.

. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
OPTIONAL=()
ALL_MAIN=0
ONLY=""
PART=0/1
while [ $# -gt 1 ]; do
    case $1 in
    --skip-if-missing) OPTIONAL=(--skip-if-missing) ;;
    --all-main) ALL_MAIN=1 ;;
    --only) ONLY=$2 && shift ;;
    --part) PART=$2 && shift ;;
    *) break ;;
    esac
    shift
done
if ! [[ $PART =~ ^([0-9]+)/([1-9][0-9]*)$ ]] || [ "${BASH_REMATCH[1]}" -ge "${BASH_REMATCH[2]}" ]; then
    echo "FAIL: --part $PART: expected I/N with I < N"
    exit 1
fi
PART_I=${BASH_REMATCH[1]} PART_N=${BASH_REMATCH[2]}
. "$VFM_SOURCE_DIR/tests/scripts/corpus.sh"
corpus_args "${OPTIONAL[@]}" "$@"
. "$(dirname "$0")/tshark.sh"
need_env VFL_PAIRS
plugin_loads

# ---- the pairs (only the VFLisp side; the reference here is vfm-test) ----------
. "$VFM_SOURCE_DIR/tests/scripts/pairs.sh"
if ! read_pairs "$VFL_PAIRS" >"$TMP/pairs.err"; then
    bad "$(cat "$TMP/pairs.err")"
    finish
fi

# UAT strings: quote and backslash as \xNN, the table's escapes.
uat_str() { local s=${1//\\/\\x5c}; printf '"%s"' "${s//\"/\\x22}"; }
UAT=()
for i in "${!NAMES[@]}"; do
    UAT+=(-o "uat:vfm_filters:$(uat_str "${NAMES[$i]}"),$(uat_str "${VFLS[$i]}"),\"TRUE\"")
done

# Compile pair I for link type LT once: $TMP/bin/LT/I.bin.
compiled() { # I LT -> path on stdout, or "" with a FAIL
    local out=$TMP/bin/$2/$1.bin
    if [ ! -f "$out" ]; then
        mkdir -p "$TMP/bin/$2"
        if ! "$VFLISPC" --linktype "$2" -e "${VFLS[$1]}" -o "$out" >/dev/null 2>"$TMP/cc.err"; then
            bad "${NAMES[$1]}: vflispc --linktype $2 failed: $(tr '\n' '|' <"$TMP/cc.err")"
            return 1
        fi
    fi
    echo "$out"
}

# one_line FILE: its lines joined with spaces (frame lists in messages).
one_line() { tr '\n' ' ' <"$1" | sed 's/ $//' | cut -c1-200; }

compare_file() { # CAPTURE INDEX
    local cap=$1 k=$2 base lt i bin
    base=$(basename "$cap")
    lt=$(capture_linktype "$cap")
    if [ -z "$lt" ]; then
        # No reference; the plugin must still see every frame tshark reads.
        ts -r "$cap" -o 'vfm.filter:1' -T fields -e frame.number -e vfm.linktype \
            >"$TMP/ts.out" 2>"$TMP/ts.err"
        if grep -q "VFM" "$TMP/ts.err" || awk -F'\t' '$2 == ""' "$TMP/ts.out" | grep -q .; then
            bad "$base: tshark with the plugin: $(head -c 300 "$TMP/ts.err" | tr '\n' '|')"
        else
            ok "$(printf '%-40s unreadable for vfm-test; tshark reads %s frames, all evaluated' \
                "$base" "$(wc -l <"$TMP/ts.out")")"
        fi
        return
    fi

    mkdir -p "$TMP/ref"
    rm -f "$TMP/ref/"*
    for i in "${!NAMES[@]}"; do
        bin=$(compiled "$i" "$lt") || continue
        "$VFM_TEST" -v "$bin" "$cap" >"$TMP/ref/$i.v" 2>/dev/null </dev/null
        : >"$TMP/ref/$i"
    done
    # "N: caplen=60 accept ret=1" -> N, for all pairs in one awk.
    awk 'FNR == 1 { if (f) close(f); f = substr(FILENAME, 1, length(FILENAME) - 2); printf "" > f }
         $3 == "accept" { sub(":", "", $1); print $1 > f }' "$TMP/ref/"*.v

    # All pairs as named filters, one tshark run.  A capture cut short makes
    # tshark complain and exit non-zero; the frames before the cut count.
    ts -r "$cap" "${UAT[@]}" -T fields -e frame.number -e vfm.matched -e vfm.linktype \
        >"$TMP/named.out" 2>"$TMP/named.err"
    if grep -q "VFM" "$TMP/named.err"; then
        bad "$base: the plugin complained: $(head -c 300 "$TMP/named.err" | tr '\n' '|')"
        return
    fi
    local npass=0 nfail=0
    for i in "${!NAMES[@]}"; do
        [ -f "$TMP/ref/$i" ] || continue
        awk -F'\t' -v n="${NAMES[$i]}" '
            { k = split($2, m, ","); for (j = 1; j <= k; j++) if (m[j] == n) { print $1; break } }' \
            "$TMP/named.out" >"$TMP/got"
        if cmp -s "$TMP/got" "$TMP/ref/$i"; then
            npass=$((npass + 1))
        else
            nfail=$((nfail + 1))
            bad "$(printf '%-28s %-40s vfm.matched frames [%s], vfm-test [%s]' "${NAMES[$i]}" "$base" \
                "$(one_line "$TMP/got")" "$(one_line "$TMP/ref/$i")")"
        fi
    done
    [ "$nfail" -eq 0 ] &&
        ok "$(printf '%-40s %-8s %s named filters select the frames vfm-test accepts (%s frames)' \
            "$base" "$lt" "$npass" "$(wc -l <"$TMP/named.out")")"

    # vfm.filter with -Y vfm.match: every pair, or pair K.
    local which=("$((k % ${#NAMES[@]}))")
    [ "$ALL_MAIN" -eq 1 ] && which=("${!NAMES[@]}")
    for i in "${which[@]}"; do
        [ -f "$TMP/ref/$i" ] || continue
        ts -r "$cap" -o "vfm.filter:${VFLS[$i]}" -Y vfm.match -T fields -e frame.number \
            >"$TMP/got" 2>"$TMP/main.err"
        if cmp -s "$TMP/got" "$TMP/ref/$i" && ! grep -q VFM "$TMP/main.err"; then
            ok "$(printf '%-40s -Y vfm.match = vfm-test: %-28s (%s frames)' "$base" "${NAMES[$i]}" \
                "$(wc -l <"$TMP/got")")"
        else
            bad "$(printf '%-40s -Y vfm.match, %s: frames [%s], vfm-test [%s] %s' "$base" "${NAMES[$i]}" \
                "$(one_line "$TMP/got")" "$(one_line "$TMP/ref/$i")" "$(head -c 200 "$TMP/main.err")")"
        fi
    done
}

n=0
done_n=0
for cap in "$DIR"/*.pcap "$DIR"/*.pcapng; do
    [ -f "$cap" ] || continue
    n=$((n + 1))
    [ -z "$ONLY" ] || [ "$(basename "$cap")" = "$ONLY" ] || continue
    [ $(((n - 1) % PART_N)) -eq "$PART_I" ] || [ -n "$ONLY" ] || continue
    compare_file "$cap" "$((n - 1))"
    done_n=$((done_n + 1))
done
[ "$done_n" -gt 0 ] || bad "no captures in $DIR${ONLY:+ named $ONLY}"
echo "(${#NAMES[@]} pairs, $done_n of the $n captures in $DIR)"
finish
