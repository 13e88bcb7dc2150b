/*
 * fields.c - the packet fields VFLisp names, and the code that reads them.
 *
 * A field is read the way libpcap reads its tcpdump equivalent (same loads,
 * in the same order), so a comparison on it accepts the same packets and a
 * packet too short for a load is rejected exactly when tcpdump rejects it.
 * When the packet does not have the field (proto of an ARP frame, dst-port of
 * an ICMP packet or of a non-first fragment), the code jumps to `fail`,
 * which makes the enclosing comparison false, like libpcap's protocol checks.
 * Offsets below are from the start of the IP header (or of the transport
 * header, found through the real IPv4 header length).
 */
#include <string.h>

#include "internal.h"
#include "vfm/bpf.h"
#include "vfm/isa.h"

static uint8_t ld_op(unsigned bits)
{
    return bits == 8    ? VFM_OP_LD8
           : bits == 16 ? VFM_OP_LD16
           : bits == 32 ? VFM_OP_LD32
                        : VFM_OP_LD64;
}

static uint8_t ldx_op(unsigned bits)
{
    return bits == 8    ? VFM_OP_LDX8
           : bits == 16 ? VFM_OP_LDX16
           : bits == 32 ? VFM_OP_LDX32
                        : VFM_OP_LDX64;
}

/* ethertype: the link's protocol field; made up from the IP version on links without one. */
static void gen_ethertype(lower_t *L, const field_t *f, int fail)
{
    emitter_t *e = &L->e;
    (void)f;
    if (L->link->kind == LK_ETHER) {
        if (e->facts.flags & FACT_ETYPE)
            vfli_emit_push(e, e->facts.etype);
        else
            vfli_emit_op(e, VFM_OP_LD16, L->link->etype_off);
        return;
    }
    int v6 = vfli_emit_label(e), done = vfli_emit_label(e);
    vfli_gen_fam_test(L, FAM_V4, false, v6);
    vfli_emit_push(e, 0x0800);
    vfli_emit_jump(e, VFM_OP_JMP, done, NULL);
    vfli_emit_bind(e, v6);
    vfli_gen_fam_test(L, FAM_V6, false, fail);
    vfli_emit_push(e, 0x86dd);
    vfli_emit_bind(e, done);
}

/* A field of the IPv4 header. */
static void gen_ip4(lower_t *L, const field_t *f, int fail)
{
    if (!vfli_need_v4(L, fail))
        return;
    int known = f->set_field == SETF_PROTO4 ? vfli_set_single(L->e.facts.proto) : -1;
    if (known >= 0)
        vfli_emit_push(&L->e, (uint64_t)known);
    else
        vfli_emit_op(&L->e, ld_op(f->bits), L->link->l3 + f->arg);
}

/* ip-hl: the header length in bytes. */
static void gen_ip4_hl(lower_t *L, const field_t *f, int fail)
{
    (void)f;
    if (vfli_need_v4(L, fail))
        vfli_gen_ihl(L);
}

/* ip-frag-offset: ip[6:2] & 0x1fff (in 8-byte units). */
static void gen_ip4_fragoff(lower_t *L, const field_t *f, int fail)
{
    (void)f;
    if (!vfli_need_v4(L, fail))
        return;
    vfli_emit_op(&L->e, VFM_OP_LD16, L->link->l3 + 6u);
    vfli_emit_push(&L->e, 0x1fff);
    vfli_emit_op(&L->e, VFM_OP_AND, 0);
}

/* A field of the IPv6 fixed header. */
static void gen_ip6(lower_t *L, const field_t *f, int fail)
{
    if (!vfli_need_v6(L, fail))
        return;
    int known = f->set_field == SETF_NH6 ? vfli_set_single(L->e.facts.nh6) : -1;
    if (known >= 0)
        vfli_emit_push(&L->e, (uint64_t)known);
    else
        vfli_emit_op(&L->e, ld_op(f->bits), L->link->l3 + f->arg);
}

/* A transport-header field over IPv4, first fragments only (libpcap's tcp[], udp[], icmp[]). */
static void gen_l4v4(lower_t *L, const field_t *f, int fail)
{
    uint64_t set[4] = {0};
    set[f->l4proto / 64] |= 1ull << (f->l4proto % 64);
    if (!vfli_need_v4(L, fail) || !vfli_need_proto4(L, set, fail) || !vfli_need_nofrag4(L, fail))
        return;
    vfli_gen_ihl(L);
    vfli_emit_op(&L->e, ldx_op(f->bits), L->link->l3 + f->arg);
}

/* TCP, UDP or SCTP: the protocols that have ports (libpcap's `port`). */
static const uint64_t port_protos[4] = {(1ull << 6) | (1ull << 17), 0, (1ull << (132 - 128)), 0};

