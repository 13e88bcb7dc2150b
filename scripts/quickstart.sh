#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the main job:
# the manual's quick-start filter (TCP to port 80) over the bundled capture.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

echo
echo "== assemble examples/tcp-port-80.vfm"
build/tools/vfm-asm -v examples/tcp-port-80.vfm -o build/tcp-port-80.bin
build/tools/vfm-dis -a build/tcp-port-80.bin
echo
echo "== run it over pcaps/mix.pcap"
build/tools/vfm-test -s --jit build/tcp-port-80.bin pcaps/mix.pcap
echo
echo "== tcpdump on the same file, same filter as raw offsets"
tcpdump --count -r pcaps/mix.pcap 'ether[12:2]=0x0800 and ether[23]=6 and ether[36:2]=80' 2>/dev/null
echo
echo "== tcpdump with a VFLisp filter (vfm-tcpdump: compiled to classic BPF, run by libpcap)"
echo "   (IP options handled, so it counts what tcpdump 'ip and tcp dst port 80' does, not the raw offsets)"
build/tcpdump-shim/vfm-tcpdump --count -r pcaps/mix.pcap '(and (= proto tcp) (= dst-port 80))' 2>/dev/null
