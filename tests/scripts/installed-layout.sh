#!/bin/bash
# installed-layout.sh - `cmake --install` gives a usable, relocatable tree:
# headers, libvfm.so.0 (SONAME, only vfm_* exported), libvfm.a, pkg-config
# file, CMake package; a consumer builds against it with pkg-config and with
# find_package(vfm) and runs.
#
# Usage: installed-layout.sh BUILD_DIR   (VFM_VERSION from the environment;
#        VFM_SANITIZE=ON builds the consumers with the sanitizers too)

. "$(dirname "$0")/lib.sh"
need_env VFM_VERSION
BUILD=${1:?usage: installed-layout.sh BUILD_DIR}
PREFIX=$TMP/prefix
CC=${CC:-cc}
SANFLAGS=()
if [ "${VFM_SANITIZE:-OFF}" = ON ]; then
    SANFLAGS=(-fsanitize=address,undefined -fno-omit-frame-pointer)
    # The instrumented library is used from uninstrumented tools below.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fi

expect "cmake --install into a fresh prefix" 0 cmake --install "$BUILD" --prefix "$PREFIX"
if [ "$RC" -ne 0 ]; then
    finish
fi

# ---- files ------------------------------------------------------------------
# GNUInstallDirs may pick lib/ or lib64/ or lib/<multiarch>: find where vfm.pc went.
pc=$(find "$PREFIX" -name vfm.pc -path '*/pkgconfig/*' | head -n 1)
check "pkgconfig/vfm.pc installed" test -n "$pc"
LIBDIR=$(dirname "$(dirname "${pc:-$PREFIX/lib/pkgconfig/vfm.pc}")")
echo "note: libdir is ${LIBDIR#"$PREFIX"/}"
for h in vfm.h isa.h opcodes.def bytecode.h asm.h version.h; do
    check "include/vfm/$h installed" test -f "$PREFIX/include/vfm/$h"
done
check "internal.h is not installed" test ! -e "$PREFIX/include/vfm/internal.h"
check "libvfm.so.0 installed" test -f "$LIBDIR/libvfm.so.0"
check "libvfm.so.$VFM_VERSION installed" test -f "$LIBDIR/libvfm.so.$VFM_VERSION"
check "libvfm.so -> libvfm.so.0 (development link)" test "$(readlink "$LIBDIR/libvfm.so")" = libvfm.so.0
check "libvfm.a installed" test -f "$LIBDIR/libvfm.a"
check "cmake/vfm/vfmConfig.cmake installed" test -f "$LIBDIR/cmake/vfm/vfmConfig.cmake"
check "cmake/vfm/vfmConfigVersion.cmake installed" test -f "$LIBDIR/cmake/vfm/vfmConfigVersion.cmake"
for t in vfm-asm vfm-dis vfm-test; do
    check "bin/$t installed" test -x "$PREFIX/bin/$t"
done

