#!/bin/bash
# tools-cli.sh - the command-line contract of vfm-asm, vfm-dis and vfm-test:
# --help/--version, usage errors (exit 1), bad input (exit 2) with one-line
# messages that name the file and the place, the bytecode produced, the
# disassembly format, and vfm-test on corrupt captures.
#
# Usage: tools-cli.sh [SHARED_PCAPS_DIR]   (tool paths from the environment, see lib.sh)
# The corrupt captures of the shared corpus are checked when the directory
# exists; equivalent corrupt files are built here either way.

. "$(dirname "$0")/lib.sh"
need_env VFM_ASM VFM_DIS VFM_TEST VFM_SOURCE_DIR VFM_VERSION
SHARED=${1:-}

five_pcap "$TMP/five.pcap" # 5 frames, 2 of them TCP to port 80

# ---- every tool: --help, --version, usage errors, unreadable input --------
for tool in "$VFM_ASM" "$VFM_DIS" "$VFM_TEST"; do
    name=$(basename "$tool")

    expect "$name --help" 0 "$tool" --help
    out_has "$name --help prints a usage line on stdout" "^[Uu]sage: *$name "
    err_empty "$name --help writes nothing on stderr"
    expect "$name -h" 0 "$tool" -h
    out_has "$name -h prints the usage too" "^[Uu]sage: *$name "

    expect "$name --version" 0 "$tool" --version
    same "$name --version output" "$(cat "$TMP/out")" "$name (vfm) $VFM_VERSION"

    expect "$name with an unknown option" 1 "$tool" --no-such-option x
    err_has "$name names the unknown option" "^$name: .*no-such-option"
    out_empty "$name writes usage errors to stderr only"

    expect "$name without arguments" 1 "$tool"
    err_has "$name says what is missing" "^$name: "

    # vfm-test needs a capture too; give it a valid one so only the filter is bad.
    extra=()
    [ "$name" = vfm-test ] && extra=("$TMP/five.pcap")
    expect "$name on a missing file" 2 "$tool" "$TMP/does-not-exist.in" "${extra[@]}"
    err_has "$name names the missing file and why" "^$name: .*does-not-exist\.in.*No such file"
    err_one_line "$name: one-line message for a missing file"

    mkdir -p "$TMP/a-directory.in"
    expect "$name on a directory" 2 "$tool" "$TMP/a-directory.in" "${extra[@]}"
    err_has "$name names the unreadable file" "^$name: .*a-directory\.in"
    err_one_line "$name: one-line message for a directory"
done

# ---- vfm-asm: bytes produced ------------------------------------------------
# The IPv4 filter of the worked example in bytecode.h, byte for byte.
cat >"$TMP/ipv4.vfm" <<'EOF'
; IPv4 filter (bytecode.h worked example)
LD16 12         ; EtherType
PUSH 0x0800
JNE drop
RET 1
drop:
RET 0
EOF
HDR="56 46 4d 42 01 00 00 00 0f 00 00 00 00 00 00 00"
CODE="02 0c 00 12 00 08 42 03 00 11 01 50 11 00 50"
expect "vfm-asm -o ipv4.bin ipv4.vfm" 0 "$VFM_ASM" -o "$TMP/ipv4.bin" "$TMP/ipv4.vfm"
out_empty "vfm-asm is quiet without -v"
same "vfm-asm output is the documented file image" "$(hexdump "$TMP/ipv4.bin")" "$HDR $CODE"
expect "vfm-asm --raw" 0 "$VFM_ASM" --raw -o "$TMP/ipv4.raw" "$TMP/ipv4.vfm"
same "vfm-asm --raw writes the code alone" "$(hexdump "$TMP/ipv4.raw")" "$CODE"
expect "vfm-asm input before -o" 0 "$VFM_ASM" "$TMP/ipv4.vfm" -o "$TMP/ipv4b.bin"
check "vfm-asm accepts -o after the input (manual order)" cmp -s "$TMP/ipv4.bin" "$TMP/ipv4b.bin"
cp "$TMP/ipv4.vfm" "$TMP/dflt.vfm"
expect "vfm-asm without -o" 0 "$VFM_ASM" "$TMP/dflt.vfm"
check "vfm-asm without -o writes INPUT.bin" cmp -s "$TMP/ipv4.bin" "$TMP/dflt.bin"
"$VFM_ASM" -o - - <"$TMP/ipv4.vfm" >"$TMP/stdio.bin" 2>"$TMP/err"
same "vfm-asm - -o - (stdin to stdout)" "$(hexdump "$TMP/stdio.bin")" "$HDR $CODE"
expect "vfm-asm -v" 0 "$VFM_ASM" -v -o "$TMP/ipv4v.bin" "$TMP/ipv4.vfm"
if [ -s "$TMP/out" ] || [ -s "$TMP/err" ]; then ok "vfm-asm -v says something"; else bad "vfm-asm -v printed nothing"; fi
check "vfm-asm -v writes the same bytes" cmp -s "$TMP/ipv4.bin" "$TMP/ipv4v.bin"

