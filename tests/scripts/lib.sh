# lib.sh - shared helpers for the script tests (sourced, not run).
#
# Environment (set by tests/scripts/CMakeLists.txt; set them yourself to run
# a script by hand):
#   VFM_ASM, VFM_DIS, VFM_TEST  paths of the tools
#   VFM_SOURCE_DIR              the source tree (examples/, pcaps/)
#   VFM_VERSION                 the project version, e.g. 0.1.0
# Every check prints "ok: ..." or "FAIL: ..."; finish() prints the closing
# "N passed, N failed" line and exits 1 if anything failed.

set -u
export LC_ALL=C

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-script-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

need_env() {
    local v
    for v in "$@"; do
        if [ -z "${!v:-}" ]; then
            echo "FAIL: environment variable $v is not set" >&2
            exit 1
        fi
    done
}

ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

# run CMD...: runs CMD with stdout in $TMP/out, stderr in $TMP/err, exit code in RC.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?
}

# Shows what the last run() printed (after a failed check).
show_last() {
    echo "  exit code: $RC"
    echo "  stdout: $(head -c 600 "$TMP/out" | tr '\n' '|')"
    echo "  stderr: $(head -c 600 "$TMP/err" | tr '\n' '|')"
}

# expect DESCRIPTION CODE CMD...: runs CMD and checks its exit code.
expect() {
    local what=$1 want=$2
    shift 2
    run "$@"
    if [ "$RC" -eq "$want" ]; then
        ok "$what (exit $RC)"
    else
        bad "$what: exit $RC, expected $want"
        show_last
    fi
}

# out_has / err_has DESCRIPTION ERE: the last run's stdout / stderr matches ERE.
out_has() {
    if grep -Eq -- "$2" "$TMP/out"; then ok "$1"; else bad "$1: stdout does not match /$2/"; show_last; fi
}
err_has() {
    if grep -Eq -- "$2" "$TMP/err"; then ok "$1"; else bad "$1: stderr does not match /$2/"; show_last; fi
}
out_empty() {
    if [ ! -s "$TMP/out" ]; then ok "$1"; else bad "$1: stdout not empty"; show_last; fi
}
err_empty() {
    if [ ! -s "$TMP/err" ]; then ok "$1"; else bad "$1: stderr not empty"; show_last; fi
}
# err_one_line DESCRIPTION: stderr is exactly one line.
err_one_line() {
    local n
    n=$(wc -l <"$TMP/err")
    if [ "$n" -eq 1 ]; then ok "$1"; else bad "$1: stderr has $n lines, expected 1"; show_last; fi
}

# same DESCRIPTION GOT WANT
same() {
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', expected '$3'"; fi
}

# hexfile FILE "56 46 4d 42 ...": writes the bytes given in hex.
hexfile() {
    local out=$1 h esc=""
    for h in $2; do esc="$esc\\x$h"; done
    printf "$esc" >"$out"
}

# hexdump FILE: the bytes of FILE as "56 46 4d 42 ..." on one line.
hexdump() {
    od -An -v -tx1 "$1" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'
}

# le32 N: N as 4 little-endian bytes in hex ("2a 00 00 00").
le32() {
    printf '%02x %02x %02x %02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) \
        $((($1 >> 24) & 255))
}

# pcap_header: hex of a little-endian pcap file header, Ethernet, snaplen 65535.
pcap_header() {
    echo "d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"
}

# pcap_record "HEX BYTES": hex of one record holding that frame (ts = 0).
pcap_record() {
    local n
    n=$(echo "$1" | wc -w)
    echo "00 00 00 00 00 00 00 00 $(le32 "$n") $(le32 "$n") $1"
}

# frame_tcp DPORT FLAGS: hex of a 54-byte Ethernet/IPv4/TCP frame
# 10.0.0.1:1024 -> 10.0.0.2:DPORT with the TCP flags byte FLAGS (hex).
frame_tcp() {
    printf '00 00 00 00 00 02 00 00 00 00 00 01 08 00 '
    printf '45 00 00 28 00 00 40 00 40 06 00 00 0a 00 00 01 0a 00 00 02 '
    printf '04 00 %02x %02x 00 00 00 00 00 00 00 00 50 %s 20 00 00 00 00 00' \
        $(($1 >> 8)) $(($1 & 255)) "$2"
}

# frame_arp: hex of a 42-byte ARP request frame.
frame_arp() {
    printf 'ff ff ff ff ff ff 00 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01 '
    printf '00 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02'
}

# five_pcap FILE: the small capture several suites use (Ethernet): 1 TCP SYN
# to 80, 2 ARP, 3 SYN to 443, 4 ACK to 80, 5 SYN+ACK to 22.
five_pcap() {
    local hex
    hex=$({
        pcap_header
        pcap_record "$(frame_tcp 80 02)"
        pcap_record "$(frame_arp)"
        pcap_record "$(frame_tcp 443 02)"
        pcap_record "$(frame_tcp 80 10)"
        pcap_record "$(frame_tcp 22 12)"
    } | tr '\n' ' ')
    hexfile "$1" "$hex"
}

# tcpdump_count FILE FILTER: sets TD_COUNT to the number tcpdump --count
# reports (empty when tcpdump cannot read the file) and TD_RC to its exit
# code (1 for a truncated file that still gives a count).  Runs in the
# current shell: call it, then read the variables (not inside $(...)).
tcpdump_count() {
    tcpdump --count -r "$1" "$2" >"$TMP/td.out" 2>&1
    TD_RC=$?
    TD_COUNT=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\}$/\1/p' "$TMP/td.out" | tail -n 1)
}

# vfm_count FILTER CAPTURE [OPTIONS...]: sets VT_COUNT to what
# vfm-test --count prints (a lone number on stdout; empty if none) and VT_RC
# to its exit code; stderr is kept in $TMP/vt.err.  Not inside $(...) either.
vfm_count() {
    local bin=$1 cap=$2
    shift 2
    "$VFM_TEST" --count "$@" "$bin" "$cap" >"$TMP/vt.out" 2>"$TMP/vt.err" </dev/null
    VT_RC=$?
    VT_COUNT=$(sed -n 's/^\([0-9][0-9]*\)$/\1/p' "$TMP/vt.out" | tail -n 1)
    if [ "$(grep -c '' "$TMP/vt.out")" -ne 1 ] || [ -z "$VT_COUNT" ]; then
        VT_COUNT="${VT_COUNT}(stdout: $(head -c 200 "$TMP/vt.out" | tr '\n' '|'))"
    fi
}

# assemble SRC OUT: vfm-asm SRC -o OUT, failing the check on error.
assemble() {
    if "$VFM_ASM" -o "$2" "$1" 2>"$TMP/asm.err"; then
        return 0
    fi
    bad "vfm-asm $1: $(tr '\n' '|' <"$TMP/asm.err")"
    return 1
}

# asm_text NAME "ASM LINES": assembles text into $TMP/NAME.bin (source in $TMP/NAME.vfm).
asm_text() {
    printf '%s\n' "$2" >"$TMP/$1.vfm"
    assemble "$TMP/$1.vfm" "$TMP/$1.bin"
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}
