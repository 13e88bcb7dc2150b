#!/usr/bin/env bash
# README command 2: install dependencies, then build and run the whole test
# suite three times: an optimised build, an ASan+UBSan build, and an ARM64
# cross build whose tests run under qemu-aarch64; between them a short
# libFuzzer campaign over every fuzz target (VFM_FUZZ_SECONDS each, default
# 40; docs/fuzzing.md); then build the Debian and RPM packages and test them
# as installed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)

run_suite() { # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  echo "==== $name build ($dir)"
  cmake -S . -B "$dir" "$@"
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run_suite release build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitizer build-asan -DCMAKE_BUILD_TYPE=Debug -DVFM_SANITIZE=ON -DVFM_BUILD_BENCH=OFF
echo "==== fuzzing campaign (libFuzzer, ${VFM_FUZZ_SECONDS:-40}s per target)"
bash scripts/fuzz.sh "${VFM_FUZZ_SECONDS:-40}"
echo "==== arm64 build (cross, tests under qemu-aarch64)"
bash scripts/test-arm64.sh
echo "==== packages: Debian (build, lintian, install, DEP-8 tests, purge)"
bash packaging/test-deb.sh
echo "==== packages: RPM (build, payload, run from the unpacked packages)"
bash packaging/test-rpm.sh
echo "==== all suites passed"
