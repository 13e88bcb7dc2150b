#!/usr/bin/env bash
# Build VFM's Debian source and binary packages from this source tree.
#
#   packaging/build-deb.sh [--rev REV] [OUTDIR]   (default OUTDIR: build-deb/)
#
# Makes vfm_VERSION.orig.tar.xz (packaging/make-tarball.sh: the working
# tree, or with --rev a commit), unpacks it, adds packaging/debian as
# debian/, and runs dpkg-buildpackage -us -uc.  The .deb, .dsc and .changes
# files end up in OUTDIR.  DEB_BUILD_OPTIONS is passed through (nocheck skips
# the core tests run at build time, parallel=N is set from nproc if unset).
# Needs the Build-Depends of packaging/debian/control
# (scripts/install-deps.sh installs them).
set -euo pipefail
me=build-deb.sh
die() { echo "$me: $*" >&2; exit 1; }

rev=
if [ "${1-}" = --rev ]; then
    rev=${2:?--rev needs a commit}
    shift 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/build-deb}")
cd "$top"

version=$(sed -n 's/^project(vfm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || die "CMakeLists.txt: no project(vfm VERSION x.y.z)"
debver=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
[ "${debver%-*}" = "$version" ] ||
    die "packaging/debian/changelog: version $debver does not match the project's $version (add a changelog entry)"
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)"

rm -rf "$out"
mkdir -p "$out"
srcdir=vfm-$version
orig=$out/vfm_$version.orig.tar.xz
bash "$top/packaging/make-tarball.sh" ${rev:+--rev "$rev"} "$orig"
tar -C "$out" -xJf "$orig"
cp -r "$out/$srcdir/packaging/debian" "$out/$srcdir/debian"

opts=${DEB_BUILD_OPTIONS:-}
case " $opts " in *" parallel="*) ;; *) opts="${opts:+$opts }parallel=$(nproc)" ;; esac
echo "$me: building vfm $debver in $out/$srcdir (DEB_BUILD_OPTIONS=$opts)"
(cd "$out/$srcdir" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc)
ls -1 "$out"/*.deb
