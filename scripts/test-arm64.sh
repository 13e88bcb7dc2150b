#!/usr/bin/env bash
# The ARM64 suite: cross-build for AArch64 (cmake/toolchain-aarch64-linux-gnu.cmake)
# in build-arm64/ and run ctest there, every test binary under qemu-aarch64.
# What runs: libvfm with the arm64 JIT, the case runner on every backend
# (interp, trace, jit), the differential test (JIT vs interpreter), the CUnit
# programs (with libcunit1-dev:arm64), the capture generator.  Not here: what
# needs the target's libpcap or runs host tools (tcpdump/tshark comparisons,
# bench, script tests); the release and sanitizer suites cover those.
#
# Usage: scripts/test-arm64.sh [BUILD_DIR]      (default build-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
dir=${1:-build-arm64}
jobs=$(nproc)
emu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)

echo "==== arm64 cross build ($dir)"
cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$dir" -j "$jobs"

# The differential test exits 77 (ctest: skipped, not failed) when the
# machine has no JIT; here that would hide a JIT that never ran.
echo "==== the arm64 JIT is active under qemu"
if ! "${emu[@]}" "$dir/tests/diff/vfm-diff" --pairs 2000 --seed 11; then
  echo "test-arm64: the JIT did not run (or disagreed) on the AArch64 build" >&2
  exit 1
fi

# Native code past 1 MiB: B.cond/CBZ (+-1 MiB) can no longer reach the
# error stubs or across a block, so the JIT must emit far branches.  HASH5;
# POP at depth 11 costs some 80 bytes of arm64 code (spill, call, reload) for
# 2 bytes of bytecode, so a 16000-pair block is about 1.3 MiB and still
# within reach of a 16-bit VFM jump.  Generated here, run on every backend.
echo "==== far branches (over 1 MiB of native code)"
far=$dir/far-branches.case
block() { for ((i = 0; i < 16000; i++)); do printf '        HASH5\n        POP\n'; done; }
{
  printf '%s\n' \
    '-- desc' \
    'far branches: 2 x 16000 (HASH5; POP) at depth 11, about 2.6 MiB of arm64 code' \
    '-- options' \
    'loops 5' \
    '-- asm' \
    '        LD8 0           ; n (BOUNDS on an empty packet: a far stub)' \
    'loop:   PUSH 1' \
    '        SUB' \
    '        DUP' \
    '        JNZ loop        ; n-1 backward jumps: LIMIT (a far stub) when n > 6' \
    '        POP'
  for v in 1 2 3 4 5 6 7 8 9 10; do printf '        PUSH %s\n' "$v"; done
  printf '%s\n' \
    '        LD8 1' \
    '        JNZ skip        ; forward across the first block'
  block
  printf '%s\n' '        RET 7' 'skip:'
  block
  printf '%s\n' \
    '        LD8 2' \
    '        RET' \
    '-- packet' '' \
    '-- packet' '09' \
    '-- packet' '03' \
    '-- packet' '03 00' \
    '-- packet' '03 01' \
    '-- packet' '03 01 2a' \
    '-- result' \
    VFM_ERROR_BOUNDS VFM_ERROR_LIMIT VFM_ERROR_BOUNDS 7 VFM_ERROR_BOUNDS 42
} >"$far"
"${emu[@]}" "$dir/tests/vfm-case" --backend all "$far"

# Script tests (label "scripts") run host programs (bash, cc, tcpdump) on the
# build's binaries, which only qemu can run: they stay with the native suites.
echo "==== arm64 ctest (under qemu-aarch64)"
(cd "$dir" && ctest --output-on-failure -j "$jobs" -LE scripts)
echo "==== arm64 suite passed"
