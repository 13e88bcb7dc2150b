/*
 * packet-vfm.h - registration of the vfm postdissector (packet-vfm.c), called
 * from the plugin entry point (plugin.c).
 */
#ifndef VFMWS_PACKET_VFM_H
#define VFMWS_PACKET_VFM_H

/** Protocol, fields, expert items, preferences, the dissector itself. */
void vfmws_register_proto(void);

/** Hook the dissector in as a postdissector. */
void vfmws_register_handoff(void);

#endif /* VFMWS_PACKET_VFM_H */
