/*
 * mix_apps.c - application payloads for the traffic mix: well-formed enough
 * that tcpdump decodes them without complaint (DNS per RFC 1035 + RFC 6891,
 * NTPv4 per RFC 5905, QUIC v1 headers per RFC 9000 section 17, syslog per
 * RFC 3164, HTTP/1.1 and SMTP text, TLS 1.2+ record framing).
 */
#include "mix_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const dns_names[] = {
    "www.example.com",   "api.example.net",   "cdn.example.org",  "mail.example.com",
    "time.example.net",  "login.example.org", "static.example.com", "img.example.net",
    "updates.example.org", "video.example.com",
};
#define NNAMES (sizeof dns_names / sizeof dns_names[0])

/* ---- DNS ------------------------------------------------------------------ */

/* A name in label format, e.g. 3www7example3com0. */
static void put_dns_name(pg_frame_t *f, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        pg_put_u8(f, (uint8_t)n);
        pg_put_bytes(f, name, n);
        name += n + (dot ? 1 : 0);
    }
    pg_put_u8(f, 0);
}

static size_t dns_name_size(const char *name)
{
    return strlen(name) + 2; /* one length byte per label replaces each dot, plus root */
}

static void put_dns_header(pg_frame_t *f, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                           uint16_t ns, uint16_t ar)
{
    pg_put_be16(f, id);
    pg_put_be16(f, flags);
    pg_put_be16(f, qd);
    pg_put_be16(f, an);
    pg_put_be16(f, ns);
    pg_put_be16(f, ar);
}

/* EDNS(0) OPT pseudo-record (RFC 6891): root name, type 41, class = UDP size. */
static void put_dns_opt(pg_frame_t *f, uint16_t udp_size, int dnssec_ok)
{
    pg_put_u8(f, 0);
    pg_put_be16(f, 41);
    pg_put_be16(f, udp_size);
    pg_put_be32(f, dnssec_ok ? 0x00008000u : 0);
    pg_put_be16(f, 0);
}

/* Fixed part of a resource record whose owner is a compression pointer. */
static void put_rr_head(pg_frame_t *f, uint16_t ptr, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
    pg_put_be16(f, (uint16_t)(0xc000 | ptr));
    pg_put_be16(f, type);
    pg_put_be16(f, 1); /* class IN */
    pg_put_be32(f, ttl);
    pg_put_be16(f, rdlen);
}

void mix_put_dns_query(pg_frame_t *f, pg_rng_t *r, int edns)
{
    static const uint16_t qtypes[] = {1, 1, 1, 28, 28, 15, 16, 65};
    put_dns_header(f, (uint16_t)pg_rng_next(r), 0x0100 /* RD */, 1, 0, 0, edns ? 1 : 0);
    put_dns_name(f, dns_names[pg_rng_below(r, NNAMES)]);
    pg_put_be16(f, qtypes[pg_rng_below(r, sizeof qtypes / sizeof qtypes[0])]);
    pg_put_be16(f, 1);
    if (edns) {
        int dnssec_ok = pg_rng_chance(r, 300);
        uint16_t udp_size = pg_rng_chance(r, 500) ? 1232 : 4096;
        put_dns_opt(f, udp_size, dnssec_ok);
    }
}

static void put_a_records(pg_frame_t *f, pg_rng_t *r, uint16_t owner, unsigned n)
{
    uint32_t ttl = pg_rng_range(r, 30, 3600);
    for (unsigned i = 0; i < n; i++) {
        put_rr_head(f, owner, 1, ttl, 4);
        pg_put_be32(f, 0xcb007100u | pg_rng_range(r, 1, 254)); /* 203.0.113.x */
    }
}

