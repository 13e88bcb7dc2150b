/*
 * plugin.c - what Wireshark's plugin loader looks for in an epan plugin.
 *
 * 4.0 (Debian 12) reads plugin_version, plugin_want_major/minor and calls
 * plugin_register(); 4.2 added plugin_describe(); 4.4 replaced the symbols
 * with one module description registered by WIRESHARK_PLUGIN_REGISTER_EPAN.
 * The version guards follow those releases so newer headers build as is.
 */
#define WS_BUILD_DLL
#include <ws_symbol_export.h>

#include <epan/packet.h>
#include <epan/proto.h>

#include "packet-vfm.h"
#include "version_compat.h"

#if VFMWS_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#endif

static proto_plugin vfm_plugin = {
    .register_protoinfo = vfmws_register_proto,
    .register_handoff = vfmws_register_handoff,
};

#ifdef WIRESHARK_PLUGIN_REGISTER_EPAN /* 4.4 and later */

static void plugin_register(void) { proto_register_plugin(&vfm_plugin); }

static struct ws_module vfm_module = {
    .flags = WS_PLUGIN_DESC_DISSECTOR,
    .version = VFMWS_PLUGIN_VERSION,
    .spdx_id = "GPL-2.0-or-later",
    .home_url = "",
    .blurb = "VFM: VFLisp packet filters as fields (vfm.match, vfm.matched)",
    .register_cb = &plugin_register,
};

WIRESHARK_PLUGIN_REGISTER_EPAN(&vfm_module, 0)

#else /* 4.0, 4.2 */

WS_DLL_PUBLIC_DEF const char plugin_version[] = VFMWS_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
void plugin_register(void) { proto_register_plugin(&vfm_plugin); }

#ifdef WS_PLUGIN_DESC_DISSECTOR /* 4.2 */
WS_DLL_PUBLIC uint32_t plugin_describe(void);
uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#endif

#endif
