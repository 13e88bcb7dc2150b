#!/bin/bash
# plugin.sh - the vfm plugin in the real tshark: it loads, registers its
# fields, vfm.filter and the named filters give the verdicts vfm-test gives,
# the fields work in display filters, columns and statistics, bad filters are
# reported, link types VFLisp does not know are flagged, and stateful filters
# keep their per-frame results when tshark dissects frames again.
#
# Usage: plugin.sh   (environment: see tests/scripts/lib.sh and tshark.sh)

. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
. "$(dirname "$0")/tshark.sh"
need_env VFM_VERSION
plugin_loads

# ---- captures built here ------------------------------------------------------
five_pcap "$TMP/five.pcap" # 5 frames, 2 of them TCP to port 80
FIVE=$TMP/five.pcap

# A pcap header for link type $1 (a number below 256).
pcap_header_lt() {
    printf 'd4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 %02x 00 00 00' "$1"
}
# raw.pcap (LINKTYPE_RAW, 101): frames 1 and 3 of five.pcap without Ethernet.
ip_only() { echo "$1" | cut -d' ' -f15-; }
hexfile "$TMP/raw.pcap" "$(pcap_header_lt 101) $(pcap_record "$(ip_only "$(frame_tcp 80 02)")") \
$(pcap_record "$(ip_only "$(frame_tcp 443 02)")")"
# wlan.pcap (LINKTYPE_IEEE802_11, 105): a link type VFLisp has no layout for.
hexfile "$TMP/wlan.pcap" "$(pcap_header_lt 105) $(pcap_record "$(frame_tcp 80 02)")"
chmod a+r "$TMP"/*.pcap

# fields FILE ARGS...: "frame<TAB>fields..." lines of tshark -T fields into $TMP/out.
fields() {
    local f=$1
    shift
    run ts -r "$f" -T fields -e frame.number "$@"
}
# frames_of: the frame numbers of the last run's output, space-separated.
frames_of() { cut -f1 "$TMP/out" | tr '\n' ' ' | sed 's/ $//'; }

# ---- registration ---------------------------------------------------------------
run ts -G plugins
out_has "tshark -G plugins lists vfm.so, version $VFM_VERSION, a dissector" \
    "^vfm\.so[[:space:]]+$VFM_VERSION[[:space:]]+dissector[[:space:]]"
run ts -G protocols
out_has "tshark -G protocols lists vfm" "^VFM packet filters[[:space:]]+VFM[[:space:]]+vfm$"
run ts -G fields
for f in vfm.match:FT_BOOLEAN vfm.result:FT_UINT64 vfm.error:FT_STRING vfm.matched:FT_STRING \
    vfm.linktype:FT_UINT32; do
    out_has "field ${f%%:*} is registered as ${f#*:}" "[[:space:]]${f%%:*}[[:space:]]+${f#*:}[[:space:]]"
done
run ts -G defaultprefs
out_has "preference vfm.filter is registered" "^#vfm\.filter: *$"

# ---- nothing configured: the plugin stays out of the way ---------------------------
fields "$FIVE" -e vfm.match -e vfm.result -e vfm.error
same "without filters no frame carries vfm fields" "$(cut -f2- "$TMP/out" | tr -d '\t\n')" ""
err_empty "without filters tshark prints no message"
run ts -r "$FIVE" -V
if grep -q "VFM packet filters" "$TMP/out"; then bad "without filters the tree has no VFM item"; else
    ok "without filters the tree has no VFM item"; fi

# ---- vfm.filter ------------------------------------------------------------------
fields "$FIVE" -o 'vfm.filter:(= dst-port 80)' -Y vfm.match
same "-Y vfm.match selects the frames vfm.filter accepts" "$(frames_of)" "1 4"
err_empty "a valid vfm.filter prints nothing on stderr"
fields "$FIVE" -o 'vfm.filter:(= dst-port 80)' -Y '!vfm.match'
same "-Y !vfm.match selects the others" "$(frames_of)" "2 3 5"
fields "$FIVE" -o 'vfm.filter:(if (= proto 6) dst-port 0)' -e vfm.match -e vfm.result -e vfm.linktype
same "vfm.result is the return value, vfm.match only where it is not 0" \
    "$(tr '\t\n' ' |' <"$TMP/out")" "1 1 80 1|2  0 1|3 1 443 1|4 1 80 1|5 1 22 1|"
fields "$FIVE" -o 'vfm.filter:(= dst-port 80)' -Y 'vfm.result == 0'
same "vfm.result works in display filters" "$(frames_of)" "2 3 5"
run ts -r "$FIVE" -o 'vfm.filter:(= dst-port 80)' -O vfm -V -c 1
out_has "the tree shows the verdict in the protocol line" "^VFM packet filters: match$"
out_has "the tree shows [Match: True]" "^ +\[Match: True\]$"

# Link types other than Ethernet: the filter is compiled for the frame's layout.
fields "$TMP/raw.pcap" -o 'vfm.filter:(= dst-port 80)' -e vfm.match -e vfm.linktype
same "raw IP frames: compiled for LINKTYPE 12 (DLT_RAW), verdicts right" \
    "$(tr '\t\n' ' |' <"$TMP/out")" "1 1 12|2  12|"

# ---- named filters ------------------------------------------------------------------
NAMED=(-o 'uat:vfm_filters:"web","(= dst-port 80)","TRUE"'
    -o 'uat:vfm_filters:"tls","(= dst-port 443)","TRUE"'
    -o 'uat:vfm_filters:"tcp","(= proto 6)","TRUE"'
    -o 'uat:vfm_filters:"off","1","FALSE"')
fields "$FIVE" "${NAMED[@]}" -e vfm.matched
same "vfm.matched: one occurrence per accepting filter, disabled ones never" \
    "$(tr '\t\n' ' |' <"$TMP/out")" "1 web,tcp|2 |3 tls,tcp|4 web,tcp|5 tcp|"
err_empty "valid named filters print nothing on stderr"
fields "$FIVE" "${NAMED[@]}" -Y 'vfm.matched == "web"'
same '-Y vfm.matched == "web"' "$(frames_of)" "1 4"
fields "$FIVE" "${NAMED[@]}" -Y 'vfm.matched == "tcp" && !(vfm.matched == "web")'
same "vfm.matched combines in display filters" "$(frames_of)" "3 5"
fields "$FIVE" "${NAMED[@]}" -Y vfm.match
same "named filters alone add no vfm.match" "$(frames_of)" ""
run ts -r "$FIVE" "${NAMED[@]}" -o 'gui.column.format:"No.","%m","VFM","%Cus:vfm.matched"'
same "a custom column shows vfm.matched" "$(sed 's/^ *//; s/ *$//' "$TMP/out" | tr '\n' '|')" \
    "1 web,tcp|2|3 tls,tcp|4 web,tcp|5 tcp|"