# ---- vfm-asm: assembly errors name file:line:col and leave no output ------
printf 'LD16 12\nPUSH 0x0800\n  FROB 3\nRET 1\n' >"$TMP/badop.vfm"
expect "vfm-asm: unknown mnemonic" 2 "$VFM_ASM" -o "$TMP/badop.bin" "$TMP/badop.vfm"
err_has "unknown mnemonic reported at file:3:3:" "^vfm-asm: [^ ]*badop\.vfm:3:3: .*FROB"
err_one_line "unknown mnemonic: one-line message"
check "no output file left after an assembly error" test ! -e "$TMP/badop.bin"

printf 'LD16 12\nPUSH 1\nJNE nowhere\nRET 1\n' >"$TMP/nolabel.vfm"
expect "vfm-asm: undefined label" 2 "$VFM_ASM" -o "$TMP/nolabel.bin" "$TMP/nolabel.vfm"
err_has "undefined label reported at file:3:col: and named" "^vfm-asm: [^ ]*nolabel\.vfm:3:[0-9]+: .*nowhere"

printf 'LD8 70000\nRET 1\n' >"$TMP/range.vfm"
expect "vfm-asm: offset out of range" 2 "$VFM_ASM" -o "$TMP/range.bin" "$TMP/range.vfm"
err_has "offset out of range reported at file:1:col:" "^vfm-asm: [^ ]*range\.vfm:1:[0-9]+: "

printf 'PUSH 1\nPOP\nPOP\nRET 1\n' >"$TMP/under.vfm"
expect "vfm-asm: verifier rejects stack underflow" 2 "$VFM_ASM" -o "$TMP/under.bin" "$TMP/under.vfm"
err_has "underflow reported at the line of the second POP" "^vfm-asm: [^ ]*under\.vfm:3:[0-9]+: "

printf 'OLD' >"$TMP/keep.bin"
expect "vfm-asm error with an existing output file" 2 "$VFM_ASM" -o "$TMP/keep.bin" "$TMP/badop.vfm"
same "existing output file untouched after an error" "$(cat "$TMP/keep.bin")" "OLD"

expect "vfm-asm: unwritable output" 2 "$VFM_ASM" -o "$TMP/no-such-dir/x.bin" "$TMP/ipv4.vfm"
err_has "unwritable output is named" "^vfm-asm: .*no-such-dir/x\.bin"

# A backward jump needs --allow-loops, in vfm-asm and in vfm-test.
cat >"$TMP/loop.vfm" <<'EOF'
PUSH 3          ; count down 3, 2, 1: two backward jumps taken
loop:
PUSH 1
SUB
DUP
JNZ loop
RET 1
EOF
expect "vfm-asm rejects a backward jump by default" 2 "$VFM_ASM" -o "$TMP/loop.bin" "$TMP/loop.vfm"
err_has "backward jump reported at its line" "^vfm-asm: [^ ]*loop\.vfm:6:[0-9]+: "
expect "vfm-asm --allow-loops" 0 "$VFM_ASM" --allow-loops -o "$TMP/loop.bin" "$TMP/loop.vfm"

