#!/bin/sh
# describe.sh FILE - count a capture's packets per class with tcpdump, for
# pcaps/README.md.  Each line: count, then the tcpdump expression.
set -eu
f=${1:?usage: describe.sh FILE}
count() {
    printf '%6s  %s\n' "$(tcpdump -nr "$f" "$1" 2>/dev/null | wc -l)" "${1:-(all)}"
}
count ''
count 'ip'
count 'ip6'
count 'arp'
count 'vlan'
count 'ether proto 0x88a8'
count 'less 13'
count 'ip and tcp'
count 'ip and tcp and dst port 80'
count 'ip and tcp and (port 443 or port 80 or port 22 or port 25 or port 993 or port 8080)'
count 'ip and tcp[tcpflags] & tcp-syn != 0'
count 'ip and tcp[tcpflags] & tcp-fin != 0'
count 'ip and tcp[tcpflags] & tcp-rst != 0'
count 'ip and tcp[tcpflags] & tcp-push != 0'
count 'ip and udp'
count 'ip and udp port 53'
count 'ip and udp src port 53 and udp[4:2] > 520'
count 'ip and udp port 123'
count 'ip and udp port 443'
count 'ip and udp and ip[2:2] > 1400'
count 'ip and ((tcp and (dst port 80 or dst port 443)) or (udp and port 53))'
count 'ip and icmp'
count 'ip and igmp'
count 'ip and ip[0] & 0x0f > 5'
count 'ip and ip[6:2] & 0x2000 != 0 and ip[6:2] & 0x1fff == 0'
count 'ip and ip[6:2] & 0x1fff != 0'
count 'ip6 and tcp'
count 'ip6 and udp'
count 'icmp6'
