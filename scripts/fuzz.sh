#!/usr/bin/env bash
# fuzz.sh - the fuzzing campaign (docs/fuzzing.md): build the libFuzzer
# targets with clang in build-fuzz-ci/ and run each for SECONDS, starting
# from the committed seeds (fuzz/corpus/<target>, fuzz/regressions/<target>)
# and a scratch corpus kept between runs (build-fuzz-ci/corpus/<target>).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    (default 60, all targets)
#
# Targets run side by side, one libFuzzer process each, FUZZ_JOBS at a time
# (default: the number of cores), so the wall time is about
# ceil(targets / FUZZ_JOBS) * SECONDS plus the build.  Each run has a
# per-input -timeout, an -rss_limit_mb, and a -dict generated from the
# tables where it helps (assembler mnemonics, VFLisp forms and fields).
# A crash, leak, timeout or violated property: the reproducer is copied to
# build-fuzz-ci/crashes/, its path and replay commands are printed, and the
# script exits 1.  At the end a table: target, runs, exec/s, cov, ft,
# corpus size, result.  Needs clang with libFuzzer (Debian: clang,
# libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
case $secs in '' | *[!0-9]*) echo "fuzz.sh: SECONDS '$secs' is not a number" >&2; exit 1 ;; esac
build=${FUZZ_BUILD_DIR:-build-fuzz-ci}
jobs=${FUZZ_JOBS:-$(nproc)}
all=(fuzz_load fuzz_jit fuzz_asm fuzz_dis fuzz_bytecode fuzz_hash5 fuzz_cbpf fuzz_shim fuzz_vflisp fuzz_ndpi)
targets=("${@:-${all[@]}}")
for t in "${targets[@]}"; do
    case " ${all[*]} " in *" $t "*) ;; *) echo "fuzz.sh: '$t' is not a target (${all[*]})" >&2; exit 1 ;; esac
done
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

echo "==== fuzz: building ${targets[*]} with $cc in $build"
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DVFM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVFM_BUILD_BENCH=OFF >"$build/configure.log" 2>&1 || { tail -40 "$build/configure.log"; exit 2; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}" vfm-fuzz-dict >"$build/build.log" 2>&1 ||
    { tail -40 "$build/build.log"; echo "fuzz.sh: build failed (log: $build/build.log)" >&2; exit 2; }

mkdir -p "$build/dict" "$build/crashes" "$build/logs"
"$build/fuzz/vfm-fuzz-dict" asm >"$build/dict/asm.dict"
"$build/fuzz/vfm-fuzz-dict" vflisp >"$build/dict/vflisp.dict"

binary() { # target -> path of its libFuzzer binary
    if [ "$1" = fuzz_vflisp ]; then echo "$build/vflisp/fuzz/$1"; else echo "$build/fuzz/$1"; fi
}
dict_for() {
    case $1 in
    fuzz_asm) echo "-dict=$build/dict/asm.dict" ;;
    fuzz_vflisp | fuzz_shim) echo "-dict=$build/dict/vflisp.dict" ;;
    esac
}

run_one() { # target
    local t=$1 log=$build/logs/$1.log rc=0
    mkdir -p "$build/corpus/$t"
    # The scratch corpus comes first: libFuzzer adds new inputs only to the first directory.
    # shellcheck disable=SC2046
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$(binary "$t")" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/crashes/$t-" $(dict_for "$t") \
        "$build/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$log" 2>&1 || rc=$?
    echo "$rc" >"$build/logs/$t.rc"
}

echo "==== fuzz: ${#targets[@]} targets x ${secs}s, $jobs at a time (logs: $build/logs/)"
running=0
for t in "${targets[@]}"; do
    rm -f "$build/logs/$t.rc"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=0
printf '\n%-14s %12s %8s %7s %8s %7s  %s\n' target runs exec/s cov ft corpus result
for t in "${targets[@]}"; do
    log=$build/logs/$t.log
    rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 99)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(find "$build/corpus/$t" -type f | wc -l)
    result=ok
    if [ "$rc" != 0 ]; then
        failed=1
        crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        result="FAIL (exit $rc)"
        echo >&2
        echo "fuzz.sh: $t failed (exit $rc); the end of $log:" >&2
        grep -E 'ERROR|property violated|SUMMARY|Timeout|leak' "$log" | head -5 >&2 || true
        if [ -n "$crash" ] && [ -f "$crash" ]; then
            echo "  reproducer: $crash" >&2
            echo "  replay:     $(binary "$t") $crash" >&2
            echo "  (gcc build: build/fuzz/$t-replay $crash ; keep it: cp $crash fuzz/regressions/$t/)" >&2
        fi
    fi
    printf '%-14s %12s %8s %7s %8s %7s  %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" \
        "${ft:-?}" "$corp" "$result"
done
if [ "$failed" != 0 ]; then
    echo "fuzz.sh: FAILED: reproducers in $build/crashes/" >&2
    exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${secs}s without a finding"