void mix_put_dns_response(pg_frame_t *f, pg_rng_t *r, int big)
{
    size_t base = f->len; /* compression pointers are offsets from here */
    uint16_t id = (uint16_t)pg_rng_next(r);
    const char *qname = dns_names[pg_rng_below(r, NNAMES)];
    const uint16_t qptr = 12;

    if (big) {
        /* Over 512 bytes: many A records, or long TXT strings (SPF, DKIM,
         * verification tokens).  Both need EDNS(0) to go over UDP. */
        int txt = pg_rng_chance(r, 500);
        unsigned n = txt ? pg_rng_range(r, 3, 4) : pg_rng_range(r, 33, 40);
        put_dns_header(f, id, 0x8180, 1, (uint16_t)n, 0, 1);
        put_dns_name(f, qname);
        pg_put_be16(f, txt ? 16 : 1);
        pg_put_be16(f, 1);
        if (txt) {
            for (unsigned i = 0; i < n; i++) {
                size_t slen = pg_rng_range(r, 150, 250);
                put_rr_head(f, qptr, 16, 300, (uint16_t)(slen + 1));
                pg_put_u8(f, (uint8_t)slen);
                pg_put_str(f, "v=verify1 token=");
                mix_put_text(f, r, slen - 16);
            }
        } else {
            put_a_records(f, r, qptr, n);
        }
        put_dns_opt(f, 1232, 0);
        return;
    }

    switch (pg_rng_below(r, 6)) {
    case 0: { /* CNAME, then A records owned by the CNAME target */
        char target[64];
        snprintf(target, sizeof target, "edge-%u.cdn.example.net", pg_rng_range(r, 1, 99));
        unsigned n = pg_rng_range(r, 1, 3);
        put_dns_header(f, id, 0x8180, 1, (uint16_t)(1 + n), 0, 0);
        put_dns_name(f, qname);
        pg_put_be16(f, 1);
        pg_put_be16(f, 1);
        put_rr_head(f, qptr, 5, 300, (uint16_t)dns_name_size(target));
        uint16_t tptr = (uint16_t)(f->len - base);
        put_dns_name(f, target);
        put_a_records(f, r, tptr, n);
        break;
    }
    case 1: { /* AAAA */
        unsigned n = pg_rng_range(r, 1, 2);
        put_dns_header(f, id, 0x8180, 1, (uint16_t)n, 0, 0);
        put_dns_name(f, qname);
        pg_put_be16(f, 28);
        pg_put_be16(f, 1);
        for (unsigned i = 0; i < n; i++) {
            put_rr_head(f, qptr, 28, 600, 16);
            pg_put_be32(f, 0x20010db8u);
            pg_put_be32(f, 0x00ff0000u);
            pg_put_be32(f, 0);
            pg_put_be32(f, pg_rng_range(r, 1, 0xffff));
        }
        break;
    }
    case 2: { /* MX */
        put_dns_header(f, id, 0x8180, 1, 1, 0, 0);
        put_dns_name(f, qname);
        pg_put_be16(f, 15);
        pg_put_be16(f, 1);
        const char *mx = "mx1.example.com";
        put_rr_head(f, qptr, 15, 3600, (uint16_t)(2 + dns_name_size(mx)));
        pg_put_be16(f, 10);
        put_dns_name(f, mx);
        break;
    }
    case 3: { /* NXDOMAIN with the zone's SOA in the authority section */
        put_dns_header(f, id, 0x8183, 1, 0, 1, 0);
        put_dns_name(f, qname);
        pg_put_be16(f, 1);
        pg_put_be16(f, 1);
        const char *mname = "ns1.example.com", *rname = "hostmaster.example.com";
        put_rr_head(f, qptr, 6, 900,
                    (uint16_t)(dns_name_size(mname) + dns_name_size(rname) + 20));
        put_dns_name(f, mname);
        put_dns_name(f, rname);
        pg_put_be32(f, 2023111401); /* serial */
        pg_put_be32(f, 7200);       /* refresh */
        pg_put_be32(f, 3600);       /* retry */
        pg_put_be32(f, 1209600);    /* expire */
        pg_put_be32(f, 300);        /* minimum */
        break;
    }
    default: { /* plain A */
        unsigned n = pg_rng_range(r, 1, 4);
        put_dns_header(f, id, 0x8180, 1, (uint16_t)n, 0, 0);
        put_dns_name(f, qname);
        pg_put_be16(f, 1);
        pg_put_be16(f, 1);
        put_a_records(f, r, qptr, n);
        break;
    }
    }
}

