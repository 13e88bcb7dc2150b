#!/bin/bash
# overhead.sh - what the vfm plugin costs tshark: the same capture read with
# a native display filter and with the equivalent VFLisp filter (-Y vfm.match),
# CPU time (user + system) of the best of N runs each.  Fails when the plugin
# takes more than 1.2x the native filter's time.
#
# Usage: overhead.sh [-b BUILD_DIR] [-n PACKETS] [-r RUNS] [CAPTURE]
#   BUILD_DIR  the build tree holding the plugin and vfm-gen-mix (default: build)
#   PACKETS    size of the generated capture when none is given (default 500000)
#   RUNS       runs per variant, the fastest counts (default 3)
#   CAPTURE    an Ethernet capture to use instead of a generated one
# As root, tshark runs under `unshare -U` (Wireshark ignores
# WIRESHARK_PLUGIN_DIR for root).

set -u
export LC_ALL=C
BUILD=build
PACKETS=500000
RUNS=3
while getopts "b:n:r:h" o; do
    case $o in
    b) BUILD=$OPTARG ;;
    n) PACKETS=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 1 ;;
    esac
done
shift $((OPTIND - 1))

die() { echo "overhead.sh: $*" >&2; exit 2; }
PLUGIN_DIR=$BUILD/plugins/wireshark/plugin-dir
[ -d "$PLUGIN_DIR" ] || die "$PLUGIN_DIR: no plugin built there (cmake --build $BUILD)"
command -v tshark >/dev/null || die "tshark is not installed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-ws-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"
mkdir -p "$TMP/home" "$TMP/extcap"
export HOME=$TMP/home WIRESHARK_PLUGIN_DIR=$(realpath "$PLUGIN_DIR") WIRESHARK_EXTCAP_DIR=$TMP/extcap
TS=(tshark)
[ "$(id -u)" -eq 0 ] && TS=(unshare -U tshark)

if [ $# -ge 1 ]; then
    CAP=$1
else
    CAP=$TMP/mix.pcap
    "$BUILD/pcaps/vfm-gen-mix" -n "$PACKETS" -o "$CAP" || die "vfm-gen-mix failed"
    chmod a+r "$CAP"
fi

# best ARGS: the least CPU seconds of RUNS runs of tshark ARGS in $BEST, the
# frames it printed in $COUNT (not inside $(...): it sets variables).
TIMEFORMAT='%U %S'
best() {
    local i t min=""
    for ((i = 0; i < RUNS; i++)); do
        t=$({ time "${TS[@]}" -r "$CAP" "$@" -T fields -e frame.number >"$TMP/out" 2>"$TMP/err"; } 2>&1 |
            awk '{ print $1 + $2 }')
        grep -q . "$TMP/err" && die "tshark $*: $(head -c 300 "$TMP/err")"
        if [ -z "$min" ] || awk -v a="$t" -v b="$min" 'BEGIN { exit !(a < b) }'; then min=$t; fi
    done
    COUNT=$(wc -l <"$TMP/out")
    BEST=$min
}

VFL='(and (= proto 6) (= dst-port 80))'
# eth.type: like VFLisp (and tcpdump), only untagged IPv4 counts; Wireshark's
# ip.proto alone would also match VLAN-tagged frames.
NATIVE='eth.type == 0x0800 && ip.proto == 6 && tcp.dstport == 80'
echo "capture: $CAP ($(stat -c %s "$CAP") bytes), best of $RUNS runs, CPU seconds"
best
echo "tshark, no filter: $BEST s ($COUNT frames)"
best -Y "$NATIVE"
native=$BEST ncount=$COUNT
echo "tshark -Y '$NATIVE': $native s ($ncount frames)"
best -o "vfm.filter:$VFL" -Y vfm.match
vfm=$BEST
echo "tshark -o 'vfm.filter:$VFL' -Y vfm.match: $vfm s ($COUNT frames)"
[ "$COUNT" = "$ncount" ] || echo "note: the filters select different frames ($COUNT vs $ncount)"
ratio=$(awk -v a="$vfm" -v b="$native" 'BEGIN { printf "%.3f", a / b }')
echo "vfm / native: ${ratio}x (limit 1.2x)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.2) }'
