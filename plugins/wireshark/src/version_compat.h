/*
 * version_compat.h - the Wireshark API differences the plugin meets, in one
 * place.  Built against Debian 12's 4.0; the later branches follow the
 * upstream changes so a newer wireshark-dev needs no edits elsewhere.
 */
#ifndef VFMWS_VERSION_COMPAT_H
#define VFMWS_VERSION_COMPAT_H

#include <ws_version.h>

#define VFMWS_WS_AT_LEAST(maj, min)                                                         \
    (WIRESHARK_VERSION_MAJOR > (maj) ||                                                     \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* 4.2 moved the UAT callbacks from gboolean to bool. */
#if VFMWS_WS_AT_LEAST(4, 2)
#include <stdbool.h>
#define VFMWS_UAT_BOOL bool
#else
#define VFMWS_UAT_BOOL gboolean
#endif

#endif /* VFMWS_VERSION_COMPAT_H */
