/*
 * filters.c - the benchmark filters (see filters.h).
 *
 * The three forms of a filter must accept exactly the same packets, on every
 * capture, truncated and runt records included; vfm-bench checks it packet
 * by packet.  libpcap's rules that the VFM and C forms copy:
 *   - a load past the captured length rejects the packet (bpf_filter
 *     returns 0; VFM fails with VFM_ERROR_BOUNDS, which is "not accepted");
 *   - `tcp`/`udp` test the IPv4 protocol field only; a port test also
 *     requires the fragment offset to be 0 ((ip[6:2] & 0x1fff) == 0) and
 *     reads the port after the real header length, 4 * (ip[0] & 0x0f);
 *   - `port 53` tests the source port first, then the destination port,
 *     so a record cut between the two still matches on its source port.
 * Offsets below are Ethernet-relative: the IPv4 header starts at 14.
 */
#include "filters.h"

#include <stddef.h>

static inline uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

/* ---- ip ------------------------------------------------------------------- */

static const char asm_ip[] =
    "        LD16 12\n"
    "        PUSH 0x0800\n"
    "        EQ\n"
    "        RET\n";

static int c_ip(const uint8_t *p, uint32_t n)
{
    return n >= 14 && be16(p + 12) == 0x0800;
}

/* ---- ip and tcp and dst port 80 -------------------------------------------- */

static const char asm_tcp_dst80[] =
    "        LD16 12\n"
    "        PUSH 0x0800\n"
    "        JNE drop\n"
    "        LD8 23            ; IPv4 protocol\n"
    "        PUSH 6\n"
    "        JNE drop\n"
    "        LD16 20           ; flags + fragment offset\n"
    "        PUSH 0x1fff\n"
    "        AND\n"
    "        JNZ drop          ; a later fragment has no TCP header\n"
    "        LD8 14            ; x = 4 * IHL\n"
    "        PUSH 0x0f\n"
    "        AND\n"
    "        PUSH 2\n"
    "        SHL\n"
    "        LDX16 16          ; TCP destination port at 14 + x + 2\n"
    "        PUSH 80\n"
    "        JNE drop\n"
    "        RET 1\n"
    "drop:   RET 0\n";

static int c_tcp_dst80(const uint8_t *p, uint32_t n)
{
    if (n < 24 || be16(p + 12) != 0x0800 || p[23] != 6 || (be16(p + 20) & 0x1fff) != 0)
        return 0;
    uint32_t x = (uint32_t)(p[14] & 0x0f) * 4;
    return n >= x + 18 && be16(p + x + 16) == 80;
}

/* ---- ip and ((tcp and (dst port 80 or dst port 443)) or (udp and port 53)) -- */

static const char asm_web_dns[] =
    "        LD16 12\n"
    "        PUSH 0x0800\n"
    "        JNE drop\n"
    "        LD16 20\n"
    "        PUSH 0x1fff\n"
    "        AND\n"
    "        JNZ drop          ; later fragments carry no ports\n"
    "        LD8 14\n"
    "        PUSH 0x0f\n"
    "        AND\n"
    "        PUSH 2\n"
    "        SHL               ; x = 4 * IHL\n"
    "        LD8 23\n"
    "        DUP               ; x proto proto\n"
    "        PUSH 6\n"
    "        JEQ tcp           ; x proto\n"
    "        PUSH 17\n"
    "        JNE drop          ; x\n"
    "        DUP\n"
    "        LDX16 14          ; x sport\n"
    "        PUSH 53\n"
    "        JEQ accept        ; source port first, as libpcap does\n"
    "        LDX16 16          ; dport\n"
    "        PUSH 53\n"
    "        JEQ accept\n"
    "        RET 0\n"
    "tcp:    POP               ; x\n"
    "        LDX16 16          ; dport\n"
    "        DUP\n"
    "        PUSH 80\n"
    "        JEQ accept\n"
    "        PUSH 443\n"
    "        JEQ accept\n"
    "drop:   RET 0\n"
    "accept: RET 1\n";

static int c_web_dns(const uint8_t *p, uint32_t n)
{
    if (n < 24 || be16(p + 12) != 0x0800 || (be16(p + 20) & 0x1fff) != 0)
        return 0;
    uint32_t x = (uint32_t)(p[14] & 0x0f) * 4;
    if (p[23] == 6) {
        if (n < x + 18)
            return 0;
        uint32_t dport = be16(p + x + 16);
        return dport == 80 || dport == 443;
    }
    if (p[23] != 17 || n < x + 16)
        return 0;
    if (be16(p + x + 14) == 53)
        return 1;
    return n >= x + 18 && be16(p + x + 16) == 53;
}

/* ---- ip and udp and ip[2:2] > 1400 ---------------------------------------- */

static const char asm_udp_large[] =
    "        LD16 12\n"
    "        PUSH 0x0800\n"
    "        JNE drop\n"
    "        LD8 23\n"
    "        PUSH 17\n"
    "        JNE drop\n"
    "        LD16 16           ; IPv4 total length\n"
    "        PUSH 1400\n"
    "        GT\n"
    "        RET\n"
    "drop:   RET 0\n";

