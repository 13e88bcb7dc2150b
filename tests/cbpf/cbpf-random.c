/*
 * cbpf-random - differential test of the classic-BPF backend on random
 * programs: whatever vfm_to_bpf translates must pass bpf_validate, be
 * accepted by the kernel, and give libpcap's bpf_filter the verdict the
 * VFM interpreter gives on every packet.  Refusals must be
 * VFM_ERROR_UNSUPPORTED naming a pc.
 *
 *   cbpf-random [-n PROGRAMS] [-s SEED] [-v]
 *
 * The programs lean on what BPF can express and on where 64-bit and 32-bit
 * arithmetic part ways: constants around 2^31, 2^32 and 2^64, subtraction
 * below zero, shifts by 31..64, division by zero, loads past the end,
 * computed offsets, joins that drop stack values.  A test that could not
 * fail would be useless, so it also insists that enough programs translate
 * and that both verdicts occur.
 */
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vfm/asm.h"
#include "vfm/bpf.h"
#include "vfm/vfm.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 6, 7, 8, 14, 15, 16, 17, 20, 31, 32, 33, 63, 64, 65, 80, 0xff, 0x100, 0x800,
    0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000ull,
    0x100000001ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffff00000000ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0x7fff0000, 0x7fff0001,
};

static uint64_t constant(void)
{
    if (below(4) == 0)
        return rnd() >> below(64);
    return interesting[below(sizeof interesting / sizeof interesting[0])];
}

/* A program as assembly text; labels L<n> are placed later in the text. */
typedef struct prog {
    char text[8192];
    size_t len;
    int depth;
    int nlabels, placed;
} prog_t;

__attribute__((format(printf, 2, 3))) static void put(prog_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->text + p->len, sizeof p->text - p->len, fmt, ap);
    va_end(ap);
    if (n > 0 && p->len + (size_t)n < sizeof p->text)
        p->len += (size_t)n;
}

static void push_const(prog_t *p)
{
    put(p, "PUSH 0x%llx\n", (unsigned long long)constant());
    p->depth++;
}

static void load(prog_t *p)
{
    static const char *ld[] = {"LD8", "LD16", "LD32"};
    put(p, "%s %u\n", ld[below(3)], below(10) ? below(40) : below(200));
    p->depth++;
}

/* Forward label to jump to: an existing unplaced one or a new one. */
static int label(prog_t *p)
{
    if (p->nlabels > p->placed && below(2))
        return p->placed + (int)below((uint32_t)(p->nlabels - p->placed));
    return p->nlabels++;
}

static void one(prog_t *p)
{
    static const char *binops[] = {"ADD", "SUB", "MUL", "DIV", "MOD", "AND", "OR",
                                   "XOR", "SHL", "SHR", "EQ",  "NE",  "GT",  "LT",
                                   "GE",  "LE"};
    static const char *jcc[] = {"JEQ", "JNE", "JGT", "JLT", "JGE", "JLE"};
    static const char *ldx[] = {"LDX8", "LDX16", "LDX32"};
    uint32_t r = below(100);
    if (p->depth < 2 || r < 25) {
        if (below(2))
            load(p);
        else
            push_const(p);
    } else if (r < 50) {
        put(p, "%s\n", binops[below(sizeof binops / sizeof binops[0])]);
        p->depth--;
    } else if (r < 55) {
        put(p, "NOT\n");
    } else if (r < 62) {
        static const char *st[] = {"DUP", "OVER", "SWAP", "POP"};
        uint32_t k = below(4);
        put(p, "%s\n", st[k]);
        p->depth += k == 0 || k == 1 ? 1 : k == 3 ? -1 : 0;
    } else if (r < 67) {
        put(p, "LEN\n");
        p->depth++;
    } else if (r < 74) {
        put(p, "%s %u\n", ldx[below(3)], below(30));
    } else if (r < 84) {
        put(p, "%s L%d\n", jcc[below(6)], label(p));
        p->depth -= 2;
    } else if (r < 90) {
        put(p, "%s L%d\n", below(2) ? "JZ" : "JNZ", label(p));
        p->depth--;
    } else if (r < 93) {
        put(p, "JMP L%d\n", label(p));
        p->depth = 1000; /* unknown until a label: force a load first */
    } else if (p->placed < p->nlabels) {
        put(p, "L%d:\n", p->placed++);
        p->depth = 0; /* the verifier knows; pushing more never hurts */
    } else {
        put(p, "RET\n");
        p->depth = 1000;
    }
    if (p->depth >= 1000) {
        if (p->placed < p->nlabels)
            put(p, "L%d:\n", p->placed++);
        p->depth = 0;
    }
}

static void generate(prog_t *p)
{
    memset(p, 0, sizeof *p);
    int n = 3 + (int)below(30);
    for (int i = 0; i < n; i++)
        one(p);
    while (p->placed < p->nlabels) {
        if (below(2)) {
            load(p);
            put(p, "RET\n");
        } else {
            put(p, "PUSH %u\nRET\n", below(3));
        }
        put(p, "L%d:\n", p->placed++);
    }
    put(p, "RET\n");
}

