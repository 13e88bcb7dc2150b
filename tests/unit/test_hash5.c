/* test_hash5.c - vfm_hash5 under every supported link layer; no out-of-bounds reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

enum { LT_NULL = 0, LT_ETH = 1, LT_RAW12 = 12, LT_RAW14 = 14, LT_RAW = 101, LT_LOOP = 108,
       LT_SLL = 113, LT_IPV4 = 228, LT_IPV6 = 229, LT_SLL2 = 276 };

typedef struct pkt {
    uint8_t b[256];
    size_t n;
} pkt_t;

static void put(pkt_t *p, const void *bytes, size_t n)
{
    memcpy(p->b + p->n, bytes, n);
    p->n += n;
}

static void put16(pkt_t *p, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(p, b, 2);
}

/* IPv4 + TCP/UDP/ICMP header: proto, ports, options (multiple of 4 bytes), fragment offset. */
static void ipv4(pkt_t *p, unsigned proto, unsigned sport, unsigned dport, size_t optlen,
                 unsigned frag)
{
    uint8_t ip[60] = {(uint8_t)(0x40 | (5 + optlen / 4)), 0, 0, 0, 0, 1, (uint8_t)(frag >> 8),
                      (uint8_t)frag, 64, (uint8_t)proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    for (size_t i = 0; i < optlen; i++)
        ip[20 + i] = 1; /* NOPs */
    size_t total = 20 + optlen + 8;
    ip[2] = (uint8_t)(total >> 8), ip[3] = (uint8_t)total;
    put(p, ip, 20 + optlen);
    put16(p, sport);
    put16(p, dport);
    put16(p, 8);
    put16(p, 0);
}

static void ipv6(pkt_t *p, unsigned proto, unsigned sport, unsigned dport, int hbh)
{
    uint8_t ip[40] = {0x60, 0, 0, 0, 0, (uint8_t)(hbh ? 16 : 8), (uint8_t)(hbh ? 0 : proto), 64};
    ip[8] = 0x20, ip[9] = 0x01, ip[23] = 1;
    ip[24] = 0x20, ip[25] = 0x01, ip[39] = 2;
    put(p, ip, 40);
    if (hbh) {
        uint8_t h[8] = {(uint8_t)proto, 0, 1, 4, 0, 0, 0, 0};
        put(p, h, 8);
    }
    put16(p, sport);
    put16(p, dport);
    put16(p, 8);
    put16(p, 0);
}

static void eth(pkt_t *p, unsigned type, int vlans)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    put(p, macs, 12);
    for (int i = 0; i < vlans; i++) {
        put16(p, i == 0 && vlans == 2 ? 0x88a8 : 0x8100);
        put16(p, 100 + i);
    }
    put16(p, type);
}

static void sll(pkt_t *p, unsigned type)
{
    static const uint8_t h[14] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    put(p, h, 14);
    put16(p, type);
}

static void sll2(pkt_t *p, unsigned type)
{
    put16(p, type);
    static const uint8_t h[18] = {0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    put(p, h, 18);
}

static void loopback(pkt_t *p, uint32_t af, int network_order)
{
    uint8_t h[4];
    for (int i = 0; i < 4; i++)
        h[i] = (uint8_t)(af >> (network_order ? 24 - 8 * i : 8 * i));
    put(p, h, 4);
}

/* vfm_hash5 of an exact-size heap copy, so an over-read trips the sanitizer. */
static uint64_t h5(const uint8_t *b, size_t n, int lt)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, b, n);
    uint64_t h = vfm_hash5(copy, n, lt);
    free(copy);
    return h;
}

static uint64_t hp(const pkt_t *p, int lt) { return h5(p->b, p->n, lt); }

