/*
 * cbpf-check - what every classic-BPF program vfm_to_bpf emits must satisfy:
 * libpcap's bpf_validate() accepts it, the Linux kernel accepts it
 * (SO_ATTACH_FILTER on a real socket), and on captures it accepts exactly
 * the packets the VFM interpreter accepts.
 *
 *   cbpf-check pairs PAIRS [PCAP...]   every VFLisp pair, on Ethernet, SLL,
 *                                      SLL2 and raw IP (and Ethernet live,
 *                                      with the kernel's VLAN ancillary
 *                                      data); per-packet agreement on each
 *                                      capture, compiled for its link type
 *   cbpf-check cases DIR               every .case program that translates
 *   cbpf-check files PROG... -- PCAP...  bytecode files, per-packet agreement
 *   cbpf-check attach RAW              a raw sock_filter array (vfm-compile -o)
 *   cbpf-check limits                  the kernel's limits: 4096 instructions,
 *                                      scratch words read before a store; the
 *                                      kernel must refuse hand-made violations
 *                                      and accept everything vfm_to_bpf emits
 *                                      around them
 *
 * Packets: the VFM program sees the captured bytes; bpf_filter gets the
 * same bytes with wirelen = caplen, as in the kernel, which runs socket
 * filters on the whole packet (BPF's len is the wire length, VFM's LEN the
 * captured one).  Prints one FAIL line per problem and a summary; exit 0 if
 * nothing failed, 1 on a usage error, 2 on a failure.
 */
#include <errno.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case.h"
#include "vfm/asm.h"
#include "vfm/bpf.h"
#include "vfm/bytecode.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"

typedef struct tally {
    unsigned programs, refused, packets, failures;
} tally_t;

__attribute__((format(printf, 2, 3))) static void failure(tally_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    t->failures++;
}

/* 0, or errno from the kernel refusing the program. */
static int kernel_attach(const vfm_bpf_insn_t *p, uint32_t n)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return errno;
    struct sock_fprog fp = {.len = (unsigned short)n, .filter = (struct sock_filter *)p};
    int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) ? errno : 0;
    close(fd);
    return rc;
}

/* Uses the kernel's ancillary data (libpcap's bpf_filter cannot run it). */
static bool kernel_only(const vfm_bpf_insn_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i].code == (BPF_LD | BPF_W | BPF_ABS) && p[i].k >= (uint32_t)SKF_AD_OFF)
            return true;
    return false;
}

/* bpf_validate and the kernel accept it. */
static bool accepted(tally_t *t, const char *what, const vfm_bpf_insn_t *p, uint32_t n)
{
    bool ok = true;
    if (!kernel_only(p, n) && !bpf_validate((const struct bpf_insn *)p, (int)n)) {
        failure(t, "%s: bpf_validate refuses the %u-instruction program", what, n);
        ok = false;
    }
    int err = kernel_attach(p, n);
    if (err == ENOMEM) {
        /*
         * The kernel checked the program (EINVAL otherwise) but will not
         * charge its converted form to the socket: larger than
         * net.core.optmem_max.  Valid, just big for this machine.
         */
        printf("note: %s: %u instructions pass the kernel's checks but exceed "
               "net.core.optmem_max\n",
               what, n);
    } else if (err) {
        failure(t, "%s: the kernel refuses the %u-instruction program: %s", what, n,
                strerror(err));
        ok = false;
    }
    return ok;
}