# (five.pcap's frames share one time stamp, and io,stat needs a duration)
MIX=$VFM_SOURCE_DIR/pcaps/mix-small.pcap
if vfm_frames '(= proto 6)' EN10MB "$MIX" "$TMP/tcp.frames"; then
    run ts -r "$MIX" -o 'uat:vfm_filters:"tcp","(= proto 6)","TRUE"' -q -z 'io,stat,0,vfm.matched=="tcp"'
    out_has "statistics by vfm.matched: io,stat counts the $(wc -l <"$TMP/tcp.frames") frames vfm-test accepts" \
        "^\| [0-9.]+ <> [0-9.]+ \| +$(wc -l <"$TMP/tcp.frames") \|"
fi

# ---- bad filters ------------------------------------------------------------------------
fields "$FIVE" -o 'vfm.filter:(= dst-prot 80)' -e vfm.match -e vfm.error
err_has "a bad vfm.filter is reported on stderr with its position" \
    "^tshark: VFM: vfm\.filter:1:4: unknown name 'dst-prot' \(did you mean 'dst-port'\?\)"
same "a bad vfm.filter: every frame carries vfm.error, none vfm.match" \
    "$(cut -f2- "$TMP/out" | sort -u | tr '\t' '#')" \
    "#vfm.filter:1:4: unknown name 'dst-prot' (did you mean 'dst-port'?)"