/* src-port / dst-port: IPv4 (first fragments, behind the real header length) or IPv6. */
static void gen_port(lower_t *L, const field_t *f, int fail)
{
    emitter_t *e = &L->e;
    bool v4 = e->facts.fam & FAM_V4, v6 = e->facts.fam & FAM_V6;
    int to_v6 = -1, done = -1;
    if (!v4 && !v6) {
        vfli_emit_jump(e, VFM_OP_JMP, fail, NULL);
        return;
    }
    if (v4 && v6) {
        to_v6 = vfli_emit_label(e);
        done = vfli_emit_label(e);
        vfli_gen_fam_test(L, FAM_V4, false, to_v6);
    }
    if (v4 && vfli_need_v4(L, fail) && vfli_need_proto4(L, port_protos, fail) &&
        vfli_need_nofrag4(L, fail)) {
        vfli_gen_ihl(L);
        vfli_emit_op(e, VFM_OP_LDX16, L->link->l3 + f->arg);
    }
    if (v4 && v6) {
        vfli_emit_jump(e, VFM_OP_JMP, done, NULL);
        vfli_emit_bind(e, to_v6);
    }
    if (v6 && vfli_need_v6(L, fail) && vfli_need_nh6(L, port_protos, fail))
        vfli_emit_op(e, VFM_OP_LD16, L->link->l3 + 40u + f->arg);
    if (done >= 0)
        vfli_emit_bind(e, done);
}

/* Continue only on a VLAN-tagged Ethernet frame (libpcap's `vlan`: TPID 0x8100, 0x88a8, 0x9100). */
static bool need_vlan(lower_t *L, int fail)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return false;
    if (L->link->linktype != VFL_LINKTYPE_ETHERNET) {
        vfli_emit_jump(e, VFM_OP_JMP, fail, NULL); /* other links carry tags out of band */
        return false;
    }
    if ((e->facts.flags & FACT_ETYPE) &&
        (e->facts.etype == 0x8100 || e->facts.etype == 0x88a8 || e->facts.etype == 0x9100))
        return true;
    /* An IPv4/IPv6 packet is not tagged (its ethertype is 0x0800/0x86dd). */
    if (!(e->facts.fam & FAM_OTHER)) {
        vfli_emit_jump(e, VFM_OP_JMP, fail, NULL);
        return false;
    }
    int ok = vfli_emit_label(e);
    vfli_emit_op(e, VFM_OP_LD16, 12);
    vfli_emit_op(e, VFM_OP_DUP, 0);
    vfli_emit_push(e, 0x8100);
    vfli_emit_jump(e, VFM_OP_JEQ, ok, NULL);
    vfli_emit_op(e, VFM_OP_DUP, 0);
    vfli_emit_push(e, 0x88a8);
    vfli_emit_jump(e, VFM_OP_JEQ, ok, NULL);
    vfli_emit_push(e, 0x9100);
    vfli_emit_jump(e, VFM_OP_JNE, fail, NULL);
    vfli_emit_bind(e, ok);
    e->facts.fam = FAM_OTHER;
    return e->live;
}

/*
 * vlan-id (@p id) or vlan-ethertype: the outer tag's id, or the EtherType
 * after it.  In a saved capture the tag is in the packet (ether[14:2] and
 * ether[16:2]).  On a live Linux capture (options.live) the kernel has
 * usually removed it before the socket filter runs and passes it as
 * ancillary data; libpcap's `vlan` then tests that first and falls back to
 * a tag still in the packet (tcpdump -d -i IF 'vlan 100': ldb [vlanp],
 * ld [vlan_tci], else the in-packet test).  With the tag removed, the
 * EtherType after it is the one at ether[12:2] (libpcap's `vlan and ip`
 * reads [x + 12] with x = 0 there).
 */
static void gen_vlan_field(lower_t *L, bool id, int fail)
{
    emitter_t *e = &L->e;
    int done = -1;
    if (e->live && L->c->kernel_vlan && L->link->linktype == VFL_LINKTYPE_ETHERNET) {
        int in_packet = vfli_emit_label(e);
        done = vfli_emit_label(e);
        vfli_emit_call(e, VFM_HELPER_VLAN_AVAIL, 0, 1);
        vfli_emit_jump(e, VFM_OP_JZ, in_packet, NULL);
        if (id)
            vfli_emit_call(e, VFM_HELPER_VLAN_TCI, 0, 1);
        else if (e->facts.flags & FACT_ETYPE)
            vfli_emit_push(e, e->facts.etype);
        else
            vfli_emit_op(e, VFM_OP_LD16, L->link->etype_off);
        vfli_emit_jump(e, VFM_OP_JMP, done, NULL);
        vfli_emit_bind(e, in_packet);
    }
    if (need_vlan(L, fail))
        vfli_emit_op(e, VFM_OP_LD16, id ? 14 : 16);
    if (done >= 0)
        vfli_emit_bind(e, done);
    if (id) {
        vfli_emit_push(e, 0x0fff);
        vfli_emit_op(e, VFM_OP_AND, 0);
    }
}