/* Per packet: VFM's verdict against bpf_filter's. */
static void agree(tally_t *t, const char *what, const uint8_t *image, uint32_t image_len,
                  const vfm_bpf_insn_t *p, const char *pcap_path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(pcap_path, err);
    if (!pc) {
        failure(t, "%s: %s", pcap_path, err);
        return;
    }
    vfm_state_t *vm = vfm_create();
    if (!vm || vfm_load_program(vm, image, image_len) != VFM_SUCCESS) {
        failure(t, "%s: VFM does not load its own program: %s", what,
                vm ? vfm_last_error(vm) : "no memory");
        vfm_destroy(vm);
        pcap_close(pc);
        return;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned index = 0, bad = 0;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        index++;
        uint64_t res = 0;
        int vr = vfm_run(vm, data, h->caplen, &res);
        bool vfm_accepts = vr == VFM_SUCCESS && res != 0;
        u_int br = bpf_filter((const struct bpf_insn *)p, data, h->caplen, h->caplen);
        bool bpf_accepts = br != 0;
        t->packets++;
        if (vfm_accepts != bpf_accepts || (bpf_accepts && br != VFM_BPF_DEFAULT_SNAPLEN)) {
            if (bad++ < 3)
                failure(t, "%s: %s packet %u: VFM %s (%s), BPF returns %u", what, pcap_path,
                        index, vfm_accepts ? "accepts" : "rejects",
                        vr ? vfm_error_string(vr) : "ok", br);
        }
    }
    if (rc == -1 && index == 0)
        failure(t, "%s: %s", pcap_path, pcap_geterr(pc));
    vfm_destroy(vm);
    pcap_close(pc);
}

/* ---- pairs ----------------------------------------------------------------- */

typedef struct pair {
    char name[128];
    char vfl[1024];
} pair_t;

static size_t read_pairs(const char *path, pair_t **out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cbpf-check: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    char line[2048];
    size_t n = 0, cap = 0;
    pair_t *v = NULL;
    char name[128] = "?";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "name: ", 6) == 0)
            snprintf(name, sizeof name, "%.120s", line + 6);
        if (strncmp(line, "vfl: ", 5) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                abort();
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", name);
        snprintf(v[n].vfl, sizeof v[n].vfl, "%.1000s", line + 5);
        n++;
    }
    fclose(f);
    *out = v;
    return n;
}

static int pcap_linktype(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return -1;
    int lt = pcap_datalink(p);
    pcap_close(p);
    return lt;
}

/* One pair for one link type: compile, translate, check, compare on the captures. */
static void check_pair(tally_t *t, const pair_t *pr, int linktype, int live, char **pcaps,
                       int npcaps, const int *pcap_lt)
{
    char what[256];
    snprintf(what, sizeof what, "%s [%s%s]", pr->name, pcap_datalink_val_to_name(linktype),
             live ? ", live" : "");
    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = linktype;
    o.live = live;
    uint8_t *image = NULL;
    uint32_t image_len = 0;
    vfl_diag_t vd;
    if (vfl_compile_ex(pr->vfl, strlen(pr->vfl), &o, &image, &image_len, &vd) != VFM_SUCCESS) {
        /* Not this backend's business; the VFLisp tests hold the compiler to its pairs. */
        printf("skip %s: VFLisp: %s\n", what, vd.msg);
        return;
    }
    vfm_bpf_insn_t *p = NULL;
    uint32_t n = 0;
    vfm_diag_t d;
    if (vfm_to_bpf_ex(image, image_len, NULL, &p, &n, &d) != VFM_SUCCESS) {
        failure(t, "%s: vfm_to_bpf: %s", what, d.msg);
    } else if (t->programs++, accepted(t, what, p, n) && !live) {
        for (int i = 0; i < npcaps; i++)
            if (pcap_lt[i] == linktype)
                agree(t, what, image, image_len, p, pcaps[i]);
    }
    free(p);
    free(image);
}