/* One TCP 5-tuple under every link layer hashes alike. */
static void test_same_tuple_every_linktype(void)
{
    pkt_t p;
    memset(&p, 0, sizeof p);
    ipv4(&p, 6, 1234, 80, 0, 0);
    uint64_t want = hp(&p, LT_RAW);
    CU_ASSERT_NOT_EQUAL(want, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_RAW12), want);
    CU_ASSERT_EQUAL(hp(&p, LT_RAW14), want);
    CU_ASSERT_EQUAL(hp(&p, LT_IPV4), want);
    struct {
        const char *what;
        int lt;
        void (*frame)(pkt_t *, unsigned);
    } l2[] = {{"sll", LT_SLL, sll}, {"sll2", LT_SLL2, sll2}};
    for (int v = 0; v <= 2; v++) {
        memset(&p, 0, sizeof p);
        eth(&p, 0x0800, v);
        ipv4(&p, 6, 1234, 80, 0, 0);
        CU_ASSERT_EQUAL(hp(&p, LT_ETH), want);
    }
    for (size_t i = 0; i < UNIT_ARRAY_LEN(l2); i++) {
        memset(&p, 0, sizeof p);
        l2[i].frame(&p, 0x0800);
        ipv4(&p, 6, 1234, 80, 0, 0);
        if (hp(&p, l2[i].lt) != want)
            printf("\n  %s differs\n", l2[i].what);
        CU_ASSERT_EQUAL(hp(&p, l2[i].lt), want);
    }
    for (int order = 0; order < 2; order++) {
        memset(&p, 0, sizeof p);
        loopback(&p, 2, order);
        ipv4(&p, 6, 1234, 80, 0, 0);
        CU_ASSERT_EQUAL(hp(&p, LT_NULL), want);
        CU_ASSERT_EQUAL(hp(&p, LT_LOOP), want);
    }
    /* options (IHL > 5) do not change the tuple */
    memset(&p, 0, sizeof p);
    eth(&p, 0x0800, 0);
    ipv4(&p, 6, 1234, 80, 12, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_ETH), want);
    memset(&p, 0, sizeof p);
    ipv4(&p, 6, 1234, 80, 40, 0); /* IHL 15 */
    CU_ASSERT_EQUAL(hp(&p, LT_RAW), want);
}

static void test_ipv6_every_linktype(void)
{
    pkt_t p;
    memset(&p, 0, sizeof p);
    ipv6(&p, 17, 53, 5353, 0);
    uint64_t want = hp(&p, LT_RAW);
    CU_ASSERT_NOT_EQUAL(want, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_IPV6), want);
    memset(&p, 0, sizeof p);
    ipv6(&p, 17, 53, 5353, 1); /* hop-by-hop header first */
    CU_ASSERT_EQUAL(hp(&p, LT_RAW), want);
    memset(&p, 0, sizeof p);
    eth(&p, 0x86dd, 1);
    ipv6(&p, 17, 53, 5353, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_ETH), want);
    memset(&p, 0, sizeof p);
    sll(&p, 0x86dd);
    ipv6(&p, 17, 53, 5353, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_SLL), want);
    memset(&p, 0, sizeof p);
    sll2(&p, 0x86dd);
    ipv6(&p, 17, 53, 5353, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_SLL2), want);
    static const uint32_t afs[] = {10, 24, 28, 30};
    for (size_t i = 0; i < UNIT_ARRAY_LEN(afs); i++) {
        memset(&p, 0, sizeof p);
        loopback(&p, afs[i], 0);
        ipv6(&p, 17, 53, 5353, 0);
        CU_ASSERT_EQUAL(hp(&p, LT_NULL), want);
    }
}

/* What goes into the hash: protocol, addresses, ports (when the protocol has them). */
static void test_tuple_fields(void)
{
    pkt_t a, b;
    memset(&a, 0, sizeof a);
    ipv4(&a, 6, 1234, 80, 0, 0);
    uint64_t base = hp(&a, LT_RAW);
    memcpy(&b, &a, sizeof a);
    b.b[20 + 3] ^= 1; /* dport */
    CU_ASSERT_NOT_EQUAL(hp(&b, LT_RAW), base);
    memcpy(&b, &a, sizeof a);
    b.b[20 + 0] ^= 1; /* sport */
    CU_ASSERT_NOT_EQUAL(hp(&b, LT_RAW), base);
    memcpy(&b, &a, sizeof a);
    b.b[15] ^= 1; /* source address */
    CU_ASSERT_NOT_EQUAL(hp(&b, LT_RAW), base);
    memcpy(&b, &a, sizeof a);
    b.b[19] ^= 1; /* destination address */
    CU_ASSERT_NOT_EQUAL(hp(&b, LT_RAW), base);
    memcpy(&b, &a, sizeof a);
    b.b[9] = 17; /* protocol */
    CU_ASSERT_NOT_EQUAL(hp(&b, LT_RAW), base);
    memcpy(&b, &a, sizeof a);
    b.b[8] = 1; /* TTL, id, checksum: not part of the tuple */
    b.b[4] = 0x77;
    b.b[10] = 0x55;
    CU_ASSERT_EQUAL(hp(&b, LT_RAW), base);
    /* ICMP has no ports: the bytes after the header do not count */
    memset(&a, 0, sizeof a);
    ipv4(&a, 1, 0x0800, 1, 0, 0);
    memset(&b, 0, sizeof b);
    ipv4(&b, 1, 0x0000, 2, 0, 0);
    CU_ASSERT_EQUAL(hp(&a, LT_RAW), hp(&b, LT_RAW));
    CU_ASSERT_NOT_EQUAL(hp(&a, LT_RAW), 0);
    /* a non-first fragment has no ports either */
    memset(&a, 0, sizeof a);
    ipv4(&a, 6, 1, 2, 0, 100);
    memset(&b, 0, sizeof b);
    ipv4(&b, 6, 3, 4, 0, 100);
    CU_ASSERT_EQUAL(hp(&a, LT_RAW), hp(&b, LT_RAW));
    /* the first fragment (offset 0, more-fragments set) does */
    memset(&a, 0, sizeof a);
    ipv4(&a, 6, 1234, 80, 0, 0x2000);
    CU_ASSERT_EQUAL(hp(&a, LT_RAW), base);
}

