/*
 * pcapw.h - write classic pcap files by hand (no libpcap), byte for byte the
 * same on every host.
 *
 * Layout (all fields little-endian, as written by a little-endian libpcap):
 *   file header, 24 bytes: magic a1b2c3d4 (microsecond timestamps),
 *     version 2.4, thiszone 0, sigfigs 0, snaplen, linktype
 *   per record, 16 bytes: ts_sec, ts_usec, caplen, len; then caplen bytes
 */
#ifndef VFM_PCAPW_H
#define VFM_PCAPW_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PG_LINKTYPE_ETHERNET 1
#define PG_SNAPLEN 262144u

/** Write the 24-byte file header. Returns 0, or -1 on a write error (errno set). */
int pg_pcap_write_header(FILE *fp, uint32_t snaplen, uint32_t linktype);

/**
 * Write one record: @p caplen bytes of @p data, captured from a @p len byte
 * packet at @p ts_usec microseconds since the epoch.  Returns 0 or -1.
 */
int pg_pcap_write_record(FILE *fp, uint64_t ts_usec, const uint8_t *data, uint32_t caplen,
                         uint32_t len);

#ifdef __cplusplus
}
#endif
#endif /* VFM_PCAPW_H */