static int cmd_pairs(int argc, char **argv, tally_t *t)
{
    if (argc < 1) {
        fprintf(stderr, "cbpf-check: pairs: no pairs file\n");
        return 1;
    }
    pair_t *pairs;
    size_t np = read_pairs(argv[0], &pairs);
    if (np == 0) {
        failure(t, "%s: no pairs", argv[0]);
        return 0;
    }
    char **pcaps = argv + 1;
    int npcaps = argc - 1;
    int *lt = calloc((size_t)npcaps + 1, sizeof *lt);
    static const int always[] = {DLT_EN10MB, DLT_LINUX_SLL, 276 /* LINUX_SLL2 */, DLT_RAW};
    int extra[64], nextra = 0;
    for (int i = 0; i < npcaps; i++) {
        lt[i] = pcap_linktype(pcaps[i]);
        bool known = false;
        for (size_t j = 0; j < sizeof always / sizeof always[0]; j++)
            known |= always[j] == lt[i];
        for (int j = 0; j < nextra; j++)
            known |= extra[j] == lt[i];
        if (!known && lt[i] >= 0 && vfl_linktype_supported(lt[i]) && nextra < 64)
            extra[nextra++] = lt[i];
    }
    for (size_t i = 0; i < np; i++) {
        for (size_t j = 0; j < sizeof always / sizeof always[0]; j++)
            check_pair(t, &pairs[i], always[j], 0, pcaps, npcaps, lt);
        for (int j = 0; j < nextra; j++)
            check_pair(t, &pairs[i], extra[j], 0, pcaps, npcaps, lt);
        check_pair(t, &pairs[i], DLT_EN10MB, 1, pcaps, npcaps, lt);
    }
    free(lt);
    free(pairs);
    return 0;
}

/* ---- cases ----------------------------------------------------------------- */

typedef struct walk {
    tally_t *t;
    unsigned files;
} walk_t;

static void check_case(void *user, const char *path)
{
    walk_t *w = user;
    vfmt_case_t c;
    char err[512];
    w->files++;
    if (vfmt_case_load(path, &c, err, sizeof err)) {
        failure(w->t, "%s", err);
        return;
    }
    if (!c.expect_error) {
        vfm_bpf_insn_t *p = NULL;
        uint32_t n = 0;
        vfm_diag_t d;
        int rc = vfm_to_bpf_ex(c.code, c.code_len, NULL, &p, &n, &d);
        if (rc == VFM_SUCCESS) {
            w->t->programs++;
            accepted(w->t, path, p, n);
        } else if (rc == VFM_ERROR_UNSUPPORTED) {
            w->t->refused++;
            if (strncmp(d.msg, "pc ", 3) != 0 && strstr(d.msg, "instructions") == NULL)
                failure(w->t, "%s: refusal does not name the instruction: %s", path, d.msg);
        } else {
            /* the VM loaded it (the case expects no error), so this cannot be */
            failure(w->t, "%s: vfm_to_bpf: %s: %s", path, vfm_error_string(rc), d.msg);
        }
        free(p);
    }
    vfmt_case_free(&c);
}

static int cmd_cases(int argc, char **argv, tally_t *t)
{
    if (argc != 1) {
        fprintf(stderr, "cbpf-check: cases: one directory\n");
        return 1;
    }
    walk_t w = {t, 0};
    if (vfmt_case_walk(argv[0], check_case, &w) != 0 || w.files == 0)
        failure(t, "%s: no case files", argv[0]);
    return 0;
}

/* ---- files ------------------------------------------------------------------ */

static int cmd_files(int argc, char **argv, tally_t *t)
{
    int sep = 0;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    for (int i = 0; i < sep; i++) {
        FILE *f = fopen(argv[i], "rb");
        static uint8_t buf[1 << 17];
        size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        if (!f || len == 0) {
            failure(t, "%s: cannot read", argv[i]);
            continue;
        }
        vfm_bpf_insn_t *p = NULL;
        uint32_t n = 0;
        vfm_diag_t d;
        if (vfm_to_bpf_ex(buf, (uint32_t)len, NULL, &p, &n, &d) != VFM_SUCCESS)
            failure(t, "%s: vfm_to_bpf: %s", argv[i], d.msg);
        else if (t->programs++, accepted(t, argv[i], p, n))
            for (int j = sep + 1; j < argc; j++)
                agree(t, argv[i], buf, (uint32_t)len, p, argv[j]);
        free(p);
    }
    return 0;
}

