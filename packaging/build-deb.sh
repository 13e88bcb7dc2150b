#!/usr/bin/env bash
# Build VFM's Debian source and binary packages from this source tree.
#
#   packaging/build-deb.sh [--rev REV] [OUTDIR]   (default OUTDIR: build-deb/)
#
# Makes vfm_VERSION.orig.tar.xz from the working tree (the files git knows,
# or the whole tree without build directories), or with --rev from a commit, unpacks it, adds packaging/debian as
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

# The date of the changelog entry, so the tarball is the same bytes every time.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l packaging/debian/changelog -S Timestamp)}

rm -rf "$out"
mkdir -p "$out"
srcdir=vfm-$version
orig=$out/vfm_$version.orig.tar.xz
list=$out/files.list
if [ -n "$rev" ]; then
    git rev-parse --verify -q "$rev^{commit}" >/dev/null || die "--rev $rev: not a commit"
    git archive --format=tar --prefix="$srcdir/" "$rev" | xz -c >"$orig"
elif git rev-parse --show-toplevel >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" = "$top" ]; then
    # The working tree as it is: files deleted but not yet committed are left out.
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done >"$list"
else
    find . -path './build*' -prune -o -path ./.git -prune -o -type f -print0 | sed -z 's|^\./||' >"$list"
fi
if [ -z "$rev" ]; then
    tar --null -T "$list" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" --transform "s|^|$srcdir/|" -cJf "$orig"
    rm -f "$list"
fi

tar -C "$out" -xJf "$orig"
cp -r "$out/$srcdir/packaging/debian" "$out/$srcdir/debian"

opts=${DEB_BUILD_OPTIONS:-}
case " $opts " in *" parallel="*) ;; *) opts="${opts:+$opts }parallel=$(nproc)" ;; esac
echo "$me: building vfm $debver in $out/$srcdir (DEB_BUILD_OPTIONS=$opts)"
(cd "$out/$srcdir" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc)
ls -1 "$out"/*.deb
