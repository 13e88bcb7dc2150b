# Cross build for AArch64 Linux (Debian's gcc-aarch64-linux-gnu), tests run
# under qemu-user: ctest prefixes every test binary with the emulator below
# (there is no binfmt registration in CI, so it must be explicit).
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake
#
# scripts/test-arm64.sh does this and runs ctest.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(VFM_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${VFM_CROSS_TRIPLE}-gcc)

# Target libraries: the cross libc (libc6-dev-arm64-cross) and, when Debian
# multiarch arm64 packages are installed, /usr/lib/aarch64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/${VFM_CROSS_TRIPLE} /usr/lib/${VFM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must see only the target's .pc files (multiarch arm64 packages),
# never the host's x86-64 libpcap: linking that would fail, or worse, mislead.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${VFM_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# -L: where qemu finds the AArch64 dynamic loader and libc.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/${VFM_CROSS_TRIPLE})
