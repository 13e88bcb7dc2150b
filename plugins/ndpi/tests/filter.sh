#!/bin/bash
# filter.sh - the `app` field and VFM_HELPER_APP in filters.
#  - (= app "NAME") accepts exactly the packets of the flows vfm-classify
#    --flows says are NAME (as master or application: "DNS" also takes
#    DNS.Google), on several captures and names; (!= app ...) the rest;
#  - per packet (-v), the app shown and the verdict agree;
#  - assembly calling helper 61 sees the same ids;
#  - bad names and misplaced strings give located errors (exit 2);
#  - without the extension `app` is a located error (vfm-compile, vflispc),
#    and bytecode calling helper 61 fails to load cleanly (vfm-test) or to
#    translate (vfm-compile: classic BPF has no such helper).
#   filter.sh [--skip-if-missing] SHARED-CORPUS-DIR
# Environment: VFM_CLASSIFY, VFM_TEST, VFM_COMPILE, VFLISPC, VFM_SOURCE_DIR.
. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
need_env VFM_CLASSIFY VFM_TEST VFM_COMPILE VFLISPC
MIX="$VFM_SOURCE_DIR/pcaps/mix.pcap"
SHARED=
if [ "${1:-}" = --skip-if-missing ]; then shift; fi
[ -n "${1:-}" ] && [ -d "$1" ] && SHARED=$1

# app_packets FLOWS NAME: packets of the flows whose app is NAME, NAME.x or x.NAME.
app_packets() {
    awk -F '\t' -v n="$2" '/^[0-9]/ {
        k = split($8, p, ".")
        if ($8 == n || (k == 2 && (p[1] == n || p[2] == n))) s += $6
    } END { print s + 0 }' "$1"
}

# check_name CAPTURE NAME
check_name() {
    local cap=$1 app=$2 name
    name="$(basename "$cap") $app"
    "$VFM_CLASSIFY" --flows "$cap" >"$TMP/flows" 2>/dev/null
    local want total
    want=$(app_packets "$TMP/flows" "$app")
    run "$VFM_CLASSIFY" -c -e "(= app \"$app\")" "$cap"
    same "$name: (= app \"$app\") accepts the packets of its flows" "$(cat "$TMP/out")" "$want"
    run "$VFM_CLASSIFY" -v -e "(= app \"$app\")" "$cap"
    # Every accepted packet shows the app, every dropped one another.
    local wrong
    wrong=$(awk -v n="$app" '/: app=/ {
        a = $2; sub(/^app=/, "", a); k = split(a, p, ".")
        is = (a == n || (k == 2 && (p[1] == n || p[2] == n)))
        if (is != ($3 == "accept")) w++
    } END { print w + 0 }' "$TMP/out")
    same "$name: -v verdicts follow the app shown" "$wrong" 0
    # Packets of no flow (app=-) have no app: neither = nor != accepts them.
    total=$(awk '/^[0-9]+: / && $2 != "app=-" { n++ } END { print n + 0 }' "$TMP/out")
    run "$VFM_CLASSIFY" -c -e "(!= app \"$app\")" "$cap"
    same "$name: (!= app) accepts the other packets of flows" "$(cat "$TMP/out")" "$((total - want))"
    [ "$want" -gt 0 ] || bad "$name: no packet is $app: the check above proved nothing"
}

check_name "$MIX" DNS
check_name "$MIX" HTTP
check_name "$MIX" TLS
check_name "$MIX" Unknown
if [ -n "$SHARED" ]; then
    check_name "$SHARED/ndpi-dns_fragmented.pcap" DNS
    check_name "$SHARED/ndpi-dns_fragmented.pcap" Google
    check_name "$SHARED/ndpi-dns_fragmented.pcap" DNS.Google
    check_name "$SHARED/ndpi-iphone.pcap" TLS
    check_name "$SHARED/ndpi-iphone.pcap" AppleiCloud
    check_name "$SHARED/ndpi-zoom.pcap" Zoom
    check_name "$SHARED/ndpi-KakaoTalk_chat.pcap" HTTP_Proxy
    check_name "$SHARED/ndpi-quic-v2.pcapng" Unknown
else
    echo "note: no shared corpus: only pcaps/mix.pcap checked"
