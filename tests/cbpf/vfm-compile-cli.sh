#!/bin/bash
# vfm-compile-cli.sh - the vfm-compile command line: listings identical to
# tcpdump's, the raw form the kernel takes, errors, --help/--version, exit codes.
# Environment: VFM_COMPILE, CBPF_CHECK, CBPF_PRINT, VFM_ASM, VFM_SOURCE_DIR, VFM_VERSION.
. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
need_env VFM_COMPILE CBPF_CHECK CBPF_PRINT VFM_ASM VFM_VERSION
C=$VFM_COMPILE

expect "--help" 0 "$C" --help
out_has "--help shows usage" '^Usage: vfm-compile'
expect "--version" 0 "$C" --version
out_has "--version format" "^vfm-compile \(vfm\) $VFM_VERSION\$"

# Code quality, as the README claims: the quick-start filter compiles to exactly
# the program libpcap's optimiser makes for the same test.
if mine=$("$C" -e '(and (= proto 6) (= dst-port 80))' -d) &&
    theirs=$(tcpdump -d 'ip and tcp dst port 80' 2>/dev/null); then
    if [ "$mine" = "$theirs" ]; then
        ok "(and (= proto 6) (= dst-port 80)) -d == tcpdump -d 'ip and tcp dst port 80'"
    else
        bad "(and (= proto 6) (= dst-port 80)) differs from tcpdump -d 'ip and tcp dst port 80'"
    fi
else
    bad "quick-start filter: vfm-compile or tcpdump -d failed"
fi

# Listings: the printer against tcpdump's own for programs tcpdump compiled.
for f in 'ip' 'tcp dst port 80' 'vlan 5 and udp' 'ip[2:2] - ((ip[0]&0xf)<<2) > 500' \
         'ip6 and net fe80::/10' 'len > 100 or ether broadcast' 'icmp[icmptype] == 8'; do
    n=$((${n:-0} + 1))
    tcpdump -ddd "$f" >"$TMP/t$n.ddd" 2>/dev/null && tcpdump -dd "$f" >"$TMP/t$n.dd" 2>/dev/null &&
        tcpdump -d "$f" >"$TMP/t$n.d" 2>/dev/null || bad "tcpdump cannot compile '$f'"
done
expect "-d/-dd/-ddd print what tcpdump prints for its own programs" 0 "$CBPF_PRINT" "$TMP"/t*.ddd
grep -q ' 0 differ; 0 of [1-9]' "$TMP/out" && ok "printer compared" || { bad "printer"; show_last; }

# The three formats describe the same program, and -o writes it raw.
F='(and (= proto 6) (= dst-port 80))'
expect "-d" 0 "$C" -e "$F"
out_has "-d listing" '^\(000\) ldh      \[12\]$'
cp "$TMP/out" "$TMP/f.d"
expect "-dd" 0 "$C" -dd -e "$F"
out_has "-dd C array" '^\{ 0x28, 0, 0, 0x0000000c \},$'
expect "-ddd" 0 "$C" -ddd -e "$F" --target=cbpf
n=$(head -n 1 "$TMP/out")
same "-ddd count = lines" "$(($(wc -l <"$TMP/out") - 1))" "$n"
same "-ddd count = -d lines" "$(wc -l <"$TMP/f.d")" "$n"
expect "-o raw" 0 "$C" -e "$F" -o "$TMP/f.raw"
same "raw size is 8 bytes per instruction" "$(stat -c %s "$TMP/f.raw")" "$((n * 8))"
expect "the raw program attaches to a socket" 0 "$CBPF_CHECK" attach "$TMP/f.raw"
expect "--snaplen" 0 "$C" -s 96 -e "$F"
out_has "--snaplen is the accept value" 'ret      #96$'

# Inputs: VFLisp file, bytecode, assembly, link types, live.
printf '%s\n' "$F" >"$TMP/f.vfl"
expect "VFLisp file" 0 "$C" "$TMP/f.vfl"
cmp -s "$TMP/out" "$TMP/f.d" && ok "file = -e" || bad "VFLisp file differs from -e"
printf 'LD16 12\nPUSH16 0x800\nJNE r\nPUSH8 1\nRET\nr: PUSH8 0\nRET\n' >"$TMP/ip.vfm"
expect "assembly" 0 "$C" "$TMP/ip.vfm"
out_has "assembly listing" 'jeq      #0x800 '
"$VFM_ASM" -o "$TMP/ip.bin" "$TMP/ip.vfm" && expect "bytecode" 0 "$C" "$TMP/ip.bin"
expect "-y LINUX_SLL" 0 "$C" -y LINUX_SLL -e '(= proto 6)'
out_has "SLL protocol field" 'ldh      \[14\]'
expect "--linktype 276" 0 "$C" --linktype 276 -e '(= proto 6)'
expect "--live reads VLAN ancillary data" 0 "$C" --live -e '(= vlan-id 5)'
out_has "vlan_avail load" 'ldb      \[vlanp\]'

# Errors: one line (VFLisp adds its source line and caret), named, exit codes.
expect "bad VFLisp" 2 "$C" -e '(= dst-prot 80)'
err_has "VFLisp error located" "^vfm-compile: <expr>:1:4: unknown [a-z]+ 'dst-prot'"
expect "unknown link type" 1 "$C" -y FOO -e '(= proto 6)'
err_has "names the link type" "unknown link type 'FOO'"
expect "unsupported link type" 1 "$C" -y 105 -e '(= proto 6)'
expect "unknown target" 1 "$C" --target=ebpf -e '(= proto 6)'
err_has "names the target" "unknown target 'ebpf'"
expect "-dddd" 1 "$C" -dddd -e '(= proto 6)'
expect "no input" 1 "$C"
expect "unknown option" 1 "$C" --frob
expect "missing file" 2 "$C" "$TMP/nope.bin"
err_one_line "missing file: one line"
printf 'HASH5\nRET\n' >"$TMP/h.vfm"
expect "inexpressible program" 2 "$C" "$TMP/h.vfm"
err_has "names the pc and op" 'h.vfm: pc 0: HASH5: has no classic BPF equivalent'
err_one_line "inexpressible: one line"
printf 'l: LD8 0\nJNZ l\nPUSH8 1\nRET\n' >"$TMP/loop.vfm"
expect "loop" 2 "$C" "$TMP/loop.vfm"
err_has "loop message" 'pc 3: JNZ: jump back to pc 0: loops cannot be expressed'
printf 'LD64 0\nRET\n' >"$TMP/ld64.vfm"
expect "64-bit load" 2 "$C" "$TMP/ld64.vfm"
err_has "LD64 message" 'pc 0: LD64: 64-bit loads'
printf 'CALL 5\nRET\n' >"$TMP/call.vfm"
expect "unknown helper" 2 "$C" "$TMP/call.vfm"
expect "--live with bytecode" 1 "$C" --live "$TMP/ip.bin"
finish
