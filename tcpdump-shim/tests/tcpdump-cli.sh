#!/bin/bash
# tcpdump-cli.sh - vfm-tcpdump and the shim from the command line:
#   - vfm-tcpdump -d '(= proto 6)' prints a valid program (libpcap's
#     bpf_validate accepts tcpdump -ddd's output, and it selects the packets
#     `ip proto 6` selects);
#   - a bad VFLisp filter makes tcpdump exit non-zero with a located message;
#   - ordinary tcpdump expressions are unchanged: -d output (and errors) with
#     and without the shim are identical, on several link types;
#   - the vfl: prefix and VFM_SHIM_MODE; the wrapper's own options and errors.
# Usage: tcpdump-cli.sh CAPTURE   (an Ethernet capture: pcaps/mix.pcap)
# Environment: VFM_TCPDUMP_SHIM (vfm-tcpdump), VFM_VERSION, VFLISPC.

set -u
export LC_ALL=C
: "${VFM_TCPDUMP_SHIM:?set VFM_TCPDUMP_SHIM}" "${VFM_VERSION:?set VFM_VERSION}" "${VFLISPC:?set VFLISPC}"
CAP=${1:?usage: tcpdump-cli.sh CAPTURE}
. "$(dirname "$0")/../../tests/scripts/corpus.sh"
corpus_args "$(dirname "$CAP")" # the reference: tcpdump must be installed
VT=$VFM_TCPDUMP_SHIM
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-shim-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# run NAME CMD...: stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, status in RC.
run() {
    local n=$1
    shift
    "$@" >"$TMP/$n.out" 2>"$TMP/$n.err" </dev/null
    RC=$?
}

# ---- a VFLisp filter compiles to a valid classic BPF program ------------------------
run d "$VT" -d '(= proto 6)'
if [ "$RC" -eq 0 ] && grep -q '^(000) ' "$TMP/d.out" && tail -n 1 "$TMP/d.out" | grep -q ' ret '; then
    ok "vfm-tcpdump -d '(= proto 6)': $(wc -l <"$TMP/d.out") instructions"
else
    bad "vfm-tcpdump -d '(= proto 6)': exit $RC: $(head -c 300 "$TMP/d.err")"
fi
run ddd "$VT" -ddd '(= proto 6)'
if [ "$RC" -eq 0 ] && [ "$(head -n 1 "$TMP/ddd.out")" -eq "$(($(wc -l <"$TMP/ddd.out") - 1))" ] &&
    [ "$(head -n 1 "$TMP/ddd.out")" -eq "$(wc -l <"$TMP/d.out")" ]; then
    ok "-ddd: $(head -n 1 "$TMP/ddd.out") instructions, as -d"
else
    bad "-ddd output malformed (exit $RC)"
fi
# The program must accept what `ip proto 6` accepts (and be valid for libpcap to run it).
run rd "$VT" -nn -r "$CAP" '(= proto 6)'
run rr tcpdump -nn -r "$CAP" 'ip proto 6'
if [ "$RC" -eq 0 ] && [ -s "$TMP/rr.out" ] && cmp -s "$TMP/rd.out" "$TMP/rr.out"; then
    ok "-r: '(= proto 6)' prints the $(wc -l <"$TMP/rr.out") packets 'ip proto 6' prints"
else
    bad "-r: '(= proto 6)' and 'ip proto 6' differ"
fi
# tcpdump -d assumes Ethernet; -y chooses the link type, and VFLisp follows it.
run sll "$VT" -d -y LINUX_SLL '(= proto 6)'
if [ "$RC" -eq 0 ] && grep -q 'ldh      \[14\]' "$TMP/sll.out" && ! cmp -s "$TMP/sll.out" "$TMP/d.out"; then
    ok "-y LINUX_SLL: the ethertype is read at offset 14"
else
    bad "-y LINUX_SLL: $(head -c 300 "$TMP/sll.err")"
fi

# ---- bad VFLisp: non-zero exit, located one-line message ------------------------------
check_error() { # DESCRIPTION PATTERN FILTER [ENV...]
    local what=$1 pattern=$2 filter=$3
    shift 3
    run err env "$@" "$VT" -d "$filter"
    local msg
    msg=$(grep -v '^Warning: ' "$TMP/err.err" | head -n 1)
    if [ "$RC" -ne 0 ] && [ ! -s "$TMP/err.out" ] && [[ $msg == *$pattern* ]] &&
        [ "$(grep -vc '^Warning: ' "$TMP/err.err")" -eq 1 ]; then
        ok "$what: exit $RC: $msg"
    else
        bad "$what: exit $RC, wanted '$pattern', got: $(tr '\n' '|' <"$TMP/err.err")"
    fi
}
check_error "unknown field" "tcpdump: vflisp:1:4: unknown name 'dst-prot' (did you mean 'dst-port'?)" \
    '(= dst-prot 80)'