soname=$(objdump -p "$LIBDIR/libvfm.so.0" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
same "SONAME of libvfm.so.0" "$soname" "libvfm.so.0"

# Only the public API leaves the shared library (absolute symbols such as the
# version node VFM_0 are not code).
nm -D --defined-only "$LIBDIR/libvfm.so.0" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' >"$TMP/syms"
nsyms=$(wc -l <"$TMP/syms")
check "libvfm.so.0 exports symbols ($nsyms)" test "$nsyms" -gt 10
stray=$(grep -v '^vfm_' "$TMP/syms" | tr '\n' ' ')
same "exported symbols not named vfm_*" "$stray" ""
for f in vfm_create vfm_destroy vfm_load_program vfm_load_program_file vfm_execute vfm_verify \
    vfm_error_string vfm_flow_table_init vfm_flow_table_clear vfm_version; do
    check "manual API $f exported" grep -qx "$f" "$TMP/syms"
done

# Each public header compiles on its own, as C11 and as C++.
for h in vfm.h isa.h bytecode.h asm.h version.h; do
    printf '#include <vfm/%s>\nint vfm_header_check_;\n' "$h" >"$TMP/h.c"
    check "<vfm/$h> is self-contained C11 (-pedantic)" \
        "$CC" -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I "$PREFIX/include" "$TMP/h.c"
    if command -v c++ >/dev/null 2>&1; then
        check "<vfm/$h> compiles as C++" \
            c++ -Wall -Wextra -Werror -fsyntax-only -x c++ -I "$PREFIX/include" "$TMP/h.c"
    fi
done

# ---- a consumer -------------------------------------------------------------
mkdir -p "$TMP/consumer"
cat >"$TMP/consumer/main.c" <<'EOF'
/* Loads the IPv4 filter of bytecode.h's worked example and runs it. */
#include <stdio.h>
#include <string.h>
#include <vfm/vfm.h>

int main(void)
{
    static const unsigned char prog[] = {0x02, 0x0c, 0x00, 0x12, 0x00, 0x08, 0x42, 0x03,
                                         0x00, 0x11, 0x01, 0x50, 0x11, 0x00, 0x50};
    unsigned char pkt[60];
    memset(pkt, 0, sizeof pkt);
    pkt[12] = 0x08;
    vfm_state_t *vm = vfm_create();
    if (!vm || vfm_load_program(vm, prog, sizeof prog) != VFM_SUCCESS) {
        fprintf(stderr, "load failed: %s\n", vm ? vfm_last_error(vm) : "no vm");
        return 1;
    }
    int ipv4 = vfm_execute(vm, pkt, sizeof pkt);
    pkt[13] = 0x06; /* ARP */
    int arp = vfm_execute(vm, pkt, sizeof pkt);
    int shortpkt = vfm_execute(vm, pkt, 10);
    printf("%s %d %d %s\n", vfm_version(), ipv4, arp, vfm_error_string(shortpkt));
    vfm_destroy(vm);
    return 0;
}
EOF
WANT="$VFM_VERSION 1 0 Packet bounds exceeded"

# pkg-config, found through PKG_CONFIG_PATH only: the .pc file must point
# into the prefix it was installed to.
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
run pkg-config --modversion vfm
same "pkg-config --modversion vfm" "$(cat "$TMP/out")" "$VFM_VERSION"
cflags=$(pkg-config --cflags vfm)
libs=$(pkg-config --libs vfm)
echo "note: pkg-config: $cflags $libs"
case "$cflags $libs" in
*"$PREFIX"*) ok "pkg-config flags point into the install prefix" ;;
*) bad "pkg-config flags '$cflags $libs' do not point into $PREFIX (vfm.pc not relocatable?)" ;;
esac
# shellcheck disable=SC2086 # pkg-config output is a word list by design
if "$CC" "${SANFLAGS[@]}" -Wall -Wextra -Werror -o "$TMP/consumer/pc-app" "$TMP/consumer/main.c" \
    $(pkg-config --cflags --libs vfm) 2>"$TMP/err"; then
    ok "consumer builds with pkg-config"
    run env LD_LIBRARY_PATH="$LIBDIR" "$TMP/consumer/pc-app"
    same "pkg-config consumer runs" "$(cat "$TMP/out")" "$WANT"
    check "pkg-config consumer uses the installed libvfm.so.0" \
        sh -c "LD_LIBRARY_PATH='$LIBDIR' ldd '$TMP/consumer/pc-app' | grep -F '$LIBDIR/libvfm.so.0' >/dev/null"
else
    bad "consumer builds with pkg-config: $(tr '\n' '|' <"$TMP/err")"
fi
# Static linking through the archive.
if "$CC" "${SANFLAGS[@]}" -o "$TMP/consumer/static-app" "$TMP/consumer/main.c" \
    -I"$PREFIX/include" "$LIBDIR/libvfm.a" 2>"$TMP/err"; then
    run "$TMP/consumer/static-app"
    same "consumer linked with libvfm.a runs" "$(cat "$TMP/out")" "$WANT"
else
    bad "consumer links with libvfm.a: $(tr '\n' '|' <"$TMP/err")"
fi

# find_package(vfm) from a throwaway CMake project.
cat >"$TMP/consumer/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(vfm_consumer C)
find_package(vfm $VFM_VERSION REQUIRED)
add_executable(cmake-app main.c)
target_link_libraries(cmake-app PRIVATE vfm::vfm)
EOF
if cmake -S "$TMP/consumer" -B "$TMP/consumer/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_C_FLAGS="${SANFLAGS[*]}" >"$TMP/cmake.log" 2>&1 &&
    cmake --build "$TMP/consumer/build" >>"$TMP/cmake.log" 2>&1; then
    ok "consumer builds with find_package(vfm)"
    run "$TMP/consumer/build/cmake-app"
    same "find_package consumer runs" "$(cat "$TMP/out")" "$WANT"
else
    bad "consumer builds with find_package(vfm): $(tail -n 15 "$TMP/cmake.log" | tr '\n' '|')"
fi
# A version the package does not satisfy is refused.
printf 'cmake_minimum_required(VERSION 3.16)\nproject(x C)\nfind_package(vfm 99 REQUIRED)\n' \
    >"$TMP/consumer/CMakeLists.txt"
run cmake -S "$TMP/consumer" -B "$TMP/consumer/build99" -DCMAKE_PREFIX_PATH="$PREFIX"
check "find_package(vfm 99) is refused" test "$RC" -ne 0

# The installed tools run.
for t in vfm-asm vfm-dis vfm-test; do
    run env LD_LIBRARY_PATH="$LIBDIR" "$PREFIX/bin/$t" --version
    same "installed $t --version" "$(cat "$TMP/out")" "$t (vfm) $VFM_VERSION"
done

finish