static void test_not_ip(void)
{
    pkt_t p;
    memset(&p, 0, sizeof p);
    eth(&p, 0x0806, 0);
    put(&p, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
    CU_ASSERT_EQUAL(hp(&p, LT_ETH), 0);
    /* ethertype says IPv4 but the version nibble says 6: not trusted */
    memset(&p, 0, sizeof p);
    eth(&p, 0x0800, 0);
    ipv6(&p, 6, 1, 2, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_ETH), 0);
    /* raw IP with a bad version */
    memset(&p, 0, sizeof p);
    ipv4(&p, 6, 1, 2, 0, 0);
    p.b[0] = 0x55;
    CU_ASSERT_EQUAL(hp(&p, LT_RAW), 0);
    /* an IPv4 header with IHL < 5 still hashes (addresses), but deterministically */
    memset(&p, 0, sizeof p);
    ipv4(&p, 6, 1, 2, 0, 0);
    p.b[0] = 0x43;
    CU_ASSERT_EQUAL(hp(&p, LT_RAW), hp(&p, LT_RAW));
    /* unsupported link type, NULL packet, empty packet */
    memset(&p, 0, sizeof p);
    ipv4(&p, 6, 1, 2, 0, 0);
    CU_ASSERT_EQUAL(hp(&p, 9999), 0);
    CU_ASSERT_EQUAL(hp(&p, -1), 0);
    CU_ASSERT_EQUAL(vfm_hash5(NULL, 100, LT_RAW), 0);
    CU_ASSERT_EQUAL(h5(p.b, 0, LT_RAW), 0);
    CU_ASSERT_EQUAL(h5(p.b, 0, LT_IPV4), 0);
    /* loopback with an unknown family */
    memset(&p, 0, sizeof p);
    loopback(&p, 7, 0);
    ipv4(&p, 6, 1, 2, 0, 0);
    CU_ASSERT_EQUAL(hp(&p, LT_NULL), 0);
}