run ts -r "$FIVE" -o 'vfm.filter:(= dst-prot 80)' -Y 'vfm.filter.invalid && _ws.expert.severity == error' \
    -T fields -e frame.number
same "a bad vfm.filter: an error expert item on every frame" "$(frames_of)" "1 2 3 4 5"
run ts -r "$FIVE" -o 'uat:vfm_filters:"web","(= dst-port 80","TRUE"'
if [ "$RC" -ne 0 ]; then ok "a named filter that does not compile stops tshark (exit $RC)"; else
    bad "a named filter that does not compile: exit 0"; fi
err_has "... and says which and why" "Invalid -o flag.*web:1:[0-9]+: .*\)"
run ts -r "$FIVE" -o 'uat:vfm_filters:"a b","1","TRUE"'
if [ "$RC" -ne 0 ]; then ok "a named filter with a bad name stops tshark (exit $RC)"; else
    bad "a named filter with a bad name: exit 0"; fi
err_has "... and says why" "name 'a b': use only letters"
run ts -r "$FIVE" -o 'uat:vfm_filters:"","1","TRUE"'
err_has "a named filter without a name is refused" "needs a name"

# ---- run-time errors and unknown link types ----------------------------------------------
fields "$FIVE" -o 'vfm.filter:(= (load u32 50) 0)' -o 'uat:vfm_filters:"deep","(load u8 53)","TRUE"' \
    -e vfm.match -e vfm.result -e vfm.error
same "a load past the captured bytes: vfm.error, no vfm.match, no vfm.result (ARP frame 2)" \
    "$(sed -n 2p "$TMP/out" | tr '\t' '#')" "2###Packet bounds exceeded,deep: Packet bounds exceeded"
same "... and the frames long enough get a result" "$(sed -n 1p "$TMP/out" | tr '\t' '#')" "1#1#1#"
fields "$TMP/wlan.pcap" -o 'vfm.filter:1' -e vfm.match -e vfm.error
out_has "an 802.11 frame: vfm.error names the link type, no vfm.match" \
    "^1		link type 'IEEE 802.11 Wireless LAN' \(WTAP_ENCAP 20\) has no VFLisp layout"
run ts -r "$TMP/wlan.pcap" -o 'vfm.filter:1' \
    -Y 'vfm.linktype.unsupported && _ws.expert.severity == warning' \
    -T fields -e frame.number
same "... with a warning expert item" "$(frames_of)" "1"

# ---- stateful filters: one verdict per frame, whatever tshark re-dissects ---------------
EXPR='(< (count-by src-ip) 3)'
if vfm_frames "$EXPR" EN10MB "$MIX" "$TMP/ref.frames"; then
    want=$(tr '\n' ' ' <"$TMP/ref.frames" | sed 's/ $//')
    run ts -r "$MIX" -o "vfm.filter:$EXPR" -Y vfm.match -T fields -e frame.number
    same "count-by, one pass: the frames vfm-test accepts ($(wc -l <"$TMP/ref.frames") frames)" \
        "$(frames_of)" "$want"
    run ts -2 -r "$MIX" -o "vfm.filter:$EXPR" -Y vfm.match -T fields -e frame.number
    same "count-by, two passes (tshark -2): the same frames" "$(frames_of)" "$want"
    run ts -2 -r "$MIX" -o "vfm.filter:$EXPR" -R vfm.match -T fields -e vfm.match
    same "count-by, -2 -R: the frames the first pass kept still match in the second" \
        "$(sort "$TMP/out" | uniq -c | sed 's/^ *//')" "$(wc -l <"$TMP/ref.frames") 1"
    run ts -r "$MIX" -o "uat:vfm_filters:\"few\",\"$EXPR\",\"TRUE\"" -Y 'vfm.matched == "few"' \
        -T fields -e frame.number
    same "count-by as a named filter: the same frames" "$(frames_of)" "$want"
fi

finish
