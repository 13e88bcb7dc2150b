#!/bin/bash
# corpus-agreement.sh [--skip-if-missing] DIR - every VFLisp pair, compiled for
# each capture's link type and translated to classic BPF, accepts in
# bpf_filter exactly the packets the VFM interpreter accepts, on every capture
# in DIR (the shared corpus; exit 77 = skip when it is absent).
# Environment: CBPF_CHECK, VFM_SOURCE_DIR.
set -u
. "$VFM_SOURCE_DIR/tests/scripts/corpus.sh"
corpus_args "$@"
shopt -s nullglob
caps=("$DIR"/*.pcap "$DIR"/*.pcapng)
if [ ${#caps[@]} -eq 0 ]; then
    echo "FAIL: no captures in $DIR"
    exit 1
fi
exec "$CBPF_CHECK" pairs "$VFM_SOURCE_DIR/vflisp/tests/equivalence.pairs" "${caps[@]}"
