#!/usr/bin/env bash
# make-corpus.sh - regenerate the committed seed corpora (fuzz/corpus/<target>/)
# from the project's own test data:
#   tests/cases/**.case          -> fuzz_load, fuzz_cbpf, fuzz_dis, fuzz_bytecode,
#                                   fuzz_asm, fuzz_hash5 (via vfm-fuzz-seeds), fuzz_jit seeds
#   examples/*.vfm               -> fuzz_asm, and assembled: fuzz_load, fuzz_dis, fuzz_cbpf
#   vflisp/tests/equivalence.pairs (vfl: and tcpdump: lines)
#                                -> fuzz_vflisp, fuzz_shim
#   the fuzz_hash5 seeds          -> fuzz_ndpi (one packet each, and runs of 8)
#   fuzz/seeds-extra/<target>/   -> copied as they are (hand-written seeds)
# Usage: fuzz/make-corpus.sh [BUILD_DIR]   (default build-fuzzcamp-release; it
# must have vfm-fuzz-seeds and vfm-asm built).  Replaces fuzz/corpus/ whole.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzzcamp-release}
seeds=$build/fuzz/vfm-fuzz-seeds
asm=$build/tools/vfm-asm
for t in "$seeds" "$asm"; do
    [ -x "$t" ] || { echo "make-corpus: $t: not built (cmake --build $build)" >&2; exit 2; }
done
out=fuzz/corpus
targets=(fuzz_load fuzz_asm fuzz_dis fuzz_bytecode fuzz_hash5 fuzz_jit fuzz_cbpf fuzz_shim fuzz_vflisp fuzz_ndpi)
rm -rf "$out"
for t in "${targets[@]}"; do mkdir -p "$out/$t"; done

"$seeds" tests/cases "$out"

# A byte as a file byte (printf's \ooo octal escape).
byte() { printf "\\$(printf '%03o' "$1")"; }

# Examples: the text for the assembler, the bytecode for the rest.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in examples/*.vfm; do
    name=example-$(basename "$f" .vfm)
    { byte 2; cat "$f"; } >"$out/fuzz_asm/$name" # bit 1: loops allowed
    "$asm" --allow-loops --raw "$f" -o "$tmp/code" 2>/dev/null || continue
    n=$(stat -c %s "$tmp/code")
    lo=$((n & 255)) hi=$((n >> 8))
    # fuzz_load: loops allowed (limit 64), Ethernet; no packet (prefixes of nothing).
    { byte 15; byte $lo; byte $hi; cat "$tmp/code"; } >"$out/fuzz_load/$name"
    { byte 0; byte $lo; byte $hi; cat "$tmp/code"; } >"$out/fuzz_cbpf/$name"
    cp "$tmp/code" "$out/fuzz_dis/$name"
done

# VFLisp filters and tcpdump expressions from the equivalence pairs.
i=0
while IFS= read -r line; do
    case $line in
    vfl:*)
        i=$((i + 1))
        src=${line#vfl: }
        { byte 0; printf '%s' "$src"; } >"$out/fuzz_vflisp/pair-$i"
        { byte 3; printf '%s' "$src"; } >"$out/fuzz_vflisp/pair-$i-raw" # index 3: raw IP (12)
        { byte 0; printf '%s' "$src"; } >"$out/fuzz_shim/pair-$i-auto"
        { byte 0; printf 'vfl:%s' "$src"; } >"$out/fuzz_shim/pair-$i-prefix"
        { byte 17; printf '%s' "$src"; } >"$out/fuzz_shim/pair-$i-sll-vflisp" # mode vflisp, LINUX_SLL
        ;;
    tcpdump:*)
        { byte 0; printf '%s' "${line#tcpdump: }"; } >"$out/fuzz_shim/pair-$i-tcpdump"
        ;;
    esac
done <vflisp/tests/equivalence.pairs

# fuzz_ndpi: the same packets (same link-type byte), each behind a 2-byte
# length; also runs of 8 packets of one link type, so seeds hold flows.
ndpi_packet() { # hash5 seed file: the 2-byte length and the packet
    local n=$(($(stat -c %s "$1") - 1))
    byte $((n >> 8))
    byte $((n & 255))
    tail -c +2 "$1"
}
for f in "$out"/fuzz_hash5/*; do
    { head -c 1 "$f"; ndpi_packet "$f"; } >"$out/fuzz_ndpi/$(basename "$f")"
done
run=0
for lt in $(for f in "$out"/fuzz_hash5/*; do od -An -tu1 -N1 "$f"; done | sort -un); do
    files=()
    for f in "$out"/fuzz_hash5/*; do
        [ "$(od -An -tu1 -N1 "$f" | tr -d ' ')" = "$lt" ] && files+=("$f")
    done
    for ((k = 0; k + 8 <= ${#files[@]}; k += 8)); do
        run=$((run + 1))
        { byte "$lt"; for f in "${files[@]:k:8}"; do ndpi_packet "$f"; done; } >"$out/fuzz_ndpi/run-$run"
    done
done

if [ -d fuzz/seeds-extra ]; then
    for d in fuzz/seeds-extra/*/; do
        cp "$d"* "$out/$(basename "$d")/"
    done
fi

# Identical inputs replay the same path: keep the first of each.
for t in "${targets[@]}"; do
    (cd "$out/$t" && md5sum -- * | sort | awk 'seen[$1]++ { print $2 }' | xargs -r rm --)
done

for t in "${targets[@]}"; do
    printf '%-14s %4d files %6d bytes\n' "$t" "$(ls "$out/$t" | wc -l)" "$(cat "$out/$t"/* | wc -c)"
done
echo "total: $(du -sk "$out" | cut -f1) KiB on disk, $(cat "$out"/*/* | wc -c) bytes"