static int kernel_attach(const vfm_bpf_insn_t *bp, uint32_t n)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sock_fprog fp = {.len = (unsigned short)n, .filter = (struct sock_filter *)bp};
    int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long programs = 20000, seed = 1;
    bool verbose = false;
    int c;
    while ((c = getopt(argc, argv, "n:s:v")) != -1) {
        if (c == 'n')
            programs = strtoul(optarg, NULL, 0);
        else if (c == 's')
            seed = strtoul(optarg, NULL, 0);
        else if (c == 'v')
            verbose = true;
        else {
            fprintf(stderr, "usage: cbpf-random [-n PROGRAMS] [-s SEED] [-v]\n");
            return 1;
        }
    }
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    unsigned long valid = 0, translated = 0, refused = 0, failures = 0, packets = 0,
                  accepts = 0, rejects = 0;
    vfm_state_t *vm = vfm_create();
    prog_t *p = malloc(sizeof *p);
    if (!vm || !p)
        return 2;
    for (unsigned long i = 0; i < programs && failures < 10; i++) {
        generate(p);
        uint8_t *code = NULL;
        uint32_t code_len = 0;
        vfm_diag_t d;
        vfm_asm_opts_t ao = {.filename = "random"};
        if (vfm_assemble(p->text, p->len, &ao, &code, &code_len, &d) != VFM_SUCCESS)
            continue; /* the verifier refused it: not this test's business */
        if (vfm_load_program(vm, code, code_len) != VFM_SUCCESS) {
            free(code);
            continue;
        }
        valid++;
        vfm_bpf_insn_t *bp = NULL;
        uint32_t n = 0;
        int rc = vfm_to_bpf_ex(code, code_len, NULL, &bp, &n, &d);
        bool bad = false;
        if (rc == VFM_ERROR_UNSUPPORTED) {
            refused++;
            if (strncmp(d.msg, "pc ", 3) != 0) {
                printf("FAIL program %lu: refusal without a pc: %s\n", i, d.msg);
                bad = true;
            }
            if (verbose)
                printf("refused: %s\n", d.msg);
        } else if (rc != VFM_SUCCESS) {
            printf("FAIL program %lu: vfm_to_bpf: %s: %s\n", i, vfm_error_string(rc), d.msg);
            bad = true;
        } else {
            translated++;
            if (!bpf_validate((const struct bpf_insn *)bp, (int)n)) {
                printf("FAIL program %lu: bpf_validate refuses it\n", i);
                bad = true;
            }
            if (kernel_attach(bp, n) != 0) {
                printf("FAIL program %lu: the kernel refuses it: %m\n", i);
                bad = true;
            }
            for (int k = 0; k < 40 && !bad; k++) {
                uint8_t pkt[96];
                size_t len = below(10) ? below(64) : below(96);
                for (size_t j = 0; j < len; j++)
                    pkt[j] = below(3) ? (uint8_t)below(4) : (uint8_t)rnd();
                uint64_t res = 0;
                int vr = vfm_run(vm, pkt, len, &res);
                bool want = vr == VFM_SUCCESS && res != 0;
                u_int got = bpf_filter((const struct bpf_insn *)bp, pkt, (u_int)len, (u_int)len);
                packets++;
                want ? accepts++ : rejects++;
                if ((got != 0) != want || (got && got != VFM_BPF_DEFAULT_SNAPLEN)) {
                    printf("FAIL program %lu, packet of %zu bytes:", i, len);
                    for (size_t j = 0; j < len; j++)
                        printf(" %02x", pkt[j]);
                    printf("\n  VFM: %s %llu, BPF returns %u\n", vfm_error_string(vr),
                           (unsigned long long)res, got);
                    bad = true;
                }
            }
        }
        if (bad) {
            failures++;
            printf("--- program %lu (seed %lu) ---\n%.*s", i, seed, (int)p->len, p->text);
            char *listing = NULL;
            if (bp && vfm_bpf_dump(bp, n, VFM_BPF_LISTING, &listing) == VFM_SUCCESS)
                printf("--- classic BPF ---\n%s", listing);
            free(listing);
        }
        free(bp);
        free(code);
    }
    vfm_destroy(vm);
    free(p);
    printf("%lu valid programs: %lu translated, %lu refused; %lu packets compared (%lu accepted, "
           "%lu rejected); %lu failures\n",
           valid, translated, refused, packets, accepts, rejects, failures);
    /* A differential test that compares nothing proves nothing. */
    if (translated < valid / 4 || accepts < packets / 20 || rejects < packets / 20) {
        printf("FAIL too few programs translated or one verdict too rare to mean anything\n");
        return 2;
    }
    return failures ? 2 : 0;
}
