/*
 * pktgen.h - build Ethernet frames byte by byte, deterministically.
 *
 * A test-support library (not part of libvfm): the capture generator
 * (vfm-gen-mix) and the benchmark (vfm-bench --synth) use it.  Frames are
 * written front to back into a caller buffer (pg_put_*); pg_finish() then
 * fills the length fields and checksums of the IPv4/IPv6 header and the
 * TCP/UDP/ICMP/ICMPv6 header that were put.  Errors are sticky: once the
 * buffer is full every pg_put_* is a no-op and pg_finish() returns -1, so a
 * caller checks once.
 *
 * Randomness comes only from pg_rng_t (xorshift64*, seeded through
 * splitmix64), never from rand(): the same seed gives the same bytes on
 * every host.
 */
#ifndef VFM_PKTGEN_H
#define VFM_PKTGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PRNG ----------------------------------------------------------------- */

typedef struct pg_rng {
    uint64_t s; /* never 0 */
} pg_rng_t;

/** Seed the generator; every seed (0 included) gives a distinct valid state. */
void pg_rng_seed(pg_rng_t *r, uint64_t seed);

/** Next 64 random bits. */
uint64_t pg_rng_next(pg_rng_t *r);

/** Uniform in [0, n) (n > 0; 0 when n == 0). */
uint32_t pg_rng_below(pg_rng_t *r, uint32_t n);

/** Uniform in [lo, hi] (inclusive; lo when hi < lo). */
uint32_t pg_rng_range(pg_rng_t *r, uint32_t lo, uint32_t hi);

/** 1 with probability permille/1000. */
int pg_rng_chance(pg_rng_t *r, uint32_t permille);

/** Fill @p n bytes with random data. */
void pg_rng_fill(pg_rng_t *r, uint8_t *p, size_t n);

/* ---- frame builder -------------------------------------------------------- */

#define PG_FRAME_MAX 9216 /* largest frame we build (jumbo-sized scratch) */
#define PG_ETH_MIN 60     /* minimum Ethernet frame without FCS */
#define PG_NONE ((size_t)-1)

/* EtherTypes and IP protocol numbers used by the builder. */
#define PG_ETH_IPV4 0x0800
#define PG_ETH_ARP 0x0806
#define PG_ETH_VLAN 0x8100
#define PG_ETH_QINQ 0x88a8
#define PG_ETH_IPV6 0x86dd
#define PG_IP_HOPOPT 0
#define PG_IP_ICMP 1
#define PG_IP_IGMP 2
#define PG_IP_TCP 6
#define PG_IP_UDP 17
#define PG_IP_ICMPV6 58

/* TCP flags. */
#define PG_TCP_FIN 0x01
#define PG_TCP_SYN 0x02
#define PG_TCP_RST 0x04
#define PG_TCP_PSH 0x08
#define PG_TCP_ACK 0x10

typedef struct pg_frame {
    uint8_t *p;    /* the caller's buffer */
    size_t cap;    /* its size */
    size_t len;    /* bytes written so far */
    int err;       /* sticky: a put did not fit */
    int ipver;     /* 4, 6, or 0 when no IP header was put */
    size_t l3;     /* offset of the IP header, or PG_NONE */
    size_t l4;     /* offset of the transport header, or PG_NONE */
    uint8_t proto; /* transport protocol at l4 (for the checksum) */
} pg_frame_t;

/** Start an empty frame in @p buf (@p cap bytes). */
void pg_frame_init(pg_frame_t *f, uint8_t *buf, size_t cap);

void pg_put_u8(pg_frame_t *f, uint8_t v);
void pg_put_be16(pg_frame_t *f, uint16_t v);
void pg_put_be32(pg_frame_t *f, uint32_t v);
void pg_put_bytes(pg_frame_t *f, const void *data, size_t n);
/** Put a NUL-free string without its terminator. */
void pg_put_str(pg_frame_t *f, const char *s);
/** Put @p n random bytes. */
void pg_put_random(pg_frame_t *f, pg_rng_t *r, size_t n);
/** Reserve @p n bytes (zeroed) and return their offset (PG_NONE on overflow). */
size_t pg_put_zero(pg_frame_t *f, size_t n);