/* ---- attach, limits ------------------------------------------------------- */

static int cmd_attach(int argc, char **argv, tally_t *t)
{
    if (argc != 1) {
        fprintf(stderr, "cbpf-check: attach: one file\n");
        return 1;
    }
    static vfm_bpf_insn_t prog[VFM_BPF_MAXINSNS + 1];
    FILE *f = fopen(argv[0], "rb");
    size_t n = f ? fread(prog, sizeof prog[0], VFM_BPF_MAXINSNS + 1, f) : 0;
    if (f)
        fclose(f);
    if (n == 0) {
        failure(t, "%s: cannot read", argv[0]);
        return 0;
    }
    t->programs++;
    accepted(t, argv[0], prog, (uint32_t)n);
    return 0;
}

/* Translate assembly; NULL (with the message in d) if vfm_to_bpf refuses. */
static vfm_bpf_insn_t *translate_asm(const char *src, uint32_t *n, vfm_diag_t *d)
{
    uint8_t *code = NULL;
    uint32_t len = 0;
    vfm_asm_opts_t ao = {.filename = "limits"};
    vfm_bpf_insn_t *p = NULL;
    if (vfm_assemble(src, strlen(src), &ao, &code, &len, d) == VFM_SUCCESS &&
        vfm_to_bpf_ex(code, len, NULL, &p, n, d) != VFM_SUCCESS)
        p = NULL;
    free(code);
    return p;
}

/* A chain of `count` tests of packet bytes, each jumping to one far accept. */
static char *chain(unsigned count)
{
    size_t cap = (size_t)count * 48 + 128, len = 0;
    char *s = malloc(cap);
    for (unsigned i = 0; i < count; i++)
        len += (size_t)snprintf(s + len, cap - len, "LD8 %u\nPUSH8 %u\nJEQ acc\n", i % 64,
                                i % 100);
    snprintf(s + len, cap - len, "PUSH8 0\nRET\nacc: PUSH8 1\nRET\n");
    return s;
}