static void gen_vlan(lower_t *L, const field_t *f, int fail)
{
    (void)f;
    gen_vlan_field(L, true, fail);
}

static void gen_vlan_etype(lower_t *L, const field_t *f, int fail)
{
    (void)f;
    gen_vlan_field(L, false, fail);
}

static void gen_caplen(lower_t *L, const field_t *f, int fail)
{
    (void)f, (void)fail;
    vfli_emit_op(&L->e, VFM_OP_LEN, 0);
}

/* app: the nDPI classification of the packet's flow, from the caller's helper; absent without a flow. */
static void gen_app(lower_t *L, const field_t *f, int fail)
{
    emitter_t *e = &L->e;
    (void)f;
    vfli_emit_call(e, VFM_HELPER_APP, 0, 1);
    vfli_emit_op(e, VFM_OP_DUP, 0);
    vfli_emit_push(e, VFL_APP_NO_FLOW);
    vfli_emit_jump(e, VFM_OP_JEQ, fail, NULL);
}

static void gen_hash(lower_t *L, const field_t *f, int fail)
{
    (void)f, (void)fail;
    vfli_emit_op(&L->e, VFM_OP_HASH5, 0);
}

/* IPv6 addresses are compared by in-net / = only (vfli_lower_in6_branch reads arg). */
static void gen_addr6(lower_t *L, const field_t *f, int fail)
{
    (void)f, (void)fail;
    vfli_fail(L->c, VFM_ERROR_VERIFICATION_FAILED,
              "internal compiler error: IPv6 address as a value");
}

#define IP4(nm, bits, off, td, d)                                                                  \
    {                                                                                              \
        nm, T_INT, bits, td, d, gen_ip4, off, 0, SETF_NONE                                         \
    }
#define IP6(nm, bits, off, td, d)                                                                  \
    {                                                                                              \
        nm, T_INT, bits, td, d, gen_ip6, off, 0, SETF_NONE                                         \
    }
#define L4(nm, bits, off, proto, td, d)                                                            \
    {                                                                                              \
        nm, T_INT, bits, td, d, gen_l4v4, off, proto, SETF_NONE                                    \
    }

static const field_t fields[] = {
    /* the manual's fields */
    {"ethertype", T_INT, 16, "ether[12:2]", "link-layer protocol (EtherType)", gen_ethertype, 0, 0,
     SETF_ETYPE},
    {"proto", T_INT, 8, "ip[9]", "IPv4 protocol (6 TCP, 17 UDP, 1 ICMP)", gen_ip4, 9, 0,
     SETF_PROTO4},
    IP4("src-ip", 32, 12, "ip[12:4]", "IPv4 source address"),
    IP4("dst-ip", 32, 16, "ip[16:4]", "IPv4 destination address"),
    {"src-port", T_INT, 16, "src port N", "TCP/UDP/SCTP source port (IPv4 or IPv6)", gen_port, 0, 0,
     SETF_NONE},
    {"dst-port", T_INT, 16, "dst port N", "TCP/UDP/SCTP destination port (IPv4 or IPv6)", gen_port,
     2, 0, SETF_NONE},
    IP4("ip-len", 16, 2, "ip[2:2]", "IPv4 total length (from the header)"),
    L4("tcp-flags", 8, 13, 6, "tcp[13]",
       "TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, ...)"),
    /* more IPv4 */
    IP4("ip-tos", 8, 1, "ip[1]", "IPv4 type of service / DSCP+ECN byte"),
    IP4("ip-id", 16, 4, "ip[4:2]", "IPv4 identification"),
    IP4("ip-ttl", 8, 8, "ip[8]", "IPv4 time to live"),
    {"ip-hl", T_INT, 8, "(ip[0]&0xf)*4", "IPv4 header length in bytes", gen_ip4_hl, 0, 0,
     SETF_NONE},
    {"ip-frag-offset", T_INT, 16, "ip[6:2]&0x1fff", "IPv4 fragment offset (8-byte units)",
     gen_ip4_fragoff, 0, 0, SETF_NONE},
    /* transport over IPv4 */
    L4("tcp-win", 16, 14, 6, "tcp[14:2]", "TCP window"),
    L4("icmp-type", 8, 0, 1, "icmp[0]", "ICMP type"),
    L4("icmp-code", 8, 1, 1, "icmp[1]", "ICMP code"),
    /* IPv6 */
    {"ip6-nh", T_INT, 8, "ip6[6]", "IPv6 next header (no extension-header walk)", gen_ip6, 6, 0,
     SETF_NH6},
    IP6("ip6-plen", 16, 4, "ip6[4:2]", "IPv6 payload length"),
    IP6("ip6-hlim", 8, 7, "ip6[7]", "IPv6 hop limit"),
    {"src-ip6", T_ADDR6, 128, "ip6 src net/host", "IPv6 source address (with = or in-net)",
     gen_addr6, 8, 0, SETF_NONE},
    {"dst-ip6", T_ADDR6, 128, "ip6 dst net/host", "IPv6 destination address (with = or in-net)",
     gen_addr6, 24, 0, SETF_NONE},
    /* link layer and whole packet */
    {"vlan-id", T_INT, 12, "vlan N", "802.1Q VLAN id of the outer tag (Ethernet only)", gen_vlan, 0,
     0, SETF_NONE},
    {"vlan-ethertype", T_INT, 16, "vlan and ether[16:2]",
     "EtherType after the outer 802.1Q tag (Ethernet only)", gen_vlan_etype, 0, 0, SETF_NONE},
    {"caplen", T_INT, 32, "(none: tcpdump's len is the wire length)",
     "captured length of the packet", gen_caplen, 0, 0, SETF_NONE},
    {"flow-hash", T_INT, 64, "(none)", "hash of the 5-tuple (HASH5; 0 when not IP)", gen_hash, 0, 0,
     SETF_NONE},
    /* the nDPI extension (plugins/ndpi): only with vfl_options_t.app_resolve */
    {"app", T_INT, 32, "(none: nDPI)", "nDPI application of the packet's flow, as (= app \"DNS\")",
     gen_app, 0, 0, SETF_NONE},
};

