#!/usr/bin/env bash
# Install what VFM needs to build and test on Debian 12, from Debian's packages.
# Idempotent: does nothing (not even `apt-get update`) when all are present.
# The one list of build/test dependencies: .ci/run and the README commands use it.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git   # toolchain (a minimal Debian has none)
  libpcap-dev                            # capture reading, bpf_filter for comparisons
  libcunit1-dev                          # unit tests
  tcpdump                                # the reference the tests compare against
  libwireshark-dev wireshark-dev tshark  # the Wireshark plugin and its tests
  libndpi-dev libndpi-bin                # the nDPI classifier; ndpiReader is its reference
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross  # ARM64 JIT, tested under qemu
  libcunit1-dev:arm64                    # the unit tests in that cross build (multiarch)
  iproute2 strace                        # live capture tests in a network namespace
  help2man                               # manual pages from each command's --help
  clang libclang-rt-14-dev               # libFuzzer for scripts/fuzz.sh (clang only recommends the runtime)
  debhelper dpkg-dev lintian xz-utils    # the Debian packages (packaging/), built and checked
  rpm                                    # the RPM spec, built with rpmbuild and unpacked
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The ARM64 cross build links CUnit for arm64: Debian multiarch.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${as_root[@]}" dpkg --add-architecture arm64
fi
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
