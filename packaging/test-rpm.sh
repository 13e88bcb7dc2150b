#!/usr/bin/env bash
# Test the RPMs: build them (packaging/build-rpm.sh) unless RPMDIR already
# holds a build, check each package's payload and dependencies, then unpack
# them all into a scratch root and run the programs from there: the tools on
# the packaged sample capture, vfm-tcpdump with its packaged shim, tshark
# with the packaged plugin, and a program built against the packaged headers
# and pkg-config files.  Nothing is installed on the system.
#
#   packaging/test-rpm.sh [RPMDIR]
set -uo pipefail
export LC_ALL=C
me=test-rpm.sh
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-}
if [ -z "$out" ]; then
    out=$top/build-rpm
    bash "$top/packaging/build-rpm.sh" "$out" || exit 1
fi
rpms=$out/RPMS/$(uname -m)
[ -d "$rpms" ] || { echo "$me: $rpms: no RPMs (build them first)" >&2; exit 1; }
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
same() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', want '$3'"; fi; }
has() { # PACKAGE PATH-REGEX
    # Listed first: grep -q would close the pipe early (SIGPIPE, pipefail).
    if rpm -qlp "$rpms/$1"-[0-9]*.rpm 2>/dev/null | grep -Ec "$2" >/dev/null; then ok "$1 has $2"; else bad "$1 lacks $2"; fi
}
requires() { # PACKAGE REGEX
    if rpm -qp --requires "$rpms/$1"-[0-9]*.rpm 2>/dev/null | grep -Ec "$2" >/dev/null; then ok "$1 requires $2"; else bad "$1 does not require $2"; fi
}

has vfm '^/usr/bin/vflispc$'
has vfm '/man1/vfm-compile\.1'
has vfm '/share/vfm/mix\.pcap$'
has vfm-libs '/libvfm\.so\.0$'
has vfm-libs '/libvflisp\.so\.0$'
has vfm-devel '/include/vfm/vfm\.h$'
has vfm-devel '/cmake/vfm/vfmConfig\.cmake$'
has vfm-static '/libvfm\.a$'
has vfm-tcpdump '/vfm/libvfm-shim\.so$'
has vfm-ndpi '^/usr/bin/vfm-classify$'
has vfm-ndpi '/libvfm-ndpi\.so\.0$'
has vfm-ndpi-devel '/include/vfm/vfm_ndpi\.h$'
has vfm-wireshark '/wireshark/plugins/[0-9.]+/epan/vfm\.so$'
requires vfm-tcpdump '^tcpdump$'
requires vfm-wireshark '^libwireshark\.so'
requires vfm-devel '^vfm-libs'

# The release tarball is the same bytes for the same tree (make-tarball.sh's promise).
tarballs=$(mktemp -d)
for k in 1 2; do bash "$top/packaging/make-tarball.sh" "$tarballs/$k.tar.xz"; done
if cmp -s "$tarballs/1.tar.xz" "$tarballs/2.tar.xz"; then ok "make-tarball.sh is reproducible"; else bad "make-tarball.sh made two different tarballs"; fi
rm -rf "$tarballs"

root=$(mktemp -d "${TMPDIR:-/tmp}/vfm-rpmroot.XXXXXX")
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
for r in "$rpms"/*.rpm; do
    rpm2archive - <"$r" | tar -xzf - -C "$root" || bad "unpack ${r##*/}"
done
sample=$root/usr/share/vfm/mix.pcap
expr='(and (= proto tcp) (= dst-port 80))'
want=$(tcpdump --count -r "$sample" 'ip and tcp dst port 80' 2>/dev/null | awk '{print $1}')
"$root/usr/bin/vflispc" -e "$expr" -o "$root/f.bin" || bad "packaged vflispc"
same "packaged vfm-test counts what tcpdump counts" "$("$root/usr/bin/vfm-test" --count "$root/f.bin" "$sample")" "$want"
same "packaged vfm-classify: (= app \"HTTP\") selects the HTTP flows' packets" \
    "$(LD_LIBRARY_PATH=$(dirname "$(find "$root" -name 'libvfm-ndpi.so.0' | head -n 1)") \
        "$root/usr/bin/vfm-classify" -c -e '(= app "HTTP")' "$sample")" \
    "$("$root/usr/bin/vfm-classify" --flows "$sample" | awk -F'\t' '!/^#/ && ($NF == "HTTP" || index($NF, "HTTP.") == 1) { n += $6 } END { print n + 0 }')"
same "packaged vfm-tcpdump finds its packaged shim" \
    "$("$root/usr/bin/vfm-tcpdump" --count -r "$sample" "$expr" 2>/dev/null | awk '{print $1}')" "$want"

if command -v tshark >/dev/null; then
    plugdir=$(dirname "$(dirname "$(find "$root" -path '*/epan/vfm.so' | head -n 1)")")
    tshark_cmd=(tshark)
    [ "$(id -u)" -eq 0 ] && tshark_cmd=(unshare -U tshark) # root ignores WIRESHARK_PLUGIN_DIR
    mkdir -p "$root/home"
    got=$(HOME=$root/home WIRESHARK_PLUGIN_DIR=$(dirname "$plugdir") "${tshark_cmd[@]}" -r "$sample" \
        -o "vfm.filter:$expr" -Y vfm.match 2>/dev/null | wc -l)
    same "tshark with the packaged plugin selects the same frames" "$got" "$want"
else
    echo "note: tshark not installed: packaged plugin not loaded"
fi

cat >"$root/probe.c" <<'C'
#include <stdio.h>
#include <vfm/vflisp.h>
#include <vfm/vfm.h>
int main(void) { puts(vfm_version()); return 0; }
C
lib=$(dirname "$(find "$root" -name libvflisp.so | head -n 1)")
if cc -o "$root/probe" "$root/probe.c" $(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig \
    pkg-config --cflags --libs vflisp) 2>"$root/cc.err"; then
    same "a program built with the packaged pkg-config files runs" "$(LD_LIBRARY_PATH=$lib "$root/probe")" \
        "$(sed -n 's/^Version: *//p' "$top/packaging/rpm/vfm.spec")"
else
    bad "cc with the packaged vflisp.pc: $(head -n 2 "$root/cc.err" | tr '\n' '|')"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
