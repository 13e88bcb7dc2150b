#!/bin/bash
# tcpdump-equivalence.sh - VFM filters written with raw packet offsets must
# accept exactly the packets tcpdump accepts with the same offsets.
#
# Usage: tcpdump-equivalence.sh [--skip-if-missing] DIR   (tools from the environment, see lib.sh)
#
# Every capture in DIR (*.pcap, *.pcapng) is run through each (VFM program,
# tcpdump expression) pair; one line per pair and capture shows both counts.
# Both sides reject a packet when a load falls outside the captured bytes
# (VFM_ERROR_BOUNDS / classic BPF's implicit "return 0"), so even truncated
# frames must agree.  Captures tcpdump cannot open must make vfm-test exit 2;
# a capture tcpdump reads only partly (exit 1, but a count) must give the
# same count and make vfm-test exit 2.
# With --skip-if-missing (the shared corpus), a missing DIR prints
# "SKIP: no shared corpus at DIR" and exits 77; without it (the bundled
# captures in pcaps/) a missing or empty DIR is a failure.

. "$(dirname "$0")/lib.sh"
need_env VFM_ASM VFM_TEST VFM_SOURCE_DIR
. "$(dirname "$0")/corpus.sh"
corpus_args "$@"

# ---- the filter pairs -------------------------------------------------------
# name | VFM source (file, or inline text) | tcpdump expression
NAMES=()
EXPRS=()
add_pair() { # NAME BIN EXPR
    NAMES+=("$1")
    EXPRS+=("$2")
}

if assemble "$VFM_SOURCE_DIR/examples/tcp-port-80.vfm" "$TMP/tcp-port-80.bin"; then
    add_pair tcp-port-80 'ether[12:2]=0x0800 and ether[23]=6 and ether[36:2]=80'
fi
if assemble "$VFM_SOURCE_DIR/examples/http-https.vfm" "$TMP/http-https.bin"; then
    add_pair http-https 'ether[12:2]=0x0800 and ether[23]=6 and (ether[36:2]=80 or ether[36:2]=443)'
fi

asm_text ipv4 '
LD16 12
PUSH 0x0800
JNE drop
RET 1
drop:
RET 0' && add_pair ipv4 'ether[12:2]=0x0800'

# No EtherType test on purpose: the raw bytes are compared on every frame.
asm_text udp-53 '
LD8 23
PUSH 17
JNE drop
LD16 34
PUSH 53
JNE drop
RET 1
drop:
RET 0' && add_pair udp-53 'ether[23]=17 and ether[34:2]=53'

asm_text ip-options '
LD8 14
PUSH 0x0f
AND
PUSH 5
JGT accept
RET 0
accept:
RET 1' && add_pair ip-options 'ether[14]&0x0f > 5'

# TCP SYN without ACK, via comparison opcodes instead of jumps.
asm_text syn-only '
LD16 12
PUSH 0x0800
EQ
LD8 23
PUSH 6
EQ
AND
LD8 47
PUSH 0x12
AND
PUSH 0x02
EQ
AND
RET' && add_pair syn-only 'ether[12:2]=0x0800 and ether[23]=6 and ether[47]&0x12=0x02'

# IPv4 source address in 10.0.0.0/8 or 192.168.0.0/16 (LD32 + masks).
asm_text private-src '
LD16 12
PUSH 0x0800
JNE drop
LD32 26
DUP
PUSH 0xff000000
AND
PUSH 0x0a000000
JEQ accept
PUSH 0xffff0000
AND
PUSH 0xc0a80000
JEQ accept
drop:
RET 0
accept:
RET 1' && add_pair private-src 'ether[12:2]=0x0800 and (ether[26:4]&0xff000000=0x0a000000 or ether[26:4]&0xffff0000=0xc0a80000)'

# Large frames: LEN is the captured length; tcpdump's len is the wire
# length, so compare ip total length instead (same on both sides).
asm_text big-ip '
LD16 12
PUSH 0x0800
JNE drop
LD16 16
PUSH 1000
JGE accept
drop:
RET 0
accept:
RET 1' && add_pair big-ip 'ether[12:2]=0x0800 and ether[16:2]>=1000'