/* ---- NTP ------------------------------------------------------------------ */

static void put_ntp_ts(pg_frame_t *f, pg_rng_t *r, uint64_t ts_usec)
{
    /* NTP era 0: seconds since 1900, then a 32-bit binary fraction. */
    pg_put_be32(f, (uint32_t)(ts_usec / 1000000u + 2208988800u));
    pg_put_be32(f, (uint32_t)pg_rng_next(r));
}

void mix_put_ntp(pg_frame_t *f, pg_rng_t *r, int client, uint64_t ts_usec)
{
    if (client) {
        pg_put_u8(f, 0x23); /* LI 0, VN 4, mode 3 */
        pg_put_u8(f, 0);    /* stratum unspecified */
        pg_put_u8(f, 6);    /* poll 64 s */
        pg_put_u8(f, 0xe9); /* precision 2^-23 */
        pg_put_zero(f, 36); /* root delay/dispersion, refid, ref/orig/recv times */
        put_ntp_ts(f, r, ts_usec);
        return;
    }
    pg_put_u8(f, 0x24);             /* LI 0, VN 4, mode 4 */
    pg_put_u8(f, 2);                /* stratum 2 */
    pg_put_u8(f, 6);
    pg_put_u8(f, 0xe7);
    pg_put_be32(f, pg_rng_range(r, 0x100, 0x2000)); /* root delay */
    pg_put_be32(f, pg_rng_range(r, 0x100, 0x2000)); /* root dispersion */
    pg_put_be32(f, 0xc0000201u);    /* refid: upstream 192.0.2.1 */
    put_ntp_ts(f, r, ts_usec - 30000000u);
    put_ntp_ts(f, r, ts_usec - 2000u);
    put_ntp_ts(f, r, ts_usec - 150u);
    put_ntp_ts(f, r, ts_usec - 100u);
}

/* ---- QUIC ----------------------------------------------------------------- */

void mix_put_quic(pg_frame_t *f, pg_rng_t *r, int c2s, int longhdr, size_t size)
{
    if (!longhdr) {
        /* Short header: 0b01SRRKPP (header protection randomises the low bits),
         * then the connection ID and ciphertext. */
        pg_put_u8(f, (uint8_t)(0x40 | (pg_rng_next(r) & 0x3f)));
        pg_put_random(f, r, size > 1 ? size - 1 : 0);
        return;
    }
    /* Long header: client Initial (type 0, with a token length), or server
     * Handshake (type 2, no token).  Low 4 bits are header-protected. */
    size_t start = f->len;
    uint8_t type = c2s ? 0 : 2;
    pg_put_u8(f, (uint8_t)(0xc0 | type << 4 | (pg_rng_next(r) & 0x0f)));
    pg_put_be32(f, 1); /* QUIC version 1 */
    size_t dcid = c2s ? 8 : 0, scid = c2s ? 0 : 8;
    pg_put_u8(f, (uint8_t)dcid);
    pg_put_random(f, r, dcid);
    pg_put_u8(f, (uint8_t)scid);
    pg_put_random(f, r, scid);
    if (c2s)
        pg_put_u8(f, 0); /* token length (varint 0) */
    size_t used = f->len - start + 2;
    size_t rest = size > used + 20 ? size - used : 20; /* packet number + payload */
    pg_put_be16(f, (uint16_t)(0x4000 | rest));          /* 2-byte varint */
    pg_put_random(f, r, rest);
}

/* ---- syslog --------------------------------------------------------------- */

void mix_put_syslog(pg_frame_t *f, pg_rng_t *r)
{
    static const char *const msgs[] = {
        "session opened for user backup",
        "link state changed to up",
        "temperature sensor within limits",
        "configuration saved by admin",
    };
    char line[160];
    const char *msg = msgs[pg_rng_below(r, 4)];
    unsigned pid = pg_rng_range(r, 100, 30000), host = pg_rng_range(r, 1, 9);
    unsigned sec = pg_rng_range(r, 0, 59), min = pg_rng_range(r, 13, 59);
    unsigned pri = pg_rng_range(r, 8, 191);
    snprintf(line, sizeof line, "<%u>Nov 14 22:%02u:%02u host%u app[%u]: %s", pri, min, sec, host,
             pid, msg);
    pg_put_str(f, line);
}

