#!/usr/bin/env bash
# The release tarball, shared by the Debian (orig) and RPM (Source0) builds.
#
#   packaging/make-tarball.sh [--rev REV] OUTPUT.tar.xz
#
# Contents under vfm-VERSION/: with --rev, the files of that commit (git
# archive); otherwise the working tree as it is (the files git knows plus new
# ones it does not ignore; outside git, the tree without build directories).
# Owner, order and times are fixed (SOURCE_DATE_EPOCH, default: the date of
# the Debian changelog entry), so the same tree gives the same bytes.
set -euo pipefail
me=make-tarball.sh
die() { echo "$me: $*" >&2; exit 1; }
rev=
if [ "${1-}" = --rev ]; then
    rev=${2:?--rev needs a commit}
    shift 2
fi
out=$(realpath -m "${1:?usage: make-tarball.sh [--rev REV] OUTPUT.tar.xz}")
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

version=$(sed -n 's/^project(vfm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || die "CMakeLists.txt: no project(vfm VERSION x.y.z)"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l packaging/debian/changelog -S Timestamp 2>/dev/null || date +%s)}
prefix=vfm-$version
mkdir -p "$(dirname "$out")"

if [ -n "$rev" ]; then
    git rev-parse --verify -q "$rev^{commit}" >/dev/null || die "--rev $rev: not a commit"
    git archive --format=tar --prefix="$prefix/" "$rev" | xz -c >"$out"
    exit 0
fi
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if git rev-parse --show-toplevel >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" = "$top" ]; then
    # Files deleted but not yet committed are left out.
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done >"$list"
else
    find . -path './build*' -prune -o -path ./.git -prune -o -type f -print0 | sed -z 's|^\./||' >"$list"
fi
tar --null -T "$list" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" --transform "s|^|$prefix/|" -cJf "$out"
