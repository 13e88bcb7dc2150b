#!/bin/bash
# installed.sh - the shim as installed: libvfm-shim.so in the private
# directory LIBDIR/vfm, self-contained and exporting pcap_compile only; bin/vfm-tcpdump
# finds it by the relative path from bin/, also after the whole prefix is
# moved; libvfm-pcap and <vfm/vfm_pcap.h> build a program through pkg-config.
#
# Usage: installed.sh BUILD_DIR
# Environment: VFM_SANITIZE (ON: the installed code is instrumented, so the
# sanitizer runtimes are preloaded first and consumers are built with them).

set -u
export LC_ALL=C
BUILD=${1:?usage: installed.sh BUILD_DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfm-shim-inst.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
check() { # DESCRIPTION CMD...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
command -v tcpdump >/dev/null || {
    echo "FAIL: tcpdump is not installed"
    exit 1
}

SANFLAGS=()
RUNTIMES=""
if [ "${VFM_SANITIZE:-OFF}" = ON ]; then
    SANFLAGS=(-fsanitize=address,undefined -fno-omit-frame-pointer)
    RUNTIMES="$(${CC:-cc} -print-file-name=libasan.so):$(${CC:-cc} -print-file-name=libubsan.so)"
fi

if ! cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1; then
    bad "cmake --install: $(tail -n 3 "$TMP/install.log" | tr '\n' '|')"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi
shim=$(find "$TMP/prefix" -name libvfm-shim.so | head -n 1)
check "libvfm-shim.so installed" test -n "$shim"
pcaplib=$(find "$TMP/prefix" -name libvfm-pcap.so | head -n 1)
LIBREL=$(dirname "${pcaplib#"$TMP/prefix/"}")
echo "note: library directory ${LIBREL}"
check "libvfm-shim.so is in LIBDIR/vfm, apart from the libraries" test "$shim" = "$TMP/prefix/$LIBREL/vfm/libvfm-shim.so"
check "libvfm-shim.so is world-readable" test "$(($(stat -c '%#a' "$shim") & 0444))" -eq $((0444))
exports=$(nm -D --defined-only "$shim" | awk '$2 == "T" { print $3 }' | tr '\n' ' ')
check "the shim exports pcap_compile only ($exports)" test "$exports" = "pcap_compile "
check "the shim needs no VFM library at run time" \
    bash -c "! objdump -p '$shim' | grep -E 'NEEDED.*lib(vfm|vflisp)'"
check "bin/vfm-tcpdump installed" test -x "$TMP/prefix/bin/vfm-tcpdump"
check "include/vfm/vfm_pcap.h installed" test -f "$TMP/prefix/include/vfm/vfm_pcap.h"
check "pkgconfig/vfm-pcap.pc installed" test -f "$TMP/prefix/$LIBREL/pkgconfig/vfm-pcap.pc"

# Moved elsewhere, the installed wrapper still finds the shim.
mv "$TMP/prefix" "$TMP/moved"
tcpdump -d 'ip proto 6' >"$TMP/ref.d" 2>/dev/null
LD_PRELOAD=$RUNTIMES "$TMP/moved/bin/vfm-tcpdump" -d '(= proto 6)' >"$TMP/inst.d" 2>"$TMP/inst.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^(000) ' "$TMP/inst.d" && ! grep -q 'ld.so' "$TMP/inst.err"; then
    ok "moved prefix: bin/vfm-tcpdump -d '(= proto 6)' ($(wc -l <"$TMP/inst.d") instructions)"
else
    bad "moved prefix: vfm-tcpdump exit $rc: $(tr '\n' '|' <"$TMP/inst.err")"
fi

# A program linking libvfm-pcap, built with pkg-config against the moved tree.
cat >"$TMP/consumer.c" <<'EOF'
#include <stdio.h>
#include <vfm/vfm_pcap.h>
int main(void)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program fp;
    if (vfm_pcap_compile(p, &fp, "(and (= proto 17) (= dst-port 53))", NULL) != 0) {
        fprintf(stderr, "%s\n", pcap_geterr(p));
        return 1;
    }
    printf("%u\n", fp.bf_len);
    pcap_freecode(&fp);
    int bad = vfm_pcap_compile(p, &fp, "(= dst-prot 53)", NULL);
    printf("%d %s\n", bad, pcap_geterr(p));
    pcap_close(p);
    return 0;
}
EOF
pcdir=$TMP/moved/$LIBREL/pkgconfig
# rpath-link: libvfm-pcap.so needs libvflisp.so.0 and libvfm.so.0 from the same directory.
if ${CC:-cc} "${SANFLAGS[@]}" -o "$TMP/consumer" "$TMP/consumer.c" -Wl,-rpath-link,"$TMP/moved/$LIBREL" \
    $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs vfm-pcap) 2>"$TMP/cc.err"; then
    LD_LIBRARY_PATH=$TMP/moved/$LIBREL "$TMP/consumer" >"$TMP/consumer.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$(head -n 1 "$TMP/consumer.out")" -gt 3 ] &&
        grep -q "^-1 vflisp:1:4: unknown name 'dst-prot'" "$TMP/consumer.out"; then
        ok "pkg-config consumer of libvfm-pcap: $(tr '\n' ' ' <"$TMP/consumer.out")"
    else
        bad "pkg-config consumer: exit $rc: $(tr '\n' '|' <"$TMP/consumer.out")"
    fi
else
    bad "pkg-config consumer does not build: $(head -n 3 "$TMP/cc.err" | tr '\n' '|')"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
