#!/usr/bin/env bash
# Build VFM's RPMs from this source tree with packaging/rpm/vfm.spec.
#
#   packaging/build-rpm.sh [--rev REV] [OUTDIR]   (default OUTDIR: build-rpm/)
#
# OUTDIR is rpmbuild's _topdir: SOURCES/ gets the tarball
# (packaging/make-tarball.sh), RPMS/ and SRPMS/ the packages.
#
# On an RPM distribution this is a plain rpmbuild -ba.  On Debian (the
# project's CI), where no RPM database knows the build dependencies, it adds
# --nodeps and builds with Debian's multiarch library directory, so that the
# Wireshark plugin directory from Debian's wireshark-dev is inside %{_libdir}
# as it is on Fedora; the spec itself is the same.
set -euo pipefail
me=build-rpm.sh
die() { echo "$me: $*" >&2; exit 1; }
rev=
if [ "${1-}" = --rev ]; then
    rev=${2:?--rev needs a commit}
    shift 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/build-rpm}")
spec=$top/packaging/rpm/vfm.spec
command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian: apt-get install rpm)"

version=$(sed -n 's/^project(vfm VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
specver=$(sed -n 's/^Version: *//p' "$spec")
[ "$specver" = "$version" ] ||
    die "packaging/rpm/vfm.spec: Version $specver does not match the project's $version"

rm -rf "$out"
mkdir -p "$out/SOURCES"
bash "$top/packaging/make-tarball.sh" ${rev:+--rev "$rev"} "$out/SOURCES/vfm-$version.tar.xz"

args=(--define "_topdir $out")
if [ -r /etc/debian_version ]; then
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
    args+=(--nodeps --define "_lib lib/$multiarch" --define "_libdir %{_prefix}/lib/$multiarch")
fi
echo "$me: rpmbuild -ba vfm.spec (vfm $version) in $out"
rpmbuild -ba "${args[@]}" "$spec"
find "$out/RPMS" "$out/SRPMS" -name '*.rpm' | sort