/* ---- TCP applications ----------------------------------------------------- */

void mix_put_text(pg_frame_t *f, pg_rng_t *r, size_t n)
{
    /* Ends with a newline, so text decoders see whole lines. */
    if (n == 0)
        return;
    n--;
    static const char *const words[] = {
        "<p>", "lorem", "ipsum", "dolor", "sit", "amet", "</p>\n", "packet", "filter",
        "velocity", "machine", "<div class=\"x\">", "</div>\n", "consectetur", "adipiscing",
    };
    while (n) {
        const char *w = words[pg_rng_below(r, sizeof words / sizeof words[0])];
        size_t k = strlen(w);
        if (k > n)
            k = n;
        pg_put_bytes(f, w, k);
        n -= k;
        if (n) {
            pg_put_u8(f, ' ');
            n--;
        }
    }
    pg_put_u8(f, '\n');
}

static void put_http(pg_frame_t *f, pg_rng_t *r, int c2s, size_t size)
{
    char h[256];
    if (c2s) {
        static const char *const paths[] = {"/", "/index.html", "/api/v1/items?page=2",
                                            "/static/app.js", "/images/logo.png"};
        const char *path = paths[pg_rng_below(r, 5)];
        const char *method = pg_rng_chance(r, 850) ? "GET" : "POST";
        snprintf(h, sizeof h,
                 "%s %s HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: vfm-gen-mix/1.0\r\n"
                 "Accept: */*\r\n\r\n",
                 method, path);
        pg_put_str(f, h);
        return;
    }
    if (pg_rng_chance(r, 350)) {
        snprintf(h, sizeof h,
                 "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                 "Content-Length: %u\r\n\r\n",
                 pg_rng_range(r, 2000, 90000));
        size_t hl = strlen(h);
        pg_put_str(f, h);
        if (size > hl)
            mix_put_text(f, r, size - hl);
        return;
    }
    mix_put_text(f, r, size);
}

static void put_smtp(pg_frame_t *f, pg_rng_t *r, int c2s)
{
    static const char *const cmds[] = {
        "EHLO client.example.org\r\n", "MAIL FROM:<alice@example.org>\r\n",
        "RCPT TO:<bob@example.com>\r\n", "DATA\r\n", "QUIT\r\n",
    };
    static const char *const replies[] = {
        "220 mail.example.com ESMTP ready\r\n", "250 OK\r\n",
        "354 End data with <CR><LF>.<CR><LF>\r\n", "221 Bye\r\n",
    };
    if (c2s)
        pg_put_str(f, cmds[pg_rng_below(r, 5)]);
    else
        pg_put_str(f, replies[pg_rng_below(r, 4)]);
}

void mix_put_tcp_payload(pg_frame_t *f, pg_rng_t *r, uint16_t port, int c2s, size_t size)
{
    if (size == 0)
        return;
    switch (port) {
    case 80:
    case 8080:
        put_http(f, r, c2s, size);
        return;
    case 25:
        put_smtp(f, r, c2s);
        return;
    case 22:
        if (pg_rng_chance(r, 60)) {
            pg_put_str(f, c2s ? "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" : "SSH-2.0-OpenSSH_8.9\r\n");
            return;
        }
        pg_put_random(f, r, size);
        return;
    default:
        break;
    }
    if (size < 6) {
        pg_put_random(f, r, size);
        return;
    }
    /* TLS record: application data, legacy version 3.3, length, ciphertext. */
    pg_put_u8(f, 0x17);
    pg_put_be16(f, 0x0303);
    pg_put_be16(f, (uint16_t)(size - 5));
    pg_put_random(f, r, size - 5);
}
