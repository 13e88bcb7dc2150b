# corpus.sh - sourced by the tcpdump equivalence scripts: parse
# "[--skip-if-missing] DIR" into $DIR, and make sure tcpdump, the reference,
# is there.  A missing optional corpus exits 77 (ctest SKIP_RETURN_CODE).
corpus_args() {
    local optional=0
    if [ "${1:-}" = --skip-if-missing ]; then
        optional=1
        shift
    fi
    DIR=${1:?usage: $(basename "$0") [--skip-if-missing] DIR}
    if [ ! -d "$DIR" ]; then
        if [ "$optional" -eq 1 ]; then
            echo "SKIP: no shared corpus at $DIR"
            exit 77
        fi
        echo "FAIL: no capture directory $DIR"
        exit 1
    fi
    if ! command -v tcpdump >/dev/null 2>&1; then
        echo "FAIL: tcpdump is not installed (apt-get install tcpdump); it is the reference here"
        exit 1
    fi
}