check_error "vfl: prefix keeps columns" "tcpdump: vflisp:1:8: unknown name 'dst-prot'" 'vfl:(= dst-prot 80)'
check_error "unbalanced VFLisp" "tcpdump: vflisp:1:" 'vfl:(and (= proto 6)'
check_error "arity" "tcpdump: vflisp:1:2: " '(= proto)'
check_error "no classic BPF form" "cannot run as classic BPF" '(= flow-hash 1)'
check_error "bad VFM_SHIM_MODE" "tcpdump: VFM_SHIM_MODE: 'bpf' is not auto, pcap or vflisp" tcp \
    VFM_SHIM_MODE=bpf
check_error "missing bytecode file" "tcpdump: vfm:@$TMP/none.bin: No such file or directory" \
    "vfm:@$TMP/none.bin"
check_error "VFLisp forced on a libpcap expression" "tcpdump: vflisp:1:" 'tcp port 80' \
    VFM_SHIM_MODE=vflisp
# A VFLisp link-layer error names the link type.
run ieee "$VT" -d -y IEEE802_11 '(= proto 6)'
if [ "$RC" -ne 0 ] && grep -q "VFLisp does not support link type IEEE802_11" "$TMP/ieee.err"; then
    ok "unsupported link type: $(tail -n 1 "$TMP/ieee.err")"
else
    bad "unsupported link type: exit $RC: $(tr '\n' '|' <"$TMP/ieee.err")"
fi

# ---- ordinary expressions are unchanged --------------------------------------------------
same_as_tcpdump() { # LINKTYPE EXPR [ENV...]
    local lt=$1 expr=$2
    shift 2
    run plain env "$@" tcpdump -d -y "$lt" "$expr"
    local plain_rc=$RC
    run shim env "$@" "$VT" -d -y "$lt" "$expr"
    if [ "$RC" -eq "$plain_rc" ] && cmp -s "$TMP/plain.out" "$TMP/shim.out" &&
        cmp -s "$TMP/plain.err" "$TMP/shim.err"; then
        ok "$(printf 'unchanged %-10s %-44s (%s lines, exit %s) %s' "$lt" "'$expr'" \
            "$(wc -l <"$TMP/shim.out")" "$RC" "$*")"
    else
        bad "changed by the shim: -y $lt '$expr' $*: exit $plain_rc -> $RC"
        diff "$TMP/plain.out" "$TMP/shim.out" | head -n 4
        diff "$TMP/plain.err" "$TMP/shim.err" | head -n 4
    fi
}
EXPRS=(
    "" "tcp" "ip proto 6" "tcp port 80" "(not tcp)" "(tcp)" "((tcp) or (udp))"
    "not (udp or icmp)" "tcp[13] & 2 != 0" "vlan 100" "vlan and ip" "ip6 and not ip6 src host ::1"
    "src net 10.0.0.0/8 and dst portrange 1-1023" "ether host 02:00:00:00:00:01" "arp or rarp"
    "ip[2:2] - ((ip[0] & 0xf) << 2) > 500" "(ip or ip6) and (tcp or udp) and not port 22"
    "len > 100" "icmp[icmptype] = icmp-echo" "greater 1000"
    # rejected by libpcap: the same message and exit status without and with the shim
    "tcp prot 80" "(tcp port" "ip proto" "vlan 5000" "tcp and and udp" "src host 1.2.3.4.5"
)
for e in "${EXPRS[@]}"; do
    same_as_tcpdump EN10MB "$e"
done
for lt in LINUX_SLL LINUX_SLL2 RAW; do
    for e in "tcp port 80" "(not tcp)" "ip6" "vlan 5" "icmp"; do
        same_as_tcpdump "$lt" "$e"
    done
