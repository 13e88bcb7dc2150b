#!/bin/bash
# examples.sh - every examples/*.vfm assembles, verifies, disassembles and
# runs, and accepts exactly the packets an independent model says it should.
#
# Usage: examples.sh BUNDLED_PCAPS_DIR [SHARED_PCAPS_DIR]   (tools from the environment, see lib.sh)
#
# The expected counts come from tcpdump, never from VFM: stateless examples
# are compared with a tcpdump expression using the same raw offsets; the
# stateful ones (flow table) are modelled in awk over tcpdump's hex dump of
# the packets that reach their flow-table code, plus tcpdump's count of the
# packets they accept before that point.  Both sides reject a packet when a
# load falls outside the captured bytes, so truncated frames agree too.
# Stateful runs use --flow-size 65536 so no entry is evicted (evictions
# would make a model depend on the table's bucket layout).

. "$(dirname "$0")/lib.sh"
need_env VFM_ASM VFM_DIS VFM_TEST VFM_SOURCE_DIR
BUNDLED=${1:?usage: examples.sh BUNDLED_PCAPS_DIR [SHARED_PCAPS_DIR]}
SHARED=${2:-}
EX=$VFM_SOURCE_DIR/examples
FLOW=(--flow-size 65536)

if ! command -v tcpdump >/dev/null 2>&1; then
    echo "FAIL: tcpdump is not installed (apt-get install tcpdump); it is the reference here"
    exit 1
fi

