/*
 * link.c - where each supported link type keeps the layer-3 protocol and
 * header.  The tests made from these mirror what libpcap generates for `ip` /
 * `ip6` on the same link type, so loads (and their bounds) match tcpdump's.
 */
#include <stddef.h>

#include "internal.h"

static const linkinfo_t links[] = {
    {VFL_LINKTYPE_ETHERNET, "EN10MB", LK_ETHER, 12, 14},
    {VFL_LINKTYPE_LINUX_SLL, "LINUX_SLL", LK_ETHER, 14, 16},
    {VFL_LINKTYPE_LINUX_SLL2, "LINUX_SLL2", LK_ETHER, 0, 20},
    {VFL_LINKTYPE_RAW, "RAW", LK_RAW, 0, 0},
    {14, "RAW", LK_RAW, 0, 0},  /* DLT_RAW on OpenBSD */
    {101, "RAW", LK_RAW, 0, 0}, /* LINKTYPE_RAW as stored in files */
    {VFL_LINKTYPE_IPV4, "IPV4", LK_RAW4, 0, 0},
    {VFL_LINKTYPE_IPV6, "IPV6", LK_RAW6, 0, 0},
    {VFL_LINKTYPE_NULL, "NULL", LK_NULL, 0, 4},
    {VFL_LINKTYPE_LOOP, "LOOP", LK_LOOP, 0, 4},
};

const linkinfo_t *vfli_link(int linktype)
{
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (links[i].linktype == linktype)
            return &links[i];
    return NULL;
}

int vfl_linktype_supported(int linktype)
{
    return vfli_link(linktype) != NULL;
}