# ---- vfm-dis ----------------------------------------------------------------
expect "vfm-dis ipv4.bin" 0 "$VFM_DIS" "$TMP/ipv4.bin"
out_has "vfm-dis shows LD16 12" "^[[:space:]]*LD16 12[[:space:]]*$"
out_has "vfm-dis shows the jump" "JNE"
expect "vfm-dis -a -x ipv4.bin" 0 "$VFM_DIS" -a -x "$TMP/ipv4.bin"
cp "$TMP/out" "$TMP/dis-ax.txt"
n=$(grep -Ec '^[0-9a-f]{4}: ' "$TMP/dis-ax.txt")
same "vfm-dis -a -x: one addressed line per instruction" "$n" "7"
check "vfm-dis -a -x: pc 0000 shows 02 0c 00 and LD16 12" grep -Eq '^0000: +02 0c 00 +LD16 12 *$' "$TMP/dis-ax.txt"
check "vfm-dis -a -x: pc 0003 shows the shortest PUSH" grep -Eq '^0003: +12 00 08 +PUSH16 (0x800|0x0800|2048) *$' "$TMP/dis-ax.txt"
check "vfm-dis -a -x: pc 0006 shows JNE with its target 12" grep -Eq '^0006: +42 03 00 +JNE .*(0x000c|\b12\b|000c)' "$TMP/dis-ax.txt"
check "vfm-dis -a -x: pc 0012 shows PUSH8 0" grep -Eq '^0012: +11 00 +PUSH8 0 *$' "$TMP/dis-ax.txt"
expect "vfm-dis raw code" 0 "$VFM_DIS" -a -x "$TMP/ipv4.raw"
check "vfm-dis gives the same listing for raw code and the file image" cmp -s "$TMP/out" "$TMP/dis-ax.txt"
expect "vfm-dis -a -x IN OUT" 0 "$VFM_DIS" -a -x "$TMP/ipv4.bin" "$TMP/dis-file.txt"
check "vfm-dis writes OUT with the same listing" cmp -s "$TMP/dis-file.txt" "$TMP/dis-ax.txt"