# ---- every example: assemble, disassemble, run, documented ------------------
EXAMPLES=()
for src in "$EX"/*.vfm; do
    [ -f "$src" ] || continue
    b=$(basename "$src" .vfm)
    EXAMPLES+=("$b")
    expect "vfm-asm $b.vfm (assembles and verifies)" 0 "$VFM_ASM" -o "$TMP/$b.bin" "$src"
    expect "vfm-dis $b.bin" 0 "$VFM_DIS" "$TMP/$b.bin"
    out_has "vfm-dis $b.bin ends in RET" "RET"
    if grep -q "$b.vfm" "$EX/README.md" 2>/dev/null; then
        ok "examples/README.md describes $b.vfm"
    else
        bad "examples/README.md does not mention $b.vfm"
    fi
    head -n 1 "$src" | grep -q "^; $b.vfm - " && ok "$b.vfm starts with its header comment" ||
        bad "$b.vfm does not start with '; $b.vfm - what it does'"
done
[ "${#EXAMPLES[@]}" -ge 8 ] && ok "${#EXAMPLES[@]} examples" || bad "only ${#EXAMPLES[@]} examples in $EX"

# ---- reference models ---------------------------------------------------------
# tcpdump -xx hex dump -> one line per packet: "caplen b0 b1 ..." (decimal;
# the first MAX bytes).  A packet starts with an unindented line (-nn: the
# timestamp); its -xx dump is the LAST block starting at 0x0000, since some
# decoders print hex+ASCII dumps of their own before it.
HEX2PKT='
function flush(  i, line) {
    if (!have) return
    line = n
    for (i = 0; i < n && i < max; i++) line = line " " b[i]
    print line
    have = 0
}
BEGIN { hexd = "0123456789abcdef" }
/^[^ \t]/ { flush(); next }
/^[ \t]+0x[0-9a-f]+:/ {
    if ($1 == "0x0000:") { n = 0; have = 1 }
    for (f = 2; f <= NF; f++) {
        w = $f
        if (w !~ /^[0-9a-f]+$/ || (length(w) != 4 && length(w) != 2)) break
        for (j = 1; j < length(w); j += 2)
            b[n++] = (index(hexd, substr(w, j, 1)) - 1) * 16 + index(hexd, substr(w, j + 1, 1)) - 1
    }
}
END { flush() }'

# packets CAPTURE EXPR [MAX]: the packets tcpdump selects, as lines for the models.
packets() {
    tcpdump -nn -xx -r "$1" "$2" 2>/dev/null | awk -v max="${3:-64}" "$HEX2PKT"
}

# linktype CAPTURE: tcpdump's name for the capture's link type (EN10MB, RAW, ...).
linktype() {
    tcpdump -c 1 -r "$1" 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p' | head -n 1
}

# Fields: $1 caplen, $(k+2) byte k.
SYN_SEL='ether[12:2]=0x0800 and ether[23]=6 and ether[47]&2!=0'

# syn-flood: per-source count of SYN packets; accept while <= 10.
M_SYN_FLOOD='
{ src = $28 "." $29 "." $30 "." $31
  if (++n[src] <= 10) acc++ }
END { print acc + 0 }'

# port-scan: first SYN of each (source, dst port) counts a port; accept repeats
# and the first 20 ports of each source.
M_PORT_SCAN='
{ src = $28 "." $29 "." $30 "." $31; pair = src ":" ($38 * 256 + $39)
  if (pair in seen) { acc++; next }
  seen[pair] = 1
  if (++ports[src] <= 20) acc++ }
END { print acc + 0 }'

# connection-tracker: state per symmetric key (src^dst, sport^dport).
M_CONN_TRACK='
function bx(a, c,   r, p) {
    r = 0
    for (p = 1; p < 256; p *= 2) {
        if ((a % 2) != (c % 2)) r += p
        a = int(a / 2); c = int(c / 2)
    }
    return r
}
$1 < 48 { next }   # a load past the captured bytes: error, no state change
{ key = bx($28, $32) "." bx($29, $33) "." bx($30, $34) "." bx($31, $35) ":" bx($36, $38) "." bx($37, $39)
  syn = int($49 / 2) % 2; ackf = int($49 / 16) % 2
  if (syn && !ackf) { st[key] = 1; acc++ }
  else if (syn && ackf) { if (st[key] == 1) { st[key] = 2; acc++ } }
  else if (st[key] == 2) acc++ }
END { print acc + 0 }'

# ipv4-header-validation: version 4, IHL >= 5, IHL*4 <= total <= caplen - 14.
M_IPV4_VALID='
$1 < 18 { next }
{ ver = int($16 / 16); ihl = $16 % 16; tot = $18 * 256 + $19
  if (ver == 4 && ihl >= 5 && tot <= $1 - 14 && ihl * 4 <= tot) acc++ }
END { print acc + 0 }'

# rate-limiter: HASH5's flow key written out from its definition (IP
# version, addresses, protocol, ports; ports only for TCP/UDP/SCTP/UDP-Lite
# in unfragmented or first fragments with a sane IHL; the IP header found
# under the capture's link type, Ethernet with up to two VLAN tags), then
# at most 100 packets per key.  Non-IP packets (hash 0) are accepted.
M_RATE_LIMIT='
function rd16(o) { return B[o] * 256 + B[o + 1] }
function bytes(o, k,   r, i) { r = ""; for (i = 0; i < k; i++) r = r "." B[o + i]; return r }
function l3(   off, t, type, le, be, af) {
    V = 0; L3 = 0
    if (lt == "EN10MB") {
        off = 12
        for (t = 0; t <= 2; t++) {
            if (n < off + 2) return 0
            type = rd16(off)
            if ((type == 33024 || type == 34984 || type == 37120) && t < 2) { off += 4; continue }
            V = (type == 2048) ? 4 : (type == 34525) ? 6 : 0
            L3 = off + 2
            break
        }
    } else if (lt == "RAW") { V = n ? int(B[0] / 16) : 0 }
    else if (lt == "IPV4") V = 4
    else if (lt == "IPV6") V = 6
    else if (lt == "NULL" || lt == "LOOP") {
        if (n < 4) return 0
        le = B[0] + B[1] * 256 + B[2] * 65536 + B[3] * 16777216
        be = B[3] + B[2] * 256 + B[1] * 65536 + B[0] * 16777216
        af = (le < 256) ? le : be
        V = (af == 2) ? 4 : (af == 10 || af == 24 || af == 28 || af == 30) ? 6 : 0
        L3 = 4
    } else if (lt == "LINUX_SLL") {
        if (n < 16) return 0
        type = rd16(14); V = (type == 2048) ? 4 : (type == 34525) ? 6 : 0; L3 = 16
    } else if (lt == "LINUX_SLL2") {
        if (n < 20) return 0
        type = rd16(0); V = (type == 2048) ? 4 : (type == 34525) ? 6 : 0; L3 = 20
    } else { print "unknown link type " lt > "/dev/stderr"; exit 3 }
    if (V == 0 || L3 >= n || int(B[L3] / 16) != V) return 0
    return V
}
{
    n = $1
    for (i = 0; i < n && i < max; i++) B[i] = $(i + 2)
    if (n > max) { print "packet longer than the model reads" > "/dev/stderr"; exit 3 }
    v = l3(); frag = 0
    if (v == 4) {
        if (n < L3 + 20) { acc++; next }
        ihl = (B[L3] % 16) * 4; proto = B[L3 + 9]
        frag = (rd16(L3 + 6) % 8192) != 0
        key = "4" bytes(L3 + 12, 8)
        l4 = L3 + (ihl < 20 ? 20 : ihl)
        if (ihl < 20) frag = 1
    } else if (v == 6) {
        if (n < L3 + 40) { acc++; next }
        key = "6" bytes(L3 + 8, 32)
        l4 = L3 + 40; nh = B[L3 + 6]; proto = 256
        for (h = 0; h < 8; h++) {
            if (nh == 0 || nh == 43 || nh == 60) {
                if (n < l4 + 2) break
                nx = B[l4]; l4 += (B[l4 + 1] + 1) * 8; nh = nx
            } else if (nh == 44) {
                if (n < l4 + 8) break
                if (int(rd16(l4 + 2) / 8) != 0) frag = 1
                nh = B[l4]; l4 += 8
            } else { proto = nh; break }
        }
    } else { acc++; next }
    ports = ".0.0.0.0"
    if ((proto == 6 || proto == 17 || proto == 132 || proto == 136) && !frag && l4 + 4 <= n)
        ports = bytes(l4, 4)
    key = key "|" proto "|" ports
    if (++cnt[key] <= 100) acc++
}
END { print acc + 0 }'

# expected EXAMPLE CAPTURE: sets WANT to the count the example must accept
# (empty if tcpdump cannot read the capture; "?" if there is no model) and
# TD_RC to tcpdump's exit code.
expected() {
    local ex=$1 cap=$2 m
    WANT="?"
    case $ex in
    tcp-port-80)
        tcpdump_count "$cap" 'ether[12:2]=0x0800 and ether[23]=6 and ether[36:2]=80'
        WANT=$TD_COUNT
        ;;
    http-https)
        tcpdump_count "$cap" 'ether[12:2]=0x0800 and ether[23]=6 and (ether[36:2]=80 or ether[36:2]=443)'
        WANT=$TD_COUNT
        ;;
    dns-amplification)
        tcpdump_count "$cap" 'not (ether[12:2]=0x0800 and ether[23]=17 and ether[20:2]&0x1fff=0 and ether[34:2]=53 and ether[38:2]>520)'
        WANT=$TD_COUNT
        ;;
    syn-flood | port-scan)
        tcpdump_count "$cap" "not ($SYN_SEL)"
        WANT=$TD_COUNT
        [ -n "$WANT" ] || return 0
        if [ "$ex" = syn-flood ]; then
            m=$(packets "$cap" "$SYN_SEL" | awk "$M_SYN_FLOOD")
        else
            m=$(packets "$cap" "$SYN_SEL" | awk "$M_PORT_SCAN")
        fi
        WANT=$((WANT + m))
        ;;
    connection-tracker)
        tcpdump_count "$cap" 'not (ether[12:2]=0x0800 and ether[23]=6)'
        WANT=$TD_COUNT
        [ -n "$WANT" ] || return 0
        m=$(packets "$cap" 'ether[12:2]=0x0800 and ether[23]=6' | awk "$M_CONN_TRACK")
        WANT=$((WANT + m))
        ;;
    rate-limiter)
        tcpdump_count "$cap" ""
        WANT=$TD_COUNT
        [ -n "$WANT" ] || return 0
        WANT=$(packets "$cap" "" 262144 | awk -v lt="$(linktype "$cap")" -v max=262144 "$M_RATE_LIMIT")
        ;;
    ipv4-header-validation)
        tcpdump_count "$cap" 'ether[12:2]=0x0800'
        WANT=$TD_COUNT
        [ -n "$WANT" ] || return 0
        WANT=$(packets "$cap" 'ether[12:2]=0x0800' | awk "$M_IPV4_VALID")
        ;;
    esac
}

CAPTURES=()
for cap in "$BUNDLED"/*.pcap "$BUNDLED"/*.pcapng; do
    [ -f "$cap" ] && CAPTURES+=("$cap")
done
[ "${#CAPTURES[@]}" -gt 0 ] || bad "no bundled captures in $BUNDLED"
if [ -n "$SHARED" ] && [ -d "$SHARED" ]; then
    for cap in "$SHARED"/*.pcap "$SHARED"/*.pcapng; do
        [ -f "$cap" ] && CAPTURES+=("$cap")
    done
else
    echo "note: no shared corpus at ${SHARED:-<not given>}; bundled captures only"
fi

for ex in "${EXAMPLES[@]}"; do
    [ -f "$TMP/$ex.bin" ] || continue
    for cap in "${CAPTURES[@]}"; do
        base=$(basename "$cap")
        expected "$ex" "$cap"
        want=$WANT
        [ "$want" = "?" ] && continue
        vfm_count "$TMP/$ex.bin" "$cap" "${FLOW[@]}"
        got=$VT_COUNT
        if [ -z "$want" ]; then
            # Unreadable for tcpdump: vfm-test must say so (exit 2).
            if [ "$VT_RC" -eq 2 ]; then
                ok "$(printf '%-24s %-40s unreadable, vfm-test exit 2' "$ex" "$base")"
            else
                bad "$(printf '%-24s %-40s unreadable for tcpdump, vfm-test exit %s' "$ex" "$base" "$VT_RC")"
            fi
            continue
        fi
        want_rc=0
        [ "$TD_RC" -ne 0 ] && want_rc=2
        if [ "$got" = "$want" ] && [ "$VT_RC" -eq "$want_rc" ]; then
            ok "$(printf '%-24s %-40s expected %6s  vfm-test %6s' "$ex" "$base" "$want" "$got")"
        else
            bad "$(printf '%-24s %-40s expected %6s  vfm-test %6s  (exit %s) %s' "$ex" "$base" \
                "$want" "${got:-none}" "$VT_RC" "$(head -n 1 "$TMP/vt.err")")"
        fi
    done
done

# ---- hand-checked numbers ---------------------------------------------------
# Independent of the models above: small captures built here, verdicts by hand.
# 12 SYNs from 10.0.0.1 to ports 1..12, then a SYN-ACK reply, then an ACK.
{
    pcap_header
    for p in 1 2 3 4 5 6 7 8 9 10 11 12; do pcap_record "$(frame_tcp "$p" 02)"; done
    pcap_record "$(frame_tcp 1 12)"
    pcap_record "$(frame_tcp 1 10)"
    pcap_record "$(frame_arp)"
} | tr '\n' ' ' >"$TMP/syn12.hex"
hexfile "$TMP/syn12.pcap" "$(cat "$TMP/syn12.hex")"
# syn-flood: SYNs 11, 12 and the SYN-ACK (13th packet with SYN set) dropped: 15 - 3.
vfm_count "$TMP/syn-flood.bin" "$TMP/syn12.pcap"
same "syn-flood on syn12.pcap" "$VT_COUNT" "12"
# port-scan: 12 distinct ports + the SYN-ACK to port 1 (a repeat), all under 20.
vfm_count "$TMP/port-scan.bin" "$TMP/syn12.pcap"
same "port-scan on syn12.pcap" "$VT_COUNT" "15"
# connection-tracker: same addresses, so every frame shares the XOR key of
# (10.0.0.1^10.0.0.2, 1024^port): SYNs accepted (12), SYN-ACK on port 1
# follows the SYN (1), ACK on port 1 established (1), ARP accepted (1).
vfm_count "$TMP/connection-tracker.bin" "$TMP/syn12.pcap"
same "connection-tracker on syn12.pcap" "$VT_COUNT" "15"
# An ACK with no handshake is dropped.
{
    pcap_header
    pcap_record "$(frame_tcp 80 10)"
    pcap_record "$(frame_tcp 80 12)"
    pcap_record "$(frame_tcp 80 02)"
    pcap_record "$(frame_tcp 80 10)"
} | tr '\n' ' ' >"$TMP/midstream.hex"
hexfile "$TMP/midstream.pcap" "$(cat "$TMP/midstream.hex")"
vfm_count "$TMP/connection-tracker.bin" "$TMP/midstream.pcap"
same "connection-tracker: mid-stream ACK and SYN-ACK dropped" "$VT_COUNT" "1"
# ipv4-header-validation: frame_tcp has total length 40 = 54 - 14: valid; ARP invalid.
vfm_count "$TMP/ipv4-header-validation.bin" "$TMP/syn12.pcap"
same "ipv4-header-validation on syn12.pcap" "$VT_COUNT" "14"
# Total length 41 > 54 - 14, IHL 4, version 6: all invalid.
{
    pcap_header
    pcap_record "$(frame_tcp 80 02 | sed 's/45 00 00 28/45 00 00 29/')"
    pcap_record "$(frame_tcp 80 02 | sed 's/45 00 00 28/44 00 00 28/')"
    pcap_record "$(frame_tcp 80 02 | sed 's/45 00 00 28/65 00 00 28/')"
    pcap_record "$(frame_tcp 80 02 | sed 's/45 00 00 28/4f 00 00 28/')"
} | tr '\n' ' ' >"$TMP/badip.hex"
hexfile "$TMP/badip.pcap" "$(cat "$TMP/badip.hex")"
# The last frame: IHL 15 = 60 bytes > total length 40: invalid too.
vfm_count "$TMP/ipv4-header-validation.bin" "$TMP/badip.pcap"
same "ipv4-header-validation rejects bad headers" "$VT_COUNT" "0"

finish
