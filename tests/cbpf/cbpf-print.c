/*
 * cbpf-print - vfm_bpf_image/vfm_bpf_dump print exactly what libpcap prints
 * (bpf_image, which tcpdump -d uses) for every 16-bit opcode with assorted
 * operands, and exactly what tcpdump -d/-dd/-ddd print for programs read
 * from tcpdump -ddd (files given on the command line: FILE.ddd with the
 * expected FILE.d, FILE.dd next to it).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/bpf.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static int compare_file(const char *ddd)
{
    char *text = slurp(ddd);
    if (!text) {
        printf("FAIL %s: cannot read\n", ddd);
        return 1;
    }
    /* tcpdump -ddd: the count, then "code jt jf k" per line */
    char *p = text;
    unsigned long n = strtoul(p, &p, 10);
    vfm_bpf_insn_t *prog = calloc(n ? n : 1, sizeof *prog);
    for (unsigned long i = 0; i < n; i++) {
        prog[i].code = (uint16_t)strtoul(p, &p, 10);
        prog[i].jt = (uint8_t)strtoul(p, &p, 10);
        prog[i].jf = (uint8_t)strtoul(p, &p, 10);
        prog[i].k = (uint32_t)strtoul(p, &p, 10);
    }
    int bad = 0;
    static const struct {
        const char *ext;
        vfm_bpf_format_t fmt;
    } forms[] = {{".d", VFM_BPF_LISTING}, {".dd", VFM_BPF_C_ARRAY}, {"", VFM_BPF_DECIMAL}};
    for (size_t f = 0; f < 3; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%.*s%s", (int)(strlen(ddd) - 4), ddd, forms[f].ext);
        if (!forms[f].ext[0])
            snprintf(path, sizeof path, "%s", ddd);
        char *want = slurp(path), *got = NULL;
        if (!want || vfm_bpf_dump(prog, (uint32_t)n, forms[f].fmt, &got) != 0 ||
            strcmp(want, got) != 0) {
            printf("FAIL %s: differs from tcpdump\n--- tcpdump ---\n%s--- vfm_bpf_dump ---\n%s",
                   path, want ? want : "(unreadable)\n", got ? got : "(failed)\n");
            bad = 1;
        }
        free(want);
        free(got);
    }
    free(prog);
    free(text);
    return bad;
}

int main(int argc, char **argv)
{
    static const uint32_t ks[] = {0, 1, 12, 255, 0x800, 0x7fffffff, 0x80000000, 0xfffff000,
                                  0xfffff02c, 0xffffffff};
    static const uint8_t js[] = {0, 1, 254, 255};
    unsigned long checked = 0, bad = 0;
    for (uint32_t code = 0; code < 0x10000; code++)
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
            for (size_t j = 0; j < sizeof js / sizeof js[0]; j++) {
                struct bpf_insn in = {(u_short)code, js[j], js[(j + 1) % 4], ks[i]};
                int at = (int)(ks[i] % 5000);
                char mine[160];
                vfm_bpf_image((const vfm_bpf_insn_t *)&in, (uint32_t)at, mine, sizeof mine);
                const char *theirs = bpf_image(&in, at);
                checked++;
                if (strcmp(mine, theirs) != 0 && bad++ < 10)
                    printf("FAIL code 0x%x k %u: libpcap \"%s\", vfm \"%s\"\n", code, ks[i],
                           theirs, mine);
            }
    int files = 0;
    for (int i = 1; i < argc; i++)
        files += compare_file(argv[i]);
    printf("%lu instructions compared with libpcap's bpf_image, %lu differ; %d of %d tcpdump "
           "listings differ\n",
           checked, bad, files, argc - 1);
    return bad || files ? 2 : 0;
}