/* Every prefix of every packet: no over-read (sanitizers), 0 while the IP header is incomplete. */
static void test_truncation(void)
{
    pkt_t pk[12];
    int lt[12];
    size_t l3[12], iphdr[12];
    int n = 0;
#define ADD(lt_, l3_, hdr_, build)                                                                \
    do {                                                                                          \
        memset(&pk[n], 0, sizeof pk[n]);                                                          \
        pkt_t *p = &pk[n];                                                                        \
        build;                                                                                    \
        lt[n] = lt_, l3[n] = l3_, iphdr[n] = hdr_;                                                \
        n++;                                                                                      \
    } while (0)
    ADD(LT_ETH, 14, 20, (eth(p, 0x0800, 0), ipv4(p, 6, 1, 2, 0, 0)));
    ADD(LT_ETH, 22, 20, (eth(p, 0x0800, 2), ipv4(p, 17, 1, 2, 0, 0)));
    ADD(LT_ETH, 14, 20, (eth(p, 0x0800, 0), ipv4(p, 6, 1, 2, 40, 0)));
    ADD(LT_ETH, 18, 40, (eth(p, 0x86dd, 1), ipv6(p, 6, 1, 2, 1)));
    ADD(LT_RAW, 0, 20, ipv4(p, 6, 1, 2, 8, 0));
    ADD(LT_IPV6, 0, 40, ipv6(p, 17, 1, 2, 0));
    ADD(LT_SLL, 16, 20, (sll(p, 0x0800), ipv4(p, 6, 1, 2, 0, 0)));
    ADD(LT_SLL2, 20, 40, (sll2(p, 0x86dd), ipv6(p, 6, 1, 2, 1)));
    ADD(LT_NULL, 4, 20, (loopback(p, 2, 0), ipv4(p, 6, 1, 2, 0, 0)));
    ADD(LT_LOOP, 4, 40, (loopback(p, 30, 1), ipv6(p, 6, 1, 2, 0)));
#undef ADD
    for (int i = 0; i < n; i++) {
        uint64_t full = hp(&pk[i], lt[i]);
        CU_ASSERT_NOT_EQUAL(full, 0);
        for (size_t len = 0; len <= pk[i].n; len++) {
            uint64_t h = h5(pk[i].b, len, lt[i]);
            if (len < l3[i] + iphdr[i])
                CU_ASSERT_EQUAL(h, 0);
            if (len == pk[i].n)
                CU_ASSERT_EQUAL(h, full);
        }
    }
    /* IPv6 extension-header walk on a truncated chain */
    pkt_t p;
    memset(&p, 0, sizeof p);
    ipv6(&p, 6, 1, 2, 1);
    p.b[40 + 1] = 200; /* hop-by-hop claims 1608 bytes */
    for (size_t len = 0; len <= p.n; len++)
        h5(p.b, len, LT_RAW);
}

/* White box: where the IP header is. */
static void test_l3_offset(void)
{
    pkt_t p;
    size_t l3 = 999;
    memset(&p, 0, sizeof p);
    eth(&p, 0x0800, 2);
    ipv4(&p, 6, 1, 2, 0, 0);
    CU_ASSERT_EQUAL(vfmi_l3_offset(p.b, p.n, LT_ETH, &l3), 4);
    CU_ASSERT_EQUAL(l3, 22);
    memset(&p, 0, sizeof p);
    sll2(&p, 0x86dd);
    ipv6(&p, 6, 1, 2, 0);
    CU_ASSERT_EQUAL(vfmi_l3_offset(p.b, p.n, LT_SLL2, &l3), 6);
    CU_ASSERT_EQUAL(l3, 20);
    /* three tags is one too many */
    memset(&p, 0, sizeof p);
    eth(&p, 0x8100, 2);
    put16(&p, 5);
    put16(&p, 0x0800);
    ipv4(&p, 6, 1, 2, 0, 0);
    CU_ASSERT_EQUAL(vfmi_l3_offset(p.b, p.n, LT_ETH, &l3), 0);
    CU_ASSERT(vfmi_linktype_supported(LT_SLL2));
    CU_ASSERT(!vfmi_linktype_supported(2));
}

/* The HASH5 instruction pushes what vfm_hash5 computes, under the VM's linktype. */
static void test_instruction_matches_function(void)
{
    pkt_t p;
    memset(&p, 0, sizeof p);
    sll(&p, 0x0800);
    ipv4(&p, 17, 53, 9999, 0, 0);
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_set_linktype(vm, LT_SLL), VFM_SUCCESS);
    uint32_t len;
    uint8_t *code = unit_asm("HASH5\nRET", &len, 0);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    uint64_t r;
    CU_ASSERT_EQUAL(vfm_run(vm, p.b, p.n, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, vfm_hash5(p.b, p.n, LT_SLL));
    CU_ASSERT_NOT_EQUAL(r, 0);
    /* the default linktype is Ethernet: the same bytes are not IP there */
    vfm_destroy(vm);
    vm = vfm_create();
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_run(vm, p.b, p.n, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, vfm_hash5(p.b, p.n, LT_ETH));
    vfm_destroy(vm);
    free(code);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"one IPv4 tuple, every linktype", test_same_tuple_every_linktype},
        {"one IPv6 tuple, every linktype", test_ipv6_every_linktype},
        {"what the tuple includes", test_tuple_fields},
        {"not IP gives 0", test_not_ip},
        {"truncated packets", test_truncation},
        {"vfmi_l3_offset", test_l3_offset},
        {"HASH5 equals vfm_hash5", test_instruction_matches_function},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"hash5", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