static int cmd_limits(tally_t *t)
{
    /* The kernel enforces what we test for: hand-made violations are refused. */
    static vfm_bpf_insn_t big[VFM_BPF_MAXINSNS + 1];
    for (unsigned i = 0; i < VFM_BPF_MAXINSNS; i++)
        big[i] = (vfm_bpf_insn_t){BPF_LD | BPF_IMM, 0, 0, 0};
    big[VFM_BPF_MAXINSNS - 1] = (vfm_bpf_insn_t){BPF_RET | BPF_K, 0, 0, 1};
    if (kernel_attach(big, VFM_BPF_MAXINSNS) != 0)
        failure(t, "limits: the kernel refuses a %u-instruction program", VFM_BPF_MAXINSNS);
    big[VFM_BPF_MAXINSNS - 1] = big[0];
    big[VFM_BPF_MAXINSNS] = (vfm_bpf_insn_t){BPF_RET | BPF_K, 0, 0, 1};
    if (kernel_attach(big, VFM_BPF_MAXINSNS + 1) == 0)
        failure(t, "limits: the kernel accepts %u instructions (the test assumes it cannot)",
                VFM_BPF_MAXINSNS + 1);
    vfm_bpf_insn_t unset[] = {{BPF_LD | BPF_MEM, 0, 0, 0}, {BPF_RET | BPF_A, 0, 0, 0}};
    if (kernel_attach(unset, 2) == 0)
        failure(t, "limits: the kernel accepts a scratch word read before any store");

    /* Long chains: far jumps through JA, until the program no longer fits. */
    vfm_diag_t d;
    uint32_t n = 0, largest = 0;
    bool refused = false;
    for (unsigned count = 50; count <= 1600 && !refused; count += 50) {
        char *src = chain(count);
        vfm_bpf_insn_t *p = translate_asm(src, &n, &d);
        free(src);
        if (!p) {
            refused = true;
            if (!strstr(d.msg, "classic BPF instructions (at most 4096)"))
                failure(t, "limits: chain of %u: unexpected refusal: %s", count, d.msg);
            continue;
        }
        t->programs++;
        largest = n > largest ? n : largest;
        char what[64];
        snprintf(what, sizeof what, "chain of %u tests (%u instructions)", count, n);
        if (n > VFM_BPF_MAXINSNS)
            failure(t, "%s: more than %u instructions", what, VFM_BPF_MAXINSNS);
        accepted(t, what, p, n);
        /* The last test's packet byte decides; the far jump must still land. */
        uint8_t pkt[64] = {0};
        if (bpf_filter((const struct bpf_insn *)p, pkt, sizeof pkt, sizeof pkt) == 0)
            failure(t, "%s: rejects a packet whose byte 0 is 0 (the first test)", what);
        free(p);
    }
    if (!refused || largest < 1000)
        failure(t, "limits: chains never reached the %u-instruction limit (largest %u)",
                VFM_BPF_MAXINSNS, largest);

    /*
     * The kernel's scratch check walks the code in order and carries the
     * state of a RET's path into the next instruction: M[0] below is stored
     * on every path to its read, but not on the path that ends just before
     * it, so vfm_to_bpf must initialise the word first.
     */
    const char *scratch = "LD8 0\nJZ rej\nLD8 1\nLD8 2\nJZ keep\nPUSH8 1\nRET\n"
                          "rej: PUSH8 0\nRET\n"
                          "keep: PUSH8 7\nJGT acc\nPUSH8 0\nRET\nacc: PUSH8 1\nRET\n";
    vfm_bpf_insn_t *p = translate_asm(scratch, &n, &d);
    if (!p) {
        failure(t, "limits: scratch program refused: %s", d.msg);
    } else {
        t->programs++;
        accepted(t, "scratch word stored on every path", p, n);
        uint8_t pkt[3] = {1, 9, 0}; /* byte 2 == 0 takes `keep`; 9 > 7 accepts */
        if (bpf_filter((const struct bpf_insn *)p, pkt, 3, 3) == 0)
            failure(t, "limits: scratch program rejects 01 09 00");
        pkt[1] = 3;
        if (bpf_filter((const struct bpf_insn *)p, pkt, 3, 3) != 0)
            failure(t, "limits: scratch program accepts 01 03 00");
        free(p);
    }
    printf("limits: longest accepted chain %u instructions\n", largest);
    return 0;
}

int main(int argc, char **argv)
{
    tally_t t = {0, 0, 0, 0};
    int rc;
    if (argc >= 2 && strcmp(argv[1], "pairs") == 0)
        rc = cmd_pairs(argc - 2, argv + 2, &t);
    else if (argc >= 2 && strcmp(argv[1], "cases") == 0)
        rc = cmd_cases(argc - 2, argv + 2, &t);
    else if (argc >= 2 && strcmp(argv[1], "files") == 0)
        rc = cmd_files(argc - 2, argv + 2, &t);
    else if (argc >= 2 && strcmp(argv[1], "attach") == 0)
        rc = cmd_attach(argc - 2, argv + 2, &t);
    else if (argc == 2 && strcmp(argv[1], "limits") == 0)
        rc = cmd_limits(&t);
    else {
        fprintf(stderr, "usage: cbpf-check pairs PAIRS [PCAP...] | cases DIR | files PROG... "
                        "-- PCAP... | attach RAW | limits\n");
        return 1;
    }
    if (rc)
        return rc;
    printf("%u programs translated and accepted by bpf_validate and the kernel, %u refused, "
           "%u packets compared, %u failures\n",
           t.programs, t.refused, t.packets, t.failures);
    if (t.programs == 0) {
        printf("FAIL nothing was translated\n");
        return 2;
    }
    return t.failures ? 2 : 0;
}
