/* pcapw.c - classic pcap writer (see pcapw.h). */
#include "pcapw.h"

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int pg_pcap_write_header(FILE *fp, uint32_t snaplen, uint32_t linktype)
{
    uint8_t h[24];
    le32(h, 0xa1b2c3d4u);
    h[4] = 2; /* version 2.4, two little-endian u16 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    le32(h + 8, 0);  /* thiszone */
    le32(h + 12, 0); /* sigfigs */
    le32(h + 16, snaplen);
    le32(h + 20, linktype);
    return fwrite(h, sizeof h, 1, fp) == 1 ? 0 : -1;
}

int pg_pcap_write_record(FILE *fp, uint64_t ts_usec, const uint8_t *data, uint32_t caplen,
                         uint32_t len)
{
    uint8_t h[16];
    le32(h, (uint32_t)(ts_usec / 1000000u));
    le32(h + 4, (uint32_t)(ts_usec % 1000000u));
    le32(h + 8, caplen);
    le32(h + 12, len);
    if (fwrite(h, sizeof h, 1, fp) != 1)
        return -1;
    if (caplen && fwrite(data, caplen, 1, fp) != 1)
        return -1;
    return 0;
}
