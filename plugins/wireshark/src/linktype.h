/*
 * linktype.h - which LINKTYPE_ (pcap DLT) value a frame's WTAP_ENCAP stands
 * for, among the link types VFLisp can compile for.
 *
 * Wireshark gives every frame a WTAP_ENCAP value, and exports only the
 * pcap -> wiretap direction (wtap_pcap_encap_to_wtap_encap); the reverse is
 * built here once, from the link types VFLisp supports.  Where several
 * LINKTYPE_ values map to one encapsulation (DLT_RAW 12 and 14 and
 * LINKTYPE_RAW 101 are all WTAP_ENCAP_RAW_IP), the smallest wins: 12, what
 * libpcap reports for all three on Linux, so the code is the one vfm-test
 * and tcpdump run.
 */
#ifndef VFMWS_LINKTYPE_H
#define VFMWS_LINKTYPE_H

/** Build the table (at registration, once). */
void vfmws_linktypes_init(void);

/** The LINKTYPE_ value for WTAP_ENCAP @p encap, or -1 when VFLisp has none. */
int vfmws_linktype_of_encap(int encap);

#endif /* VFMWS_LINKTYPE_H */
