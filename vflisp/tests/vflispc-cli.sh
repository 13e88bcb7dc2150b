#!/bin/bash
# vflispc-cli.sh - the command-line contract of vflispc: --help/--version,
# usage errors (exit 1), compile errors (exit 2, located, with the source
# line and a caret), the bytecode it writes, -S/-d listings, -t on captures,
# --linktype, and the issue's acceptance check against tcpdump.
#
# Usage: vflispc-cli.sh [SHARED_PCAPS_DIR]
# Environment: VFLISPC, VFM_TEST, VFM_SOURCE_DIR, VFM_VERSION.

. "$VFM_SOURCE_DIR/tests/scripts/lib.sh"
need_env VFLISPC VFM_TEST VFM_SOURCE_DIR VFM_VERSION
SHARED=${1:-}
V=$VFLISPC

five_pcap "$TMP/five.pcap" # 5 frames, 2 of them TCP to port 80

# ---- conventions -----------------------------------------------------------------
expect "vflispc --help" 0 "$V" --help
out_has "--help prints the usage on stdout" "^Usage: vflispc "
err_empty "--help writes nothing on stderr"
expect "vflispc -h" 0 "$V" -h
expect "vflispc --version" 0 "$V" --version
same "--version output" "$(cat "$TMP/out")" "vflispc (vfm) $VFM_VERSION"
expect "unknown option" 1 "$V" --no-such-option
err_has "names the unknown option" "^vflispc: .*no-such-option"
expect "no arguments" 1 "$V"
err_has "says what is missing" "^vflispc: no filter given"
expect "-e and a file" 1 "$V" -e '(= proto 6)' extra.vfl
expect "-d with -e" 1 "$V" -d x.bin -e '(= proto 6)'
expect "-o without its argument" 1 "$V" -e '(= proto 6)' -o
expect "unknown link type" 1 "$V" --linktype NOPE -e '(= proto 6)'
err_has "names the link type" "NOPE"
expect "unsupported link type" 1 "$V" --linktype 147 -e '(= proto 6)'
err_has "says it is not supported" "not supported"

# ---- compiling -------------------------------------------------------------------------
expect "-e EXPR -o FILE" 0 "$V" -e '(and (= proto 6) (= dst-port 80))' -o "$TMP/p80.bin"
out_empty "quiet with -o and no -S"
same "the output is a bytecode file image" "$(hexdump "$TMP/p80.bin" | cut -c1-11)" "56 46 4d 42"
vfm_count "$TMP/p80.bin" "$TMP/five.pcap"
same "vfm-test runs it: TCP to port 80" "$VT_COUNT" 2

cat >"$TMP/web.vfl" <<'VFL'
; web traffic, with a definition
(define (to p) (= dst-port p))

(and (= proto tcp)        ; IPv4 TCP
     (or (to 80) (to 443)))
VFL
expect "FILE -o FILE" 0 "$V" "$TMP/web.vfl" -o "$TMP/web.bin"
vfm_count "$TMP/web.bin" "$TMP/five.pcap"
same "the file's filter: TCP to 80 or 443" "$VT_COUNT" 3
"$V" -o "$TMP/stdin.bin" - <"$TMP/web.vfl" 2>"$TMP/err"
same "stdin as FILE: exit status" "$?" 0
check "stdin gives the same bytecode" cmp -s "$TMP/web.bin" "$TMP/stdin.bin"

expect "-S prints the assembly" 0 "$V" -S -e '(= proto 6)'
out_has "listing loads the protocol byte" "LD8 23"
expect "no -o: the assembly is printed" 0 "$V" -e '(= proto 6)'
out_has "listing ends in RET" "RET"
expect "constants fold" 0 "$V" -e '(+ 1 2 3)'
same "(+ 1 2 3) is PUSH8 6; RET" "$(tr -s ' \n' ' ' <"$TMP/out" | sed 's/^ //; s/ $//')" "PUSH8 6 RET"

# ---- errors -------------------------------------------------------------------------------
expect "unknown field" 2 "$V" -e '(= dst-prot 80)'
same "message, source line, caret" "$(cat "$TMP/err")" "vflispc: <expr>:1:4: unknown name 'dst-prot' (did you mean 'dst-port'?)
(= dst-prot 80)
   ^"
