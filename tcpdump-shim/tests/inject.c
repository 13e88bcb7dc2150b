/*
 * inject.c - send a fixed set of Ethernet frames out of an interface
 * through an AF_PACKET socket, for the live capture test (live-netns.sh).
 *
 * Usage: inject IFNAME       send every frame once
 *        inject --list       print "N description" for each frame
 *
 * Frame N has source MAC 02:00:00:00:00:N, so a capture tells which frames
 * a filter let through.  VLAN tags are in the bytes we send; the receiving
 * side's kernel removes the outer one before packet sockets see the frame,
 * which is what the live VLAN handling must cope with.  Nothing is sent to
 * an address the namespace owns, so no frame draws a reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { L4_UDP = 17, L4_TCP = 6, L4_ICMP = 1, L3_ARP = 0x0806 };

typedef struct frame {
    const char *what;
    uint16_t tpid[2]; /* outer, inner tag protocol; 0 = no tag */
    uint16_t tci[2];
    int l4;           /* L4_* or L3_ARP */
    uint16_t dport;
} frame_t;

/* The ids in live-netns.sh's expected sets are positions in this table (from 1). */
static const frame_t frames[] = {
    {"UDP to port 53", {0}, {0}, L4_UDP, 53},
    {"TCP SYN to port 80", {0}, {0}, L4_TCP, 80},
    {"ICMP echo request", {0}, {0}, L4_ICMP, 0},
    {"UDP to port 5000", {0}, {0}, L4_UDP, 5000},
    {"VLAN 100: UDP to port 53", {0x8100}, {100}, L4_UDP, 53},
    {"VLAN 200: TCP SYN to port 80", {0x8100}, {200}, L4_TCP, 80},
    {"VLAN 100: ARP request", {0x8100}, {100}, L3_ARP, 0},
    {"QinQ 300/100: UDP to port 53", {0x88a8, 0x8100}, {300, 100}, L4_UDP, 53},
    {"VLAN 0, priority 5: ICMP echo request", {0x8100}, {(5u << 13) | 0}, L4_ICMP, 0},
    {"ARP request", {0}, {0}, L3_ARP, 0},
};

static size_t put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static unsigned checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (unsigned)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (unsigned)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

/* Build frame @p id (1-based) into @p out; returns its length. */
static size_t build(unsigned id, const frame_t *f, uint8_t *out)
{
    static const uint8_t src_ip[4] = {10, 199, 0, 2}, dst_ip[4] = {10, 199, 0, 1};
    size_t n = 0;
    memset(out, 0xff, 6); /* broadcast: every packet socket on the link sees it */
    n += 6;
    memcpy(out + n, "\x02\x00\x00\x00\x00", 5);
    out[n + 5] = (uint8_t)id;
    n += 6;
    for (int t = 0; t < 2 && f->tpid[t]; t++) {
        n += put16(out + n, f->tpid[t]);
        n += put16(out + n, f->tci[t]);
    }
    if (f->l4 == L3_ARP) {
        n += put16(out + n, 0x0806);
        uint8_t *a = out + n;
        memset(a, 0, 28);
        put16(a, 1);          /* Ethernet */
        put16(a + 2, 0x0800); /* IPv4 */
        a[4] = 6, a[5] = 4;
        put16(a + 6, 1); /* request */
        memcpy(a + 8, out + 6, 6);
        memcpy(a + 14, src_ip, 4);
        memcpy(a + 24, dst_ip, 4);
        return n + 28;
    }
    n += put16(out + n, 0x0800);
    uint8_t *ip = out + n, *l4 = ip + 20;
    size_t l4len = f->l4 == L4_TCP ? 20 : 8, plen = 16;
    memset(ip, 0, 20 + l4len + plen);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(20 + l4len + plen));
    put16(ip + 4, id);
    ip[8] = 64;
    ip[9] = (uint8_t)f->l4;
    memcpy(ip + 12, src_ip, 4);
    memcpy(ip + 16, dst_ip, 4);
    put16(ip + 10, checksum(ip, 20));
    if (f->l4 == L4_ICMP) {
        l4[0] = 8; /* echo request */
        put16(l4 + 4, id);
        put16(l4 + 2, checksum(l4, l4len + plen));
    } else {
        put16(l4, 1000 + id);
        put16(l4 + 2, f->dport);
        if (f->l4 == L4_TCP) {
            l4[12] = 0x50;
            l4[13] = 0x02; /* SYN */
            put16(l4 + 14, 512);
        } else {
            put16(l4 + 4, (unsigned)(l4len + plen));
        }
    }
    memset(l4 + l4len, 'v', plen);
    return n + 20 + l4len + plen;
}

int main(int argc, char **argv)
{
    const size_t nframes = sizeof frames / sizeof frames[0];
    if (argc != 2) {
        fprintf(stderr, "usage: inject IFNAME | inject --list\n");
        return 1;
    }
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < nframes; i++)
            printf("%zu %s\n", i + 1, frames[i].what);
        return 0;
    }
    unsigned ifindex = if_nametoindex(argv[1]);
    if (!ifindex) {
        fprintf(stderr, "inject: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, receive nothing */
    if (fd < 0) {
        fprintf(stderr, "inject: AF_PACKET socket: %s\n", strerror(errno));
        return 2;
    }
    struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
    memset(to.sll_addr, 0xff, 6);
    for (size_t i = 0; i < nframes; i++) {
        uint8_t buf[128];
        size_t len = build((unsigned)(i + 1), &frames[i], buf);
        if (len < 60) { /* pad to the Ethernet minimum, as a NIC would */
            memset(buf + len, 0, 60 - len);
            len = 60;
        }
        if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)len) {
            fprintf(stderr, "inject: %s: frame %zu: %s\n", argv[1], i + 1, strerror(errno));
            close(fd);
            return 2;
        }
    }
    close(fd);
    return 0;
}
