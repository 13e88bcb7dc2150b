#!/bin/bash
# screenshot.sh - make docs/wireshark-vfm-matched.png: the Wireshark GUI under
# Xvfb with the plugin from the build tree, three named filters and a
# "VFM matched" column, one frame selected with the VFM tree open.  Not run
# in CI (it needs the GUI); run it after changing what the plugin shows.
#
# Usage: plugins/wireshark/screenshot.sh [-b BUILD_DIR] [-o OUT.png] [CAPTURE]
#   defaults: build, docs/wireshark-vfm-matched.png, pcaps/mix-small.pcap
# Needs: wireshark (Qt GUI), xvfb (xvfb-run), imagemagick (import).
# As root, Wireshark runs under `unshare -U` (it ignores WIRESHARK_PLUGIN_DIR
# for root).

set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build
OUT=$SRC/docs/wireshark-vfm-matched.png
while getopts "b:o:h" o; do
    case $o in
    b) BUILD=$(realpath "$OPTARG") ;;
    o) OUT=$(realpath -m "$OPTARG") ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 1 ;;
    esac
done
shift $((OPTIND - 1))
CAP=$(realpath "${1:-$SRC/pcaps/mix-small.pcap}")

die() { echo "screenshot.sh: $*" >&2; exit 2; }
for t in wireshark xvfb-run import; do
    command -v "$t" >/dev/null || die "$t is not installed (apt-get install wireshark xvfb imagemagick)"
done
PLUGIN_DIR=$BUILD/plugins/wireshark/plugin-dir
[ -d "$PLUGIN_DIR" ] || die "$PLUGIN_DIR: no plugin built there (cmake --build $BUILD)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-ws-shot.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"
mkdir -p "$TMP/home/.config/wireshark" "$TMP/extcap" "$TMP/run"
chmod 700 "$TMP/run"
# A window that fills the virtual screen, the panes stacked.
cat >"$TMP/home/.config/wireshark/recent_common" <<'EOF'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1400
gui.geometry_main_height: 860
privs.warn_if_elevated: FALSE
EOF
cat >"$TMP/home/.config/wireshark/recent" <<'EOF'
gui.geometry_main_upper_pane: 430
gui.geometry_main_lower_pane: 600
column.width: %m, 50, %t, 90, %s, 200, %d, 200, %p, 70, %L, 60, %Cus:vfm.match:0:R, 70, %Cus:vfm.matched:0:R, 110, %i, 400
EOF
export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/home/.config XDG_RUNTIME_DIR=$TMP/run
export WIRESHARK_PLUGIN_DIR=$(realpath "$PLUGIN_DIR") WIRESHARK_EXTCAP_DIR=$TMP/extcap

WS=(wireshark)
[ "$(id -u)" -eq 0 ] && WS=(unshare -U wireshark)
ARGS=(-r "$CAP" -g 2
    -o 'vfm.filter:(and (= proto 6) (= dst-port 443))'
    -o 'uat:vfm_filters:"web","(or (= dst-port 80) (= src-port 80))","TRUE"'
    -o 'uat:vfm_filters:"tls","(or (= dst-port 443) (= src-port 443))","TRUE"'
    -o 'uat:vfm_filters:"dns","(or (= dst-port 53) (= src-port 53))","TRUE"'
    -o 'uat:vfm_filters:"ipv6","(= ethertype 0x86dd)","TRUE"'
    -o 'gui.column.format:"No.","%m","Time","%t","Source","%s","Destination","%d","Protocol","%p","Length","%L","vfm.match","%Cus:vfm.match","vfm.matched","%Cus:vfm.matched","Info","%i"')

xvfb-run -a -s "-screen 0 1400x860x24" bash -c '
    "$@" >/dev/null 2>&1 &
    pid=$!
    sleep "${VFMWS_SHOT_WAIT:-12}"
    import -window root "'"$TMP"'/shot.png"
    kill $pid
    wait $pid 2>/dev/null
    true' shot "${WS[@]}" "${ARGS[@]}"
[ -s "$TMP/shot.png" ] || die "no screenshot taken"
mkdir -p "$(dirname "$OUT")"
# The image as taken; strip metadata (dates) so reruns compare.
convert "$TMP/shot.png" -strip -colors 256 "PNG8:$OUT" || die "convert failed"
echo "wrote $OUT"