out_empty "nothing on stdout after an error"
expect "wrong arity" 2 "$V" -e '(not (= proto 6) 1)'
err_has "arity message" "^vflispc: <expr>:1:18: 'not' takes 1 argument, got 2"
expect "type error" 2 "$V" -e '(+ (= proto 6) 1)'
err_has "type message" "argument 1 of '\+' must be a number, not a truth value"
expect "syntax error" 2 "$V" -e '(= proto 6'
err_has "unclosed paren" "<expr>:1:1: unclosed '\('"
printf '(and (= proto 6)\n     (= dst-port 8o))\n' >"$TMP/bad.vfl"
expect "error in a file" 2 "$V" "$TMP/bad.vfl"
err_has "names the file, line and column" "^vflispc: .*bad\.vfl:2:18: malformed number '8o'"
err_has "shows the second line" "^     \(= dst-port 8o\)\)$"
expect "missing file" 2 "$V" "$TMP/nope.vfl"
err_has "names the missing file" "^vflispc: .*nope\.vfl: No such file"
err_one_line "one line for a missing file"
expect "no output written on error" 2 "$V" -e '(= x 1)' -o "$TMP/never.bin"
check "the output file does not exist" test ! -e "$TMP/never.bin"

# ---- -d ---------------------------------------------------------------------------------------
expect "-d BYTECODE" 0 "$V" -d "$TMP/p80.bin"
out_has "-d shows the indexed port load" "LDX16 16"
printf 'junk' >"$TMP/junk.bin"
expect "-d on junk" 2 "$V" -d "$TMP/junk.bin"
expect "-d on a missing file" 2 "$V" -d "$TMP/nope.bin"

# ---- -t ---------------------------------------------------------------------------------------
expect "-t BYTECODE CAPTURE" 0 "$V" -t "$TMP/p80.bin" "$TMP/five.pcap"
same "verdict counts" "$(cat "$TMP/out")" "5 packets, 2 accepted, 3 dropped, 0 errors"
expect "-t FILE.vfl CAPTURE" 0 "$V" -t "$TMP/web.vfl" "$TMP/five.pcap"
same "verdict counts from source" "$(cat "$TMP/out")" "5 packets, 3 accepted, 2 dropped, 0 errors"
expect "-t BYTECODE (bundled capture)" 0 "$V" -t "$TMP/p80.bin"
out_has "the bundled mix.pcap has 2000 packets" "^2000 packets, "
expect "-t --jit" 0 "$V" -t "$TMP/p80.bin" "$TMP/five.pcap" --jit
same "verdict counts with --jit" "$(cat "$TMP/out")" "5 packets, 2 accepted, 3 dropped, 0 errors"
if [ "$(uname -m)" = x86_64 ]; then
    err_empty "-t --jit on x86-64: native code, nothing on stderr"
else
    [ -s "$TMP/err" ] && err_has "-t --jit without a JIT says why" "^vflispc: JIT not used: "
fi
expect "-t FILE.vfl --jit" 0 "$V" --jit -t "$TMP/web.vfl" "$TMP/five.pcap"
same "verdict counts from source with --jit" "$(cat "$TMP/out")" "5 packets, 3 accepted, 2 dropped, 0 errors"
expect "--jit without -t" 1 "$V" --jit -e '(= proto 6)'
err_has "--jit without -t: says it needs -t" "--jit only applies to -t"
expect "--help lists --jit" 0 "$V" --help
out_has "--help: the --jit line" "^ +--jit +"
printf 'not a pcap' >"$TMP/bad.pcap"
expect "-t on a corrupt capture" 2 "$V" -t "$TMP/p80.bin" "$TMP/bad.pcap"
err_has "names the capture" "bad\.pcap"

# ---- link types ----------------------------------------------------------------------------
expect "--linktype RAW" 0 "$V" --linktype RAW -e '(= proto 6)'
out_has "raw IP: the version nibble is tested" "LD8 0"
expect "--linktype 276 (number)" 0 "$V" --linktype 276 -e '(= proto 6)'
out_has "SLL2: the protocol is at offset 0" "LD16 0"
expect "--linktype IPV4" 0 "$V" --linktype IPV4 -e '(= proto 6)'
out_has "raw IPv4: no link test, protocol at 9" "LD8 9"

# ---- the issue's acceptance check ------------------------------------------------------------
# vflispc -e '(and (= proto 6) (= dst-port 80))' -o f.bin && vfm-test --count f.bin X
# equals tcpdump -r X -w - 'ip and tcp dst port 80' | tcpdump -r - | wc -l,
# on every Ethernet capture (other link types: compile with --linktype).
"$V" -e '(and (= proto 6) (= dst-port 80))' -o "$TMP/f.bin"
for cap in "$VFM_SOURCE_DIR"/pcaps/*.pcap ${SHARED:+"$SHARED"/*.pcap "$SHARED"/*.pcapng}; do
    [ -f "$cap" ] || continue
    lt=$(tcpdump -nr "$cap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Za-z0-9_]*\) .*/\1/p')
    [ "$lt" = EN10MB ] || continue
    want=$(tcpdump -r "$cap" -w - 'ip and tcp dst port 80' 2>/dev/null | tcpdump -r - 2>/dev/null | wc -l)
    vfm_count "$TMP/f.bin" "$cap"
    same "acceptance: $(basename "$cap")" "$VT_COUNT" "$want"
done

finish
