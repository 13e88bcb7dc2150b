#!/usr/bin/env bash
# Test the Debian packages the way a user gets them:
#   1. build them from this tree (packaging/build-deb.sh), unless DEBDIR
#      already holds a build;
#   2. lintian: no errors (warnings are printed);
#   3. as root: install them with apt-get, run the DEP-8 tests of
#      debian/tests/control against the installed system, purge them, and
#      check that no file of theirs is left behind.
#
#   packaging/test-deb.sh [DEBDIR]
#
# Step 3 changes the system, so it runs only as root and only when no VFM
# package is installed already (VFM_PKG_TEST_FORCE=1 overrides the latter).
set -euo pipefail
me=test-deb.sh
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-}
if [ -z "$out" ]; then
    out=$top/build-deb
    bash "$top/packaging/build-deb.sh" "$out"
fi
changes=$(ls "$out"/vfm_*.changes 2>/dev/null | head -n 1)
[ -n "$changes" ] || { echo "$me: $out: no vfm_*.changes (build the packages first)" >&2; exit 1; }
srcdir=$(ls -d "$out"/vfm-*/ | head -n 1)

echo "==== lintian"
# Not meant for the Debian archive (yet): no ITP bug to close.
lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$changes"

mapfile -t debs < <(ls "$out"/*.deb | grep -v -- '-dbgsym_')
mapfile -t pkgs < <(for d in "${debs[@]}"; do dpkg-deb -f "$d" Package; done)
echo "==== packages: ${pkgs[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "$me: not root: install test skipped (the packages are built and lint-clean)"
    exit 0
fi
installed=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null | awk '$1 ~ /^.i/ {print $2}' || true)
if [ -n "$installed" ] && [ "${VFM_PKG_TEST_FORCE:-0}" != 1 ]; then
    echo "$me: already installed here: $(echo $installed): install test skipped (VFM_PKG_TEST_FORCE=1 to replace them)"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
purge() {
    apt-get purge -y -q "${pkgs[@]}" >/dev/null 2>&1 || dpkg --purge "${pkgs[@]}" >/dev/null 2>&1 || true
}
trap purge EXIT
echo "==== apt-get install ${debs[*]##*/}"
apt-get install -y -q --no-install-recommends "${debs[@]}" >"$out/install.log" 2>&1 ||
    { tail -n 20 "$out/install.log"; echo "$me: apt-get install failed" >&2; exit 1; }

failed=0
tests=$(sed -n 's/^Tests: *//p' "$srcdir/debian/tests/control")
for t in $tests; do
    echo "==== DEP-8 test: $t"
    tmp=$(mktemp -d)
    if ! AUTOPKGTEST_TMP=$tmp bash "$srcdir/debian/tests/$t"; then
        failed=$((failed + 1))
        echo "$me: test $t FAILED"
    fi
    rm -rf "$tmp"
done

echo "==== apt-get purge"
mapfile -t files < <(for d in "${debs[@]}"; do dpkg-deb -c "$d"; done | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
purge
trap - EXIT
left=0
for f in "${files[@]}"; do
    if [ -e "$f" ] || [ -L "$f" ]; then
        echo "$me: left behind after purge: $f"
        left=$((left + 1))
    fi
done
echo "$me: ${#files[@]} files installed and removed, $left left behind"
[ "$left" -eq 0 ] || failed=$((failed + 1))
if [ "$failed" -ne 0 ]; then
    echo "$me: $failed failure(s)" >&2
    exit 1
fi
echo "$me: all package tests passed"
