#!/bin/sh
# callgrind.sh BENCH [REPS] [vfm-bench input options...]
#
# Instructions per packet for every filter and backend, counted by callgrind:
# the inclusive instruction count of the backend's timed loop (run_vfm,
# run_jit, run_vfl, run_vfl_jit, run_vfm_batch, run_jit_batch, run_bpf,
# run_c in bench.c) divided by REPS x packets.  The untimed correctness pass
# is not inside those functions, so it is not counted.  JIT code runs from an
# anonymous mapping; callgrind counts it (as "???") inside the inclusive cost
# of run_jit (run_jit_batch: through vfm_run_batch).  The JIT's
# compilations happen outside the timed loops, so they are not counted either.
# A backend that did not run (no JIT on this machine) shows "-".
#   bench/callgrind.sh build/bench/vfm-bench 10
#   bench/callgrind.sh build/bench/vfm-bench 5 --synth 20000
set -eu
bench=${1:?usage: callgrind.sh BENCH [REPS] [-r FILE | --synth N]}
reps=${2:-10}
[ $# -ge 2 ] && shift 2 || shift $#
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

filters=$("$bench" --help | sed -n 's/.*--filter NAME  run one filter: //p')
printf '%-12s %-16s %12s\n' filter backend "instr/pkt"
for f in $filters; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
        "$bench" --reps "$reps" --filter "$f" "$@" >"$tmp/out.txt" 2>"$tmp/vg.txt" \
        || { cat "$tmp/out.txt" "$tmp/vg.txt" >&2; exit 1; }
    n=$(sed -n 's/^packets: \([0-9]*\) .*/\1/p' "$tmp/out.txt")
    callgrind_annotate --inclusive=yes "$tmp/cg.out" >"$tmp/ann.txt" 2>/dev/null
    for b in vfm:vfm-interp jit:vfm-jit vfl:vfl-interp vfl_jit:vfl-jit \
             vfm_batch:vfm-interp-batch jit_batch:vfm-jit-batch bpf:bpf_filter c:c-handwritten; do
        fn=${b%%:*}
        ir=$(grep -E "bench\.c:run_${fn} \[" "$tmp/ann.txt" | head -n 1 | awk '{gsub(",", "", $1); print $1}')
        awk -v f="$f" -v b="${b#*:}" -v ir="${ir:-}" -v n="$n" -v r="$reps" \
            'BEGIN { if (ir == "") printf "%-12s %-16s %12s\n", f, b, "-";
                     else printf "%-12s %-16s %12.1f\n", f, b, ir / (n * r) }'
    done
done
