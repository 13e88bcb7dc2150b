/*
 * attached-filter.c - prove that a VFLisp filter runs in the kernel: compile
 * it with vfm_pcap_compile() for a live handle, install it with
 * pcap_setfilter(), read back what the socket has attached
 * (getsockopt SO_GET_FILTER) and compare it with the compiled program; then
 * capture for a while and print which test frames (inject.c: source MAC
 * 02:00:00:00:00:N) arrived.
 *
 * Usage: attached-filter IFNAME FILTER MILLISECONDS
 * Prints "attached: N instructions (as compiled), K ancillary loads", then
 * "ready" once the filter is in place, then "captured: ID ID ...".
 * Exit: 0 ok, 1 usage, 2 error or the attached program differs.
 */
#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vfm/vfm_pcap.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The program the kernel holds for @p fd, compared with @p fp. */
static int check_attached(int fd, const struct bpf_program *fp)
{
    socklen_t n = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &n) != 0) {
        fprintf(stderr, "attached-filter: SO_GET_FILTER: %s\n", strerror(errno));
        return -1;
    }
    struct sock_filter *k = calloc(n ? n : 1, sizeof *k);
    if (!k || getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, k, &n) != 0) {
        fprintf(stderr, "attached-filter: SO_GET_FILTER: %s\n", k ? strerror(errno) : "no memory");
        free(k);
        return -1;
    }
    int rc = 0;
    unsigned ancillary = 0;
    if (n != fp->bf_len) {
        fprintf(stderr, "attached-filter: the socket has %u instructions, we compiled %u\n", n,
                fp->bf_len);
        rc = -1;
    }
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        const struct bpf_insn *w = &fp->bf_insns[i];
        if (k[i].code != w->code || k[i].jt != w->jt || k[i].jf != w->jf || k[i].k != w->k) {
            fprintf(stderr,
                    "attached-filter: instruction %u differs: kernel {%#x %u %u %#x}, compiled "
                    "{%#x %u %u %#x}\n",
                    i, k[i].code, k[i].jt, k[i].jf, k[i].k, w->code, w->jt, w->jf, w->k);
            rc = -1;
        }
        if (BPF_CLASS(k[i].code) == BPF_LD && BPF_MODE(k[i].code) == BPF_ABS &&
            k[i].k >= (unsigned)SKF_AD_OFF)
            ancillary++;
    }
    if (rc == 0)
        printf("attached: %u instructions (as compiled), %u ancillary loads\n", n, ancillary);
    free(k);
    return rc;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)user;
    /* Source MAC 02:00:00:00:00:N marks test frame N; anything else is noise. */
    if (h->caplen >= 12 && memcmp(bytes + 6, "\x02\x00\x00\x00\x00", 5) == 0)
        printf(" %u", bytes[11]);
    else
        printf(" other");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: attached-filter IFNAME FILTER MILLISECONDS\n");
        return 1;
    }
    long ms = strtol(argv[3], NULL, 10);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_create(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "attached-filter: %s\n", errbuf);
        return 2;
    }
    pcap_set_snaplen(p, 65535);
    pcap_set_immediate_mode(p, 1);
    if (pcap_activate(p) < 0) {
        fprintf(stderr, "attached-filter: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 2;
    }
    struct bpf_program fp;
    if (vfm_pcap_compile(p, &fp, argv[2], NULL) != 0) {
        fprintf(stderr, "attached-filter: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 2;
    }
    int rc = 2;
    if (pcap_setfilter(p, &fp) != 0)
        fprintf(stderr, "attached-filter: pcap_setfilter: %s\n", pcap_geterr(p));
    else if (check_attached(pcap_fileno(p), &fp) == 0 && pcap_setnonblock(p, 1, errbuf) == 0)
        rc = 0;
    pcap_freecode(&fp);
    if (rc == 0) {
        printf("ready\n");
        fflush(stdout);
        printf("captured:");
        struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
        for (long end = now_ms() + ms; now_ms() < end;) {
            if (poll(&pfd, 1, (int)(end - now_ms() > 0 ? end - now_ms() : 0)) > 0 &&
                pcap_dispatch(p, -1, on_packet, NULL) < 0) {
                fprintf(stderr, "attached-filter: %s\n", pcap_geterr(p));
                rc = 2;
                break;
            }
        }
        printf("\n");
    }
    pcap_close(p);
    return rc;
}