# IP options handled: the TCP header found through IHL with LDX16, as
# tcpdump's `ip and tcp dst port 80` does on Ethernet (first fragments only;
# written with ether[] so it means the same bytes on every link type).
asm_text tcp-dport80-ihl '
LD16 12
PUSH 0x0800
JNE drop
LD8 23
PUSH 6
JNE drop
LD16 20
PUSH 0x1fff
AND
JNZ drop
LD8 14
PUSH 0x0f
AND
PUSH 2
SHL
LDX16 16
PUSH 80
JEQ accept
drop:
RET 0
accept:
RET 1' && add_pair tcp-dport80-ihl 'ether[12:2]=0x0800 and ether[23]=6 and ether[20:2]&0x1fff=0 and ether[16 + (ether[14]&0x0f)*4 : 2]=80'

# Arithmetic: IP payload length (total - IHL*4) over 500.  Both sides wrap
# when the header claims more than the total, and agree on "greater".
asm_text ip-payload '
LD16 12
PUSH 0x0800
JNE drop
LD16 16
LD8 14
PUSH 0x0f
AND
PUSH 4
MUL
SUB
PUSH 500
JGT accept
drop:
RET 0
accept:
RET 1' && add_pair ip-payload 'ether[12:2]=0x0800 and ether[16:2] - (ether[14]&0x0f)*4 > 500'

# ---- compare ----------------------------------------------------------------
compare_file() { # CAPTURE
    local cap=$1 base i td vt want_rc
    base=$(basename "$cap")
    # Readable for tcpdump at all?  (No filter, so a count means "readable".)
    tcpdump_count "$cap" ""
    if [ -z "$TD_COUNT" ]; then
        for i in "${!NAMES[@]}"; do
            vfm_count "$TMP/${NAMES[$i]}.bin" "$cap"
            if [ "$VT_RC" -eq 2 ] && grep -q "^vfm-test: .*$base: " "$TMP/vt.err"; then
                ok "$(printf '%-15s %-40s tcpdump: unreadable  vfm-test: exit 2 (%s)' \
                    "${NAMES[$i]}" "$base" "$(head -n 1 "$TMP/vt.err")")"
            else
                bad "$(printf '%-15s %-40s tcpdump cannot read it (%s), but vfm-test exit %s, count %s' \
                    "${NAMES[$i]}" "$base" "$(tail -n 1 "$TMP/td.out")" "$VT_RC" "${VT_COUNT:-none}")"
            fi
        done
        return
    fi
    for i in "${!NAMES[@]}"; do
        tcpdump_count "$cap" "${EXPRS[$i]}"
        td=$TD_COUNT
        if [ -z "$td" ]; then
            bad "$(printf '%-15s %-40s tcpdump gave no count: %s' "${NAMES[$i]}" "$base" \
                "$(tr '\n' '|' <"$TMP/td.out")")"
            continue
        fi
        vfm_count "$TMP/${NAMES[$i]}.bin" "$cap"
        vt=$VT_COUNT
        want_rc=0
        [ "$TD_RC" -ne 0 ] && want_rc=2 # truncated file: counted, but an error
        if [ "$td" = "$vt" ] && [ "$VT_RC" -eq "$want_rc" ]; then
            ok "$(printf '%-15s %-40s tcpdump %6s  vfm-test %6s  (exit %s)' \
                "${NAMES[$i]}" "$base" "$td" "$vt" "$VT_RC")"
        else
            bad "$(printf '%-15s %-40s tcpdump %6s  vfm-test %6s  (exit %s, expected %s) %s' \
                "${NAMES[$i]}" "$base" "$td" "${vt:-none}" "$VT_RC" "$want_rc" \
                "$(head -n 1 "$TMP/vt.err")")"
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

# A corpus holding the unreadable file must exercise that path for real.
if [ -f "$DIR/corrupt-libpcap-invalid-version-2.pcap" ]; then
    run tcpdump --count -r "$DIR/corrupt-libpcap-invalid-version-2.pcap"
    err_has "tcpdump itself refuses corrupt-libpcap-invalid-version-2.pcap" "version 2\.5"
fi

finish
