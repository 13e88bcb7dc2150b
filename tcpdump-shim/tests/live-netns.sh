#!/bin/bash
# live-netns.sh - VFLisp filters on a live capture, run by the kernel.
#
# In a network namespace made for the test (a veth pair, both ends inside
# it, no addresses and IPv6 off, so nothing but our frames is on the link),
# tcpdump -i captures through the shim with VFLisp filters while shim-inject
# sends a known set of frames through an AF_PACKET socket on the other end:
# UDP, TCP, ICMP, ARP, 802.1Q-tagged frames (VLAN 100, 200, priority-tagged
# VLAN 0) and an 802.1ad QinQ frame.  The receiving kernel removes the outer
# tag before the socket filter runs, so VLAN fields must use its ancillary
# data, as libpcap's `vlan` does on live handles.
# Checked, for each filter:
#   - the captured set equals the expected set, and equals what plain tcpdump
#     captures at the same time with the equivalent libpcap expression;
#   - the filter runs in the kernel: strace shows SO_ATTACH_FILTER with the
#     length of our program (tcpdump -d -i on the same interface), and
#     shim-attached-filter reads the program back from the socket
#     (SO_GET_FILTER) and finds it identical to what vfm_pcap_compile made.
# tcpdump drops privileges (user tcpdump) before it installs the filter, as
# it does everywhere.  Needs root; skips (exit 77) only when the machine
# does not allow network namespaces.
# Environment: VFM_TCPDUMP_SHIM, VFM_INJECT, VFM_ATTACHED_FILTER.

set -u
export LC_ALL=C
: "${VFM_TCPDUMP_SHIM:?}" "${VFM_INJECT:?}" "${VFM_ATTACHED_FILTER:?}"
VT=$VFM_TCPDUMP_SHIM
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
skip() {
    echo "SKIP: $*"
    exit 77
}

for tool in ip tcpdump strace; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "FAIL: $tool is not installed (scripts/install-deps.sh installs it)"
        exit 1
    }
done
[ "$(id -u)" -eq 0 ] || skip "the live test needs root (network namespaces, packet sockets)"

NS=vfm-shim-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-shim-live.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    # Whatever still runs in our namespace was started by this test.
    for p in $(ip netns pids "$NS" 2>/dev/null); do
        kill -9 "$p" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
    msg=$(cat "$TMP/netns.err")
    rm -rf "$TMP"
    skip "this machine does not allow network namespaces (ip netns add: $msg)"
fi
trap cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }

set -e
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add vfa type veth peer name vfb
for dev in lo vfa vfb; do ip -n "$NS" link set "$dev" up; done
set +e
chmod 755 "$TMP" # tcpdump runs as user tcpdump after opening the interface

# Frames: `shim-inject --list`.  Filters: VFLisp | the libpcap equivalent | expected ids.
FILTERS=(
    "(= proto udp)|ip proto 17|1 4 5"
    "(and (= proto tcp) (= dst-port 80))|ip proto 6 and dst port 80|2 6"
    "(= proto icmp)|icmp|3 9"
    "(= ethertype arp)|arp|7 10"
    "(= vlan-id 100)|vlan 100|5 7"
    "(= vlan-id 300)|vlan 300|8"
    "(= vlan-id 0)|vlan 0|9"
    "(and (= vlan-ethertype ipv4) (= dst-port 53))|vlan and ip and udp dst port 53|5"
    "(not (= vlan-ethertype ipv4))|not (vlan and ether proto 0x800)|1 2 3 4 7 8 10"
)
# The filter traced with strace and read back from the socket.
TRACED="(= vlan-id 100)"
TRACED_IDS="5 7"

echo "frames sent:"
"$VFM_INJECT" --list | sed 's/^/  /'

# The program the shim makes for this live handle: ancillary VLAN loads, not ether[14:2].
nsx "$VT" -d -i vfa "$TRACED" >"$TMP/live.d" 2>"$TMP/live.d.err"
if grep -q 'vlanp' "$TMP/live.d" && grep -q 'vlan_tci' "$TMP/live.d"; then
    ok "tcpdump -d -i vfa '$TRACED': $(wc -l <"$TMP/live.d") instructions, reads the kernel's VLAN data"
else
    bad "tcpdump -d -i vfa '$TRACED': no ancillary VLAN loads: $(tr '\n' '|' <"$TMP/live.d.err") $(tr '\n' '|' <"$TMP/live.d")"
fi