done
# VFM_SHIM_MODE=pcap: even VFLisp goes to libpcap, exactly as without the shim.
same_as_tcpdump EN10MB '(= proto 6)' VFM_SHIM_MODE=pcap
same_as_tcpdump EN10MB 'vfl:(= proto 6)' VFM_SHIM_MODE=pcap
same_as_tcpdump EN10MB 'tcp port 80' VFM_SHIM_MODE=auto
# A NULL expression (no filter at all): tcpdump reads everything.
run nofilt "$VT" -nn -r "$CAP"
run nofilt_ref tcpdump -nn -r "$CAP"
if [ "$RC" -eq 0 ] && cmp -s "$TMP/nofilt.out" "$TMP/nofilt_ref.out"; then
    ok "no filter: all $(wc -l <"$TMP/nofilt.out") packets, as without the shim"
else
    bad "no filter: output differs from plain tcpdump"
fi

# ---- the explicit forms ----------------------------------------------------------------
# (not tcp) is libpcap's `not tcp` unless told otherwise; vfl: makes it VFLisp's (not 6).
run a "$VT" -d '(not tcp)'
run b "$VT" -d 'vfl:(not tcp)'
run c env VFM_SHIM_MODE=vflisp "$VT" -d '(not tcp)'
run ref tcpdump -d 'not tcp'
if cmp -s "$TMP/a.out" "$TMP/ref.out" && ! cmp -s "$TMP/b.out" "$TMP/ref.out" &&
    cmp -s "$TMP/b.out" "$TMP/c.out" && [ -s "$TMP/b.out" ]; then
    ok "'(not tcp)' is libpcap's; 'vfl:(not tcp)' and VFM_SHIM_MODE=vflisp make it VFLisp"
else
    bad "'(not tcp)': the vfl: prefix or VFM_SHIM_MODE=vflisp did not switch the language"
fi
# vfm:@FILE runs a compiled VFM program: the same as the VFLisp it came from.
"$VFLISPC" -e '(and (= proto 17) (= dst-port 53))' -o "$TMP/dns.bin" 2>"$TMP/vflispc.err"
run file "$VT" -d "vfm:@$TMP/dns.bin"
run src "$VT" -d '(and (= proto 17) (= dst-port 53))'
if [ "$RC" -eq 0 ] && [ -s "$TMP/src.out" ] && cmp -s "$TMP/file.out" "$TMP/src.out"; then
    ok "vfm:@FILE: same program as the VFLisp source"
else
    bad "vfm:@FILE: $(tr '\n' '|' <"$TMP/file.err")"
fi

# ---- the wrapper -----------------------------------------------------------------------
run help "$VT" --help
if [ "$RC" -eq 0 ] && grep -q '^Usage: vfm-tcpdump' "$TMP/help.out" && [ ! -s "$TMP/help.err" ]; then
    ok "--help: usage on stdout, exit 0"
else
    bad "--help: exit $RC"
fi
run version "$VT" --version
if [ "$RC" -eq 0 ] && [ "$(cat "$TMP/version.out")" = "vfm-tcpdump (vfm) $VFM_VERSION" ]; then
    ok "--version: $(cat "$TMP/version.out")"
else
    bad "--version: exit $RC: $(cat "$TMP/version.out")"
fi
run notd env VFM_TCPDUMP="$TMP/no-tcpdump" "$VT" -d tcp
if [ "$RC" -eq 2 ] && grep -q "^vfm-tcpdump: $TMP/no-tcpdump: not found" "$TMP/notd.err"; then
    ok "missing tcpdump: exit 2: $(cat "$TMP/notd.err")"
else
    bad "missing tcpdump: exit $RC: $(cat "$TMP/notd.err")"
fi
# Found relative to itself through a symlink, and refused when the shim is missing.
ln -s "$(readlink -f "$VT")" "$TMP/link-vfm-tcpdump"
run link "$TMP/link-vfm-tcpdump" -d '(= proto 6)'
cmp -s "$TMP/link.out" "$TMP/d.out" && ok "through a symlink: same program" ||
    bad "through a symlink: exit $RC: $(head -c 200 "$TMP/link.err")"
cp "$(readlink -f "$VT")" "$TMP/copy-vfm-tcpdump"
run copy "$TMP/copy-vfm-tcpdump" -d '(= proto 6)'
if [ "$RC" -eq 2 ] && grep -q "^vfm-tcpdump: .*: shim library missing or unreadable" "$TMP/copy.err"; then
    ok "shim missing: exit 2: $(cat "$TMP/copy.err")"
else
    bad "shim missing: exit $RC: $(cat "$TMP/copy.err")"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