/** Ethernet II header; @p type is the EtherType (or a VLAN TPID). */
void pg_put_eth(pg_frame_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

/** One VLAN tag body after a TPID: TCI (PCP 3 bits, DEI, VID 12 bits) and the next type. */
void pg_put_vlan(pg_frame_t *f, uint16_t tci, uint16_t type);

/** ARP for IPv4 over Ethernet; @p op 1 = request, 2 = reply. */
void pg_put_arp(pg_frame_t *f, uint16_t op, const uint8_t sha[6], uint32_t spa,
                const uint8_t tha[6], uint32_t tpa);

typedef struct pg_ipv4 {
    uint8_t tos;
    uint16_t id;
    uint16_t frag;       /* flags (DF 0x4000, MF 0x2000) | offset in 8-byte units */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src, dst;   /* host order */
    const uint8_t *opts; /* IP options, padded by the caller to a multiple of 4 */
    size_t optlen;       /* 0..40, multiple of 4 */
} pg_ipv4_t;

#define PG_IP_DF 0x4000
#define PG_IP_MF 0x2000

/** IPv4 header (IHL from optlen); total length and checksum are set by pg_finish(). */
void pg_put_ipv4(pg_frame_t *f, const pg_ipv4_t *h);

/** IPv6 header; payload length is set by pg_finish(). */
void pg_put_ipv6(pg_frame_t *f, uint8_t tclass, uint32_t flow, uint8_t next, uint8_t hlim,
                 const uint8_t src[16], const uint8_t dst[16]);

/**
 * An 8-byte hop-by-hop options header carrying a Router Alert (MLD) and
 * padding; @p next is the header after it.  The IPv6 header must say
 * PG_IP_HOPOPT.
 */
void pg_put_ipv6_hbh_ra(pg_frame_t *f, uint8_t next);

/** TCP header with @p optlen (multiple of 4, <= 40) option bytes; checksum by pg_finish(). */
void pg_put_tcp(pg_frame_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen);

/** UDP header; length and checksum by pg_finish(). */
void pg_put_udp(pg_frame_t *f, uint16_t sport, uint16_t dport);

/** ICMP header (type, code, checksum, 4 bytes of @p rest); checksum by pg_finish(). */
void pg_put_icmp(pg_frame_t *f, uint8_t type, uint8_t code, uint32_t rest);

/** ICMPv6 header, as pg_put_icmp(); checksum (with pseudo-header) by pg_finish(). */
void pg_put_icmp6(pg_frame_t *f, uint8_t type, uint8_t code, uint32_t rest);

/** IGMPv2 message (8 bytes, checksum included). */
void pg_put_igmp2(pg_frame_t *f, uint8_t type, uint8_t maxresp, uint32_t group);

/**
 * Fill the IP length, the IPv4 header checksum, the UDP length and the
 * transport checksum.  The frame must end where the IP datagram ends (pad
 * afterwards).  Returns the frame length, or -1 after an overflow.
 */
long pg_finish(pg_frame_t *f);

/** Append zero bytes up to @p min (Ethernet padding, not counted in IP lengths). */
void pg_pad_to(pg_frame_t *f, size_t min);

/** Internet checksum (RFC 1071) of @p n bytes, folded, not inverted, added to @p sum. */
uint32_t pg_csum_add(uint32_t sum, const uint8_t *p, size_t n);
/** Fold and invert a running sum into the 16-bit checksum field value. */
uint16_t pg_csum_fold(uint32_t sum);

/**
 * Write one IPv4 fragment of the finished frame @p src (@p src_len bytes,
 * IPv4 header at @p l3) into @p out: the link header, the IPv4 header
 * (options whose copy flag is clear become NOPs after the first fragment,
 * so the IHL stays), and bytes [@p off, @p off + @p n) of the original IP payload.  @p off must
 * be a multiple of 8; MF is set when @p more.  Returns the fragment length
 * or -1 when it does not fit or the arguments are inconsistent.
 */
long pg_ipv4_fragment(const uint8_t *src, size_t src_len, size_t l3, size_t off, size_t n,
                      int more, uint8_t *out, size_t out_cap);

#ifdef __cplusplus
}
#endif
#endif /* VFM_PKTGEN_H */