static int c_udp_large(const uint8_t *p, uint32_t n)
{
    return n >= 24 && be16(p + 12) == 0x0800 && p[23] == 17 && be16(p + 16) > 1400;
}

/* ---- the manual's enterprise traffic policy -------------------------------- */
/*
 * IPv4 TCP to 80/443/22/25/993 and IPv4 UDP to 53/123 pass, other IPv4 is
 * dropped, everything that is not IPv4 passes (802.1Q-tagged IPv4 included:
 * its EtherType is 0x8100, as for tcpdump's `ip`).  As libpcap's `dst port`,
 * a later fragment has no port, and the port is read after the real header.
 */
static const char asm_enterprise[] =
    "        LD16 12\n"
    "        PUSH 0x0800\n"
    "        JNE accept        ; not IPv4: the policy accepts it\n"
    "        LD8 23            ; proto\n"
    "        DUP\n"
    "        PUSH 6\n"
    "        JEQ l4            ; proto\n"
    "        DUP\n"
    "        PUSH 17\n"
    "        JNE drop\n"
    "l4:     LD16 20\n"
    "        PUSH 0x1fff\n"
    "        AND\n"
    "        JNZ drop          ; later fragments carry no ports\n"
    "        LD8 14\n"
    "        PUSH 0x0f\n"
    "        AND\n"
    "        PUSH 2\n"
    "        SHL\n"
    "        LDX16 16          ; proto dport\n"
    "        SWAP\n"
    "        PUSH 17\n"
    "        JEQ udp           ; dport\n"
    "        DUP\n"
    "        PUSH 80\n"
    "        JEQ accept\n"
    "        DUP\n"
    "        PUSH 443\n"
    "        JEQ accept\n"
    "        DUP\n"
    "        PUSH 22\n"
    "        JEQ accept\n"
    "        DUP\n"
    "        PUSH 25\n"
    "        JEQ accept\n"
    "        PUSH 993\n"
    "        JEQ accept\n"
    "drop:   RET 0\n"
    "udp:    DUP\n"
    "        PUSH 53\n"
    "        JEQ accept\n"
    "        PUSH 123\n"
    "        JEQ accept\n"
    "        RET 0\n"
    "accept: RET 1\n";

/* The manual's text (VFLisp DSL, "Multi-condition Filters"), as printed. */
static const char vfl_enterprise[] =
    "; Enterprise traffic policy\n"
    "(if (= ethertype 0x0800)               ; IPv4 only\n"
    "    (if (= proto 6)                    ; TCP traffic\n"
    "        (or (= dst-port 80)            ; HTTP\n"
    "            (= dst-port 443)           ; HTTPS\n"
    "            (= dst-port 22)            ; SSH\n"
    "            (= dst-port 25)            ; SMTP\n"
    "            (= dst-port 993))          ; IMAPS\n"
    "        (if (= proto 17)               ; UDP traffic\n"
    "            (or (= dst-port 53)        ; DNS\n"
    "                (= dst-port 123))      ; NTP\n"
    "            0))                        ; Block other protocols\n"
    "    1)                                 ; Accept non-IPv4\n";

static int c_enterprise(const uint8_t *p, uint32_t n)
{
    if (n < 14)
        return 0;
    if (be16(p + 12) != 0x0800)
        return 1;
    if (n < 24 || (p[23] != 6 && p[23] != 17) || (be16(p + 20) & 0x1fff) != 0)
        return 0;
    uint32_t x = (uint32_t)(p[14] & 0x0f) * 4;
    if (n < x + 18)
        return 0;
    uint32_t dport = be16(p + x + 16);
    if (p[23] == 6)
        return dport == 80 || dport == 443 || dport == 22 || dport == 25 || dport == 993;
    return dport == 53 || dport == 123;
}

const bench_filter_t bench_filters[] = {
    {"ip", "ip", asm_ip, "(= ethertype 0x0800)", c_ip},
    {"tcp-dst-80", "ip and tcp and dst port 80", asm_tcp_dst80,
     "(and (= proto 6) (= dst-port 80))", c_tcp_dst80},
    {"web-dns", "ip and ((tcp and (dst port 80 or dst port 443)) or (udp and port 53))",
     asm_web_dns,
     "(or (and (= proto 6) (or (= dst-port 80) (= dst-port 443)))\n"
     "    (and (= proto 17) (or (= src-port 53) (= dst-port 53))))",
     c_web_dns},
    {"enterprise",
     "not ip or (tcp and (dst port 80 or dst port 443 or dst port 22 or dst port 25 or "
     "dst port 993)) or (udp and (dst port 53 or dst port 123))",
     asm_enterprise, vfl_enterprise, c_enterprise},
    {"udp-large", "ip and udp and ip[2:2] > 1400", asm_udp_large,
     "(and (= proto 17) (> ip-len 1400))", c_udp_large},
};
const unsigned bench_nfilters = sizeof bench_filters / sizeof bench_filters[0];
