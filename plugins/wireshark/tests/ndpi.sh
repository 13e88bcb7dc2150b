#!/bin/bash
# ndpi.sh - vfm.app and `app` in the plugin's filters (plugin built with the
# nDPI extension), against vfm-classify on the same captures.
#  - tshark -2 (second pass: final classification): vfm.app of every frame
#    = the app vfm-classify -v shows for it (none for frames of no flow);
#  - one pass: a frame's vfm.app is what was known when it was seen: where
#    that is a name, the final one is the same or a refinement ("TLS" ->
#    "TLS.Google"); -Y 'vfm.app == "DNS"' selects such frames;
#  - vfm.filter (= app "DNS") (which turns classification on by itself)
#    accepts the frames whose one-pass vfm.app is DNS, as master or app;
#  - a bad application name is refused with the compiler's message.
#   ndpi.sh [--skip-if-missing] SHARED-CORPUS-DIR
# Environment: as tshark.sh, and VFM_CLASSIFY.
. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
. "$VFM_SOURCE_DIR/plugins/wireshark/tests/tshark.sh"
need_env VFM_CLASSIFY
plugin_loads

caps=("$VFM_SOURCE_DIR/pcaps/mix.pcap")
[ "${1:-}" = --skip-if-missing ] && shift
if [ -n "${1:-}" ] && [ -d "$1" ]; then
    for n in ndpi-iphone.pcap ndpi-KakaoTalk_chat.pcap ndpi-dns_fragmented.pcap ndpi-zoom.pcap \
        ndpi-quic-v2.pcapng tcpdump-quic_handshake.pcap; do
        caps+=("$1/$n")
    done
else
    echo "note: no shared corpus: only pcaps/mix.pcap checked"
fi

for cap in "${caps[@]}"; do
    name=$(basename "$cap")
    "$VFM_CLASSIFY" -v -e '(= app 0)' "$cap" 2>/dev/null |
        sed -n 's/^\([0-9]*\): app=\([^ ]*\) .*/\1\t\2/p' | sed 's/\t-$/\t/' >"$TMP/final"
    ts -r "$cap" -2 -o vfm.ndpi:TRUE -T fields -e frame.number -e vfm.app >"$TMP/two" 2>"$TMP/err"
    if [ -s "$TMP/final" ] && diff -q "$TMP/final" "$TMP/two" >/dev/null; then
        ok "$name: tshark -2: vfm.app of all $(wc -l <"$TMP/two") frames = vfm-classify's"
    else
        bad "$name: tshark -2 vfm.app differs from vfm-classify: $(diff "$TMP/final" "$TMP/two" | head -4 | tr '\n' '|') $(head -c 200 "$TMP/err")"
    fi
    ts -r "$cap" -o vfm.ndpi:TRUE -T fields -e frame.number -e vfm.app >"$TMP/one" 2>/dev/null
    wrong=$(paste "$TMP/one" "$TMP/final" | awk -F '\t' '$2 != "" && $2 != "Unknown" &&
        $4 != $2 && index($4, $2 ".") != 1' | wc -l)
    known=$(awk -F '\t' '$2 != "" && $2 != "Unknown"' "$TMP/one" | wc -l)
    same "$name: one pass: the $known frames classified when seen keep (or refine) that app" "$wrong" 0
    [ "$(wc -l <"$TMP/one")" = "$(wc -l <"$TMP/final")" ] || bad "$name: one pass: frame count"
    # The display filter on vfm.app selects exactly the frames showing DNS.
    want=$(awk -F '\t' '$2 == "DNS" { print $1 }' "$TMP/one" | tr '\n' ' ')
    got=$(ts -r "$cap" -o vfm.ndpi:TRUE -Y 'vfm.app == "DNS"' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
    same "$name: -Y 'vfm.app == \"DNS\"' (one pass): $(echo $want | wc -w) frames" "$got" "$want"
    # A filter reading app: the frames whose one-pass app has DNS in it.
    want=$(awk -F '\t' '{ k = split($2, p, ".") }
        $2 == "DNS" || (k == 2 && (p[1] == "DNS" || p[2] == "DNS")) { print $1 }' "$TMP/one" | tr '\n' ' ')
    got=$(ts -r "$cap" -o 'vfm.filter:(= app "DNS")' -Y vfm.match -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
    same "$name: vfm.filter (= app \"DNS\") without vfm.ndpi: $(echo $want | wc -w) frames" "$got" "$want"
done

run ts -r "$VFM_SOURCE_DIR/pcaps/mix.pcap" -c 1 -o 'vfm.filter:(= app "DSN")' -T fields -e vfm.error
out_has "unknown application: vfm.error says so" 'unknown application "DSN"'
finish
