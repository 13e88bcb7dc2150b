/*
 * linktype.c - WTAP_ENCAP -> LINKTYPE_, built from Wireshark's own mapping.
 */
#include "linktype.h"

#include <wiretap/pcap-encap.h>
#include <wiretap/wtap.h>

#include "vfm/vflisp.h"

/* LINKTYPE_ values are below 300 today; 1024 leaves room for new ones. */
#define LINKTYPE_SCAN 1024
#define PAIRS_MAX 32

static struct {
    int encap;
    int linktype;
} pairs[PAIRS_MAX];
static unsigned npairs;

void vfmws_linktypes_init(void)
{
    npairs = 0;
    for (int lt = 0; lt < LINKTYPE_SCAN && npairs < PAIRS_MAX; lt++) {
        if (!vfl_linktype_supported(lt))
            continue;
        int encap = wtap_pcap_encap_to_wtap_encap(lt);
        if (encap == WTAP_ENCAP_UNKNOWN || vfmws_linktype_of_encap(encap) >= 0)
            continue; /* no wiretap name for it, or a smaller LINKTYPE_ has it */
        pairs[npairs].encap = encap;
        pairs[npairs].linktype = lt;
        npairs++;
    }
}

int vfmws_linktype_of_encap(int encap)
{
    for (unsigned i = 0; i < npairs; i++)
        if (pairs[i].encap == encap)
            return pairs[i].linktype;
    return -1;
}