# -l output re-assembles to the same bytes, for every example.
for src in "$VFM_SOURCE_DIR"/examples/*.vfm "$TMP/ipv4.vfm"; do
    b=$(basename "$src" .vfm)
    if ! assemble "$src" "$TMP/rt-$b.bin"; then continue; fi
    if "$VFM_DIS" -l "$TMP/rt-$b.bin" >"$TMP/rt-$b.s" 2>"$TMP/err" &&
        "$VFM_ASM" -o "$TMP/rt-$b-2.bin" "$TMP/rt-$b.s" 2>>"$TMP/err"; then
        check "vfm-dis -l | vfm-asm round trip: $b" cmp -s "$TMP/rt-$b.bin" "$TMP/rt-$b-2.bin"
    else
        bad "vfm-dis -l | vfm-asm round trip: $b: $(tr '\n' '|' <"$TMP/err")"
    fi
done

# ---- malformed bytecode: vfm-dis and vfm-test ------------------------------
# Fixed "random" bytes (generated once): no header, first byte 0x9b is not an opcode.
hexfile "$TMP/random.bin" "9b 3e c1 07 5a e2 19 f0 88 4d 27 b6 03 de 71 aa 5c 90 0e 6f 34 c8 e5 12 bd 46 79 0a f3 8e 21 57"
hexfile "$TMP/trunc-hdr.bin" "56 46 4d 42 01 00"
hexfile "$TMP/bad-magic.bin" "56 46 4d 58 01 00 00 00 03 00 00 00 00 00 00 00 11 01 50"
hexfile "$TMP/bad-version.bin" "56 46 4d 42 07 00 00 00 03 00 00 00 00 00 00 00 11 01 50"
hexfile "$TMP/bad-length.bin" "56 46 4d 42 01 00 00 00 09 00 00 00 00 00 00 00 11 01 50"
hexfile "$TMP/bad-opcode.bin" "02 0c 00 ff 11 01 50"
hexfile "$TMP/cut-operand.bin" "11 01 50 02 0c"
hexfile "$TMP/bad-jump.bin" "40 28 00 11 01 50"
hexfile "$TMP/no-ret.bin" "11 01 11 02 20"
hexfile "$TMP/underflow.bin" "14 11 01 50"
hexfile "$TMP/empty.bin" ""

# bad_code FILE WHERE-ERE WHY-ERE: vfm-dis and vfm-test exit 2 naming the file.
bad_code() {
    local f=$1 where=$2 why=$3 b
    b=$(basename "$f")
    expect "vfm-test rejects $b" 2 "$VFM_TEST" "$f" "$TMP/five.pcap"
    err_has "vfm-test: $b named, with where and why" "^vfm-test: .*$b.*$where.*$why"
    err_one_line "vfm-test: $b: one-line message"
}
bad_dis() {
    local f=$1 where=$2 why=$3 b
    b=$(basename "$f")
    expect "vfm-dis rejects $b" 2 "$VFM_DIS" "$f"
    err_has "vfm-dis: $b named, with where and why" "^vfm-dis: .*$b.*$where.*$why"
}

bad_code "$TMP/random.bin" "pc 0" "opcode"
bad_dis "$TMP/random.bin" "pc 0" "opcode"
bad_code "$TMP/trunc-hdr.bin" "" "header"
bad_dis "$TMP/trunc-hdr.bin" "" "header"
bad_code "$TMP/bad-magic.bin" "" "magic"
bad_dis "$TMP/bad-magic.bin" "" "magic"
bad_code "$TMP/bad-version.bin" "" "version 7"
bad_code "$TMP/bad-length.bin" "" "header describes"
bad_code "$TMP/bad-opcode.bin" "pc 3" "opcode"
bad_dis "$TMP/bad-opcode.bin" "pc 3" "opcode"
bad_code "$TMP/cut-operand.bin" "pc 3" ""
bad_dis "$TMP/cut-operand.bin" "pc 3" ""
bad_code "$TMP/bad-jump.bin" "pc 0" "jump target 43 out of range"
bad_code "$TMP/no-ret.bin" "pc [0-9]+" ""
bad_code "$TMP/underflow.bin" "pc 0" ""
bad_code "$TMP/empty.bin" "" "empty"

# vfm-dis shows what decodes before the bad byte.
run "$VFM_DIS" "$TMP/bad-opcode.bin"
out_has "vfm-dis prints the instructions before a bad opcode" "LD16 12"

# ---- vfm-test: captures -----------------------------------------------------
assemble "$VFM_SOURCE_DIR/examples/tcp-port-80.vfm" "$TMP/port80.bin"
printf 'RET 1\n' >"$TMP/all.vfm"
assemble "$TMP/all.vfm" "$TMP/all.bin"

expect "vfm-test port80.bin five.pcap" 0 "$VFM_TEST" "$TMP/port80.bin" "$TMP/five.pcap"
vfm_count "$TMP/port80.bin" "$TMP/five.pcap"
same "vfm-test --count on the built capture" "$VT_COUNT" "2"
same "vfm-test --count exit code" "$VT_RC" "0"
vfm_count "$TMP/all.bin" "$TMP/five.pcap"
same "vfm-test --count: accept-all filter counts every frame" "$VT_COUNT" "5"
vfm_count "$TMP/all.bin" "$TMP/five.pcap" -n 3
same "vfm-test -n 3 --count stops after 3 frames" "$VT_COUNT" "3"
vfm_count "$TMP/port80.bin" "$TMP/five.pcap" -n 3
same "vfm-test -n 3 --count: tcp-port-80 in the first 3 frames" "$VT_COUNT" "1"
vfm_count "$VFM_SOURCE_DIR/examples/tcp-port-80.vfm" "$TMP/five.pcap"
same "vfm-test accepts the .vfm source as the filter" "$VT_COUNT" "2"

n=$("$VFM_TEST" --count "$TMP/port80.bin" - <"$TMP/five.pcap" 2>"$TMP/err")
same "vfm-test --count reads the capture from stdin ('-')" "$n" "2"

expect "vfm-test -s" 0 "$VFM_TEST" -s "$TMP/port80.bin" "$TMP/five.pcap"
out_has "vfm-test -s: the verdict line" "^5 packets, 2 accepted, 3 dropped, 0 errors$"
out_has "vfm-test -s: no errors" "^errors:? +(none|0)$"
expect "vfm-test without options" 0 "$VFM_TEST" "$TMP/port80.bin" "$TMP/five.pcap"
same "vfm-test prints the verdict line alone" "$(cat "$TMP/out")" "5 packets, 2 accepted, 3 dropped, 0 errors"

expect "vfm-test -v" 0 "$VFM_TEST" -v "$TMP/port80.bin" "$TMP/five.pcap"
n=$(grep -Ec '^[1-5]: caplen=[0-9]+ (accept|drop)' "$TMP/out")
same "vfm-test -v prints a line per packet" "$n" "5"
out_has "vfm-test -v: packet 2 (ARP, 42 bytes) dropped with 0" "^2: caplen=42 drop ret=0$"
out_has "vfm-test -v: packet 4 (TCP to 80) accepted with 1" "^4: caplen=54 accept ret=1$"

expect "vfm-test --trace" 0 "$VFM_TEST" --trace -n 1 "$TMP/port80.bin" "$TMP/five.pcap"
out_has "vfm-test --trace shows pc, instruction and stack" "^ *0017: LD16 36 +\[ \]$"
out_has "vfm-test --trace shows the loaded port on the stack" "^ *0020: PUSH8 80 +\[ (80|0x50) \]$"

# Loops: rejected by default, run under a budget with --allow-loops N.
expect "vfm-test rejects a loop by default" 2 "$VFM_TEST" "$TMP/loop.bin" "$TMP/five.pcap"
err_has "vfm-test says why the loop was rejected" "^vfm-test: .*loop\.bin.*pc [0-9]+"
vfm_count "$TMP/loop.bin" "$TMP/five.pcap" --allow-loops 5
same "vfm-test --allow-loops 5: loop program accepts all" "$VT_COUNT" "5"
vfm_count "$TMP/loop.bin" "$TMP/five.pcap" --allow-loops 1
same "vfm-test --allow-loops 1: budget exhausted, none accepted" "$VT_COUNT" "0"
expect "vfm-test -s --allow-loops 1" 0 "$VFM_TEST" -s --allow-loops 1 "$TMP/loop.bin" "$TMP/five.pcap"
out_has "loop budget exhausted: 5 errors" "^5 packets, 0 accepted, 0 dropped, 5 errors$"
out_has "loop budget exhausted: errors by kind" "LIMIT:? +5$"
# A filter error on one packet: LD8 100 is past every frame of five.pcap.
printf 'LD8 100\nRET\n' >"$TMP/far.vfm"
expect "vfm-test -s with out-of-bounds loads" 0 "$VFM_TEST" -s "$TMP/far.vfm" "$TMP/five.pcap"
out_has "out-of-bounds loads are errors, not accepts" "^5 packets, 0 accepted, 0 dropped, 5 errors$"
out_has "out-of-bounds loads: errors by kind" "BOUNDS:? +5$"
# --jit: the same verdicts from native code; where there is no JIT, one line
# on stderr says why and the interpreter runs.
expect "vfm-test --help mentions --jit" 0 "$VFM_TEST" --help
out_has "vfm-test --help lists --jit" "^ +--jit +"
expect "vfm-test --jit -s" 0 "$VFM_TEST" --jit -s "$TMP/port80.bin" "$TMP/five.pcap"
out_has "vfm-test --jit: the same verdicts" "^5 packets, 2 accepted, 3 dropped, 0 errors$"
if grep -q "JIT not used" "$TMP/err"; then
    err_has "vfm-test --jit without a JIT: one line saying why" "^vfm-test: JIT not used: .+"
    out_has "vfm-test --jit without a JIT: the interpreter ran" "^engine: interpreter$"
else
    err_empty "vfm-test --jit writes nothing on stderr"
    out_has "vfm-test --jit -s: the engine line names the native code" "^engine: (x86-64|arm64): [0-9]+ bytes of native code$"
fi
if [ "$(uname -m)" = x86_64 ]; then
    out_has "vfm-test --jit on x86-64 runs native code" "^engine: x86-64: "
fi
expect "vfm-test -s (no --jit) names the interpreter" 0 "$VFM_TEST" -s "$TMP/port80.bin" "$TMP/five.pcap"
out_has "vfm-test -s: engine is the interpreter" "^engine: interpreter$"
vfm_count "$TMP/loop.bin" "$TMP/five.pcap" --allow-loops 1 --jit
same "vfm-test --jit --allow-loops 1: the budget runs out as in the interpreter" "$VT_COUNT" "0"
vfm_count "$TMP/loop.bin" "$TMP/five.pcap" --allow-loops 5 --jit
same "vfm-test --jit --allow-loops 5: loop program accepts all" "$VT_COUNT" "5"
expect "vfm-test --jit -s with out-of-bounds loads" 0 "$VFM_TEST" --jit -s "$TMP/far.vfm" "$TMP/five.pcap"
out_has "vfm-test --jit: out-of-bounds loads are BOUNDS errors" "BOUNDS:? +5$"
expect "vfm-test --jit --trace (traces the interpreter)" 0 "$VFM_TEST" --jit --trace -n 1 "$TMP/port80.bin" "$TMP/five.pcap"
out_has "vfm-test --jit --trace still single-steps" "^ *0017: LD16 36 +\[ \]$"
expect "vfm-test --jit=yes (takes no value)" 1 "$VFM_TEST" --jit=yes "$TMP/port80.bin" "$TMP/five.pcap"
expect "vfm-test --allow-loops without a number" 1 "$VFM_TEST" --allow-loops "$TMP/loop.bin" "$TMP/five.pcap"
expect "vfm-test --flow-size garbage" 1 "$VFM_TEST" --flow-size abc "$TMP/port80.bin" "$TMP/five.pcap"
expect "vfm-test -n -1" 1 "$VFM_TEST" -n -1 "$TMP/port80.bin" "$TMP/five.pcap"
expect "vfm-test with only a filter" 1 "$VFM_TEST" "$TMP/port80.bin"
expect "vfm-test with a missing capture" 2 "$VFM_TEST" "$TMP/port80.bin" "$TMP/no-such.pcap"
err_has "vfm-test names the missing capture" "^vfm-test: .*no-such\.pcap.*No such file"
err_one_line "vfm-test: one-line message for a missing capture"

# Corrupt captures: libpcap's reason, the file named, exit 2.
hexfile "$TMP/v25.pcap" "d4 c3 b2 a1 02 00 05 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00 $(pcap_record "$(frame_arp)")"
expect "vfm-test on a pcap with version 2.5" 2 "$VFM_TEST" "$TMP/port80.bin" "$TMP/v25.pcap"
err_has "version 2.5: libpcap's reason and the file" "^vfm-test: .*v25\.pcap.*unsupported pcap savefile version 2\.5"
err_one_line "version 2.5: one-line message"

hexfile "$TMP/notpcap.pcap" "68 65 6c 6c 6f 20 77 6f 72 6c 64 0a 00 00 00 00 00 00 00 00 00 00 00 00"
expect "vfm-test on a file that is not a capture" 2 "$VFM_TEST" "$TMP/port80.bin" "$TMP/notpcap.pcap"
err_has "not a capture: libpcap's reason and the file" "^vfm-test: .*notpcap\.pcap.*unknown file format"

# Cut the last record of five.pcap in half: 4 whole frames survive.
size=$(stat -c %s "$TMP/five.pcap")
head -c $((size - 27)) "$TMP/five.pcap" >"$TMP/cut.pcap"
vfm_count "$TMP/port80.bin" "$TMP/cut.pcap"
same "cut capture: tcp-port-80 count of the 4 whole frames" "$VT_COUNT" "2"
same "cut capture: vfm-test --count exits 2" "$VT_RC" "2"
check "cut capture: libpcap's reason on stderr" grep -Eq "^vfm-test: .*cut\.pcap.*truncated" "$TMP/vt.err"
vfm_count "$TMP/all.bin" "$TMP/cut.pcap"
same "cut capture: accept-all counts the 4 whole frames" "$VT_COUNT" "4"
expect "cut capture: vfm-test -s" 2 "$VFM_TEST" -s "$TMP/all.bin" "$TMP/cut.pcap"
out_has "cut capture: -s still reports the 4 packets read" "^4 packets, 4 accepted, 0 dropped, 0 errors$"

if [ -n "$SHARED" ] && [ -d "$SHARED" ]; then
    f=$SHARED/corrupt-libpcap-invalid-version-2.pcap
    expect "vfm-test on $(basename "$f")" 2 "$VFM_TEST" "$TMP/all.bin" "$f"
    err_has "$(basename "$f"): libpcap's reason and the file" \
        "^vfm-test: .*corrupt-libpcap-invalid-version-2\.pcap.*unsupported pcap savefile version 2\.5"
    f=$SHARED/corrupt-truncated-mid-record.pcap
    vfm_count "$TMP/all.bin" "$f"
    same "$(basename "$f"): the 100 packets before the cut are counted" "$VT_COUNT" "100"
    same "$(basename "$f"): exit code" "$VT_RC" "2"
    check "$(basename "$f"): libpcap's reason on stderr" \
        grep -Eq "^vfm-test: .*corrupt-truncated-mid-record\.pcap.*truncated dump file" "$TMP/vt.err"
    expect "$(basename "$f"): vfm-test -s" 2 "$VFM_TEST" -s "$TMP/all.bin" "$f"
    out_has "$(basename "$f"): -s reports the 100 packets" "^100 packets, 100 accepted, 0 dropped, 0 errors$"
else
    echo "note: no shared corpus given; corrupt-* captures of the corpus not checked"
fi

finish