const field_t *vfli_field(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

const field_t *vfli_field_at(unsigned i)
{
    return i < sizeof fields / sizeof fields[0] ? &fields[i] : NULL;
}

/* ---- named constants ---------------------------------------------------------- */

static const vconst_t consts[] = {
    /* IP protocol numbers (for proto and ip6-nh) */
    {"icmp", 1, "IP protocol ICMP"},
    {"igmp", 2, "IP protocol IGMP"},
    {"ipip", 4, "IP protocol IP-in-IP"},
    {"tcp", 6, "IP protocol TCP"},
    {"udp", 17, "IP protocol UDP"},
    {"ipv6-in-ip", 41, "IP protocol IPv6 encapsulation"},
    {"gre", 47, "IP protocol GRE"},
    {"esp", 50, "IP protocol ESP"},
    {"ah", 51, "IP protocol AH"},
    {"icmp6", 58, "IP protocol ICMPv6"},
    {"ospf", 89, "IP protocol OSPF"},
    {"pim", 103, "IP protocol PIM"},
    {"vrrp", 112, "IP protocol VRRP"},
    {"sctp", 132, "IP protocol SCTP"},
    /* TCP flag bits (for tcp-flags) */
    {"fin", 0x01, "TCP FIN"},
    {"syn", 0x02, "TCP SYN"},
    {"rst", 0x04, "TCP RST"},
    {"psh", 0x08, "TCP PSH"},
    {"ack", 0x10, "TCP ACK"},
    {"urg", 0x20, "TCP URG"},
    {"ece", 0x40, "TCP ECE"},
    {"cwr", 0x80, "TCP CWR"},
    /* EtherTypes (for ethertype) */
    {"ipv4", 0x0800, "EtherType IPv4"},
    {"arp", 0x0806, "EtherType ARP"},
    {"rarp", 0x8035, "EtherType RARP"},
    {"vlan", 0x8100, "EtherType 802.1Q VLAN tag"},
    {"qinq", 0x88a8, "EtherType 802.1ad service tag"},
    {"ipv6", 0x86dd, "EtherType IPv6"},
    {"mpls", 0x8847, "EtherType MPLS unicast"},
    {"pppoe", 0x8864, "EtherType PPPoE session"},
    {"lldp", 0x88cc, "EtherType LLDP"},
    /* truth values */
    {"true", 1, "1"},
    {"false", 0, "0"},
};

const vconst_t *vfli_const(const char *name)
{
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
        if (strcmp(consts[i].name, name) == 0)
            return &consts[i];
    return NULL;
}

const vconst_t *vfli_const_at(unsigned i)
{
    return i < sizeof consts / sizeof consts[0] ? &consts[i] : NULL;
}