# start NAME TCPDUMP FILTER: capture in the background until SIGTERM.
start() {
    nsx "$2" -i vfa -Q in -U -w - "$3" >"$TMP/$1.pcap" 2>"$TMP/$1.err" </dev/null &
    PIDS+=($!)
    WAIT+=("$1")
}
WAIT=()
for i in "${!FILTERS[@]}"; do
    IFS='|' read -r vfl expr ids <<<"${FILTERS[$i]}"
    start "vfl$i" "$VT" "$vfl"
    start "pcap$i" tcpdump "$expr"
done
# The traced capture ends by itself after the expected number of packets.
# LeakSanitizer cannot run under ptrace (sanitizer builds preload it): off here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
nsx timeout 20 strace -f -qq -e trace=setsockopt -o "$TMP/strace.log" \
    "$VT" -i vfa -Q in -U -c "$(wc -w <<<"$TRACED_IDS")" -w - "$TRACED" \
    >"$TMP/traced.pcap" 2>"$TMP/traced.err" </dev/null &
TRACED_PID=$!
WAIT+=(traced)
nsx "$VFM_ATTACHED_FILTER" vfa "$TRACED" 6000 >"$TMP/attached.out" 2>"$TMP/attached.err" &
ATTACHED_PID=$!

# Every capture must have its filter installed before the frames go out.
for ((t = 0; t < 100; t++)); do
    ready=1
    for n in "${WAIT[@]}"; do
        grep -q 'listening on' "$TMP/$n.err" || ready=0
    done
    grep -q '^ready' "$TMP/attached.out" || ready=0
    [ "$ready" -eq 1 ] && break
    sleep 0.1
done
if [ "$ready" -ne 1 ]; then
    for n in "${WAIT[@]}"; do
        grep -q 'listening on' "$TMP/$n.err" || bad "capture $n did not start: $(tr '\n' '|' <"$TMP/$n.err")"
    done
    grep -q '^ready' "$TMP/attached.out" || bad "shim-attached-filter: $(tr '\n' '|' <"$TMP/attached.err")"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi
nsx "$VFM_INJECT" vfb || bad "shim-inject failed"
sleep 1
# SIGTERM: background jobs of a script ignore SIGINT.  tcpdump flushes and exits on it.
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p"; done
wait "$TRACED_PID"
TRACED_RC=$?
wait "$ATTACHED_PID"
ATTACHED_RC=$?
PIDS=()

# The test frame ids in a capture file, sorted; "other" for anything else.
ids() {
    tcpdump -nn -e -r "$1" 2>/dev/null | while read -r _ mac _; do
        case $mac in
        02:00:00:00:00:??) echo $((16#${mac##*:})) ;;
        *) echo other ;;
        esac
    done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

for i in "${!FILTERS[@]}"; do
    IFS='|' read -r vfl expr want <<<"${FILTERS[$i]}"
    got=$(ids "$TMP/vfl$i.pcap")
    ref=$(ids "$TMP/pcap$i.pcap")
    if [ "$got" = "$want" ] && [ "$ref" = "$want" ]; then
        ok "$(printf '%-48s captured {%s}, as tcpdump %s' "$vfl" "$got" "'$expr'")"
    else
        bad "$vfl: captured {$got}, expected {$want}; tcpdump '$expr' captured {$ref}"
        grep -v 'listening on\|packets\|^$' "$TMP/vfl$i.err" | head -n 2
    fi
done

# In the kernel: SO_ATTACH_FILTER with our program's length.
len=$(wc -l <"$TMP/live.d")
got=$(ids "$TMP/traced.pcap")
if [ "$TRACED_RC" -eq 0 ] && [ "$got" = "$TRACED_IDS" ] &&
    grep -q "SO_ATTACH_FILTER, {len=$len," "$TMP/strace.log"; then
    ok "strace: SO_ATTACH_FILTER {len=$len} (our program) for '$TRACED', captured {$got}"
else
    bad "strace run of '$TRACED': exit $TRACED_RC, captured {$got}, attach calls: $(grep -o 'SO_ATTACH_FILTER, {len=[0-9]*' "$TMP/strace.log" | tr '\n' ' ')"
fi
# In the kernel: the socket's attached program, read back, is ours.
if [ "$ATTACHED_RC" -eq 0 ] && grep -q '^attached: .*as compiled), 2 ancillary loads' "$TMP/attached.out" &&
    [ "$(sed -n 's/^captured: *//p' "$TMP/attached.out")" = "$TRACED_IDS" ]; then
    ok "SO_GET_FILTER: $(head -n 1 "$TMP/attached.out"); $(tail -n 1 "$TMP/attached.out")"
else
    bad "shim-attached-filter: exit $ATTACHED_RC: $(tr '\n' '|' <"$TMP/attached.out") $(tr '\n' '|' <"$TMP/attached.err")"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