fi

# Names are nDPI's, in any case.
run "$VFM_CLASSIFY" -c -e '(= app "dns")' "$MIX"
same "names in any case" "$(cat "$TMP/out")" "$(app_packets <("$VFM_CLASSIFY" --flows "$MIX") DNS)"

# Assembly: CALL 61 pushes (master << 16) | app; DNS is nDPI id 5.
printf 'CALL 61\nPUSH 5\nJEQ yes\nRET 0\nyes: RET 1\n' >"$TMP/dns.vfm"
run "$VFM_CLASSIFY" -c "$TMP/dns.vfm" "$MIX"
same "assembly with CALL 61 = (= app 5)" "$(cat "$TMP/out")" \
    "$("$VFM_CLASSIFY" -c -e '(= app 5)' "$MIX")"

# Errors, located.
expect "unknown application" 2 "$VFM_CLASSIFY" -c -e '(= app "DSN")' "$MIX"
err_has "unknown application: located" '^vfm-classify: <expr>:1:8: unknown application "DSN"'
expect "string not compared with app" 2 "$VFM_CLASSIFY" -c -e '(= proto "tcp")' "$MIX"
err_has "misplaced string: located" '<expr>:1:10: a string is an application name'
expect "ordering on apps" 2 "$VFM_CLASSIFY" -c -e '(< app "DNS")' "$MIX"
err_has "ordering on apps: located" '<expr>:1:2: applications are compared with = and != only'
expect "unterminated string" 2 "$VFM_CLASSIFY" -c -e '(= app "DNS)' "$MIX"
err_has "unterminated string: located" '<expr>:1:8: unterminated string'
expect "stdin twice" 1 "$VFM_CLASSIFY" -c -e '(= app "DNS")' -
err_has "stdin twice: says why" 'two passes'
expect "capture nDPI cannot read" 2 "$VFM_CLASSIFY" --flows "$VFM_SOURCE_DIR/README.md"
err_has "bad capture: names the file" "^vfm-classify: $VFM_SOURCE_DIR/README.md: "

# Without the extension.
expect "vfm-compile: app needs nDPI" 2 "$VFM_COMPILE" -e '(= app "DNS")'
err_has "vfm-compile: located, says nDPI" "<expr>:1:4: 'app' .*needs the nDPI extension"
expect "vflispc: app needs nDPI" 2 "$VFLISPC" -e '(= app "DNS")' -S
err_has "vflispc: says nDPI" "1:4: 'app' .*needs the nDPI extension"
expect "vfm-test: CALL 61 without the helper" 2 "$VFM_TEST" -c "$TMP/dns.vfm" "$MIX"
err_has "vfm-test: names the helper" 'helper.* 61|61.*helper'
err_one_line "vfm-test: one line"
expect "vfm-compile: CALL 61 in classic BPF" 2 "$VFM_COMPILE" "$TMP/dns.vfm"
err_has "vfm-compile: names the helper" 'helper.* 61|61.*helper|CALL 61'
err_one_line "vfm-compile: one line"

# Raw code (not verified by the tool): the classic-BPF backend's own refusal.
printf '\x70\x3d\x00\x50' >"$TMP/app.bin" # CALL 61; RET
expect "vfm-compile: raw CALL 61" 2 "$VFM_COMPILE" "$TMP/app.bin"
err_has "vfm-compile: located cBPF refusal" 'app.bin: pc 0: CALL: helper 61 has no classic BPF equivalent'
expect "vfm-classify runs the same raw code" 0 "$VFM_CLASSIFY" -c "$TMP/app.bin" "$MIX"

# Tool conventions.
expect "--help" 0 "$VFM_CLASSIFY" --help
out_has "--help: usage" '^Usage: vfm-classify'
expect "--version" 0 "$VFM_CLASSIFY" --version
out_has "--version" "^vfm-classify \\(vfm\\) $VFM_VERSION\$"
expect "no arguments" 1 "$VFM_CLASSIFY"
expect "--flows with -e" 1 "$VFM_CLASSIFY" --flows -e '(= app "DNS")' "$MIX"
expect "--list-apps" 0 "$VFM_CLASSIFY" --list-apps
out_has "--list-apps: DNS is 5" '^5	DNS$'
finish
