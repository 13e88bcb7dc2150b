# pairs.sh - read the VFLisp/tcpdump equivalence pairs (vflisp/tests/equivalence.pairs),
# shared by every suite that checks a backend against them.  Source it, then:
#   read_pairs FILE || bad "..."
# fills NAMES, VFLS, EXPRS (the tcpdump side) and ONLY (link-type limits, "" for
# none), index-aligned.  Fails, printing why, when the file has fewer than 40.
read_pairs() { # FILE
    NAMES=() VFLS=() EXPRS=() ONLY=()
    local line name="" vfl="" only=""
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        name:*) name=${line#name: } only="" ;;
        only:*) only=${line#only: } ;;
        vfl:*) vfl=${line#vfl: } ;;
        tcpdump:*)
            NAMES+=("$name") VFLS+=("$vfl") EXPRS+=("${line#tcpdump: }") ONLY+=("$only")
            ;;
        esac
    done <"$1"
    if [ "${#NAMES[@]}" -lt 40 ]; then
        echo "only ${#NAMES[@]} pairs in $1 (want at least 40)"
        return 1
    fi
}
