/*
 * vfm-bench - VFM (interpreter and JIT, on hand-written assembly and on
 * VFLisp) vs libpcap's bpf_filter() vs hand-written C.
 *
 * Every backend runs the same filter over the same contiguous packet array
 * in the same process.  First one untimed pass records each backend's
 * verdict per packet: the verdicts must agree exactly, and the JIT must
 * return exactly what the interpreter returns (exit 3 otherwise, naming the
 * packets), so a speed number never hides a wrong answer.  Then each backend
 * makes --reps timed passes over all packets, interleaved with the other
 * backends' passes; the table shows the median and best pass.  Per filter it
 * also reports the JIT's compile time (median of several compilations) and
 * the memory one VM holds (vfm_memory_usage).
 *
 * Each backend's timed loop is its own non-inlined function (run_vfm,
 * run_jit, run_vfl, run_vfl_jit, run_vfm_batch, run_jit_batch, run_bpf,
 * run_c) so callgrind can attribute instructions to it (see
 * bench/README.md).  The -batch rows run the assembly program's VMs through
 * vfm_run_batch() in bursts of --burst packets, as pcap_dispatch() would
 * deliver them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_util.h"
#include "filters.h"
#include "pktset.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"

#define TOOL "vfm-bench"
#define EXIT_MISMATCH 3

#ifndef VFM_BENCH_DEFAULT_PCAP
#define VFM_BENCH_DEFAULT_PCAP "pcaps/mix.pcap"
#endif

/*
 * The VM backends first (they index compiled_t.vm), then the batch rows
 * (vfm_run_batch on the vfm-interp and vfm-jit VMs), then the references.
 */
enum { B_VFM, B_JIT, B_VFL, B_VFL_JIT, NVMS, B_VFM_BATCH = NVMS, B_JIT_BATCH, B_BPF, B_C,
       NBACKENDS };
static const char *const backend_names[NBACKENDS] = {
    "vfm-interp", "vfm-jit", "vfl-interp", "vfl-jit", "vfm-interp-batch", "vfm-jit-batch",
    "bpf_filter", "c-handwritten"};

/* The compiled_t.vm slot a VM backend runs on (the batch rows share the assembly program's). */
static int vm_slot(int b)
{
    return b == B_VFM_BATCH ? B_VFM : b == B_JIT_BATCH ? B_JIT : b;
}

#define BURST_DEFAULT 64 /* packets per vfm_run_batch call, like a pcap_dispatch burst */
#define BURST_MAX 4096

#define JIT_COMPILES 31 /* compilations timed per program; the median is reported */

/* One VM program (assembly or VFLisp) on the interpreter and on the JIT. */
typedef struct vmpair {
    uint32_t code_len;       /* VFM code bytes (without a file header) */
    size_t native_bytes;     /* JIT code, 0 if the JIT is not active */
    double compile_ns;       /* median JIT compile time */
    size_t mem_interp, mem_jit; /* vfm_memory_usage of each VM */
} vmpair_t;

/* One filter compiled for every backend. */
typedef struct compiled {
    const bench_filter_t *f;
    vfm_state_t *vm[NVMS];   /* NULL: that backend does not run (see why[]) */
    vmpair_t prog[2];        /* [0] assembly, [1] VFLisp */
    char why[NVMS][160];     /* why a VM backend does not run */
    struct bpf_program bpf;
    int have_bpf;
    unsigned timed;          /* backends to time (bit per backend); all are checked */
} compiled_t;

/* ---- timed loops ---------------------------------------------------------- */

/*
 * One function per VM backend, identical bodies, so callgrind can tell them
 * apart.  gcc would merge identical functions (-fipa-icf): noipa stops it.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define LOOP_FN __attribute__((noinline, noipa))
#else
#define LOOP_FN __attribute__((noinline))
#endif
#define RUN_VM(fn)                                                                         \
    LOOP_FN static uint64_t fn(vfm_state_t *vm, const bench_pkt_t *pk, uint32_t n)         \
    {                                                                                      \
        uint64_t matches = 0;                                                              \
        for (uint32_t i = 0; i < n; i++) {                                                 \
            uint64_t v;                                                                    \
            if (vfm_run(vm, pk[i].data, pk[i].caplen, &v) == VFM_SUCCESS && v != 0)        \
                matches++;                                                                 \
        }                                                                                  \
        return matches;                                                                    \
    }
RUN_VM(run_vfm)
RUN_VM(run_jit)
RUN_VM(run_vfl)
RUN_VM(run_vfl_jit)
#undef RUN_VM

/*
 * The batch rows: bursts of @p burst packets through vfm_run_batch, which
 * fills a per-burst results array (as a capture loop wanting each verdict
 * would) and returns the count accepted.
 */
#define RUN_BATCH(fn)                                                                      \
    LOOP_FN static uint64_t fn(vfm_state_t *vm, const vfm_packet_t *pk, uint32_t n,        \
                               uint32_t burst)                                             \
    {                                                                                      \
        uint64_t matches = 0, results[BURST_MAX];                                          \
        for (uint32_t i = 0; i < n; i += burst) {                                          \
            int got = vfm_run_batch(vm, pk + i, n - i < burst ? n - i : burst, results,    \
                                    NULL);                                                 \
            if (got > 0)                                                                   \
                matches += (uint64_t)got;                                                  \
        }                                                                                  \
        return matches;                                                                    \
    }
RUN_BATCH(run_vfm_batch)
RUN_BATCH(run_jit_batch)
#undef RUN_BATCH

__attribute__((noinline)) static uint64_t run_bpf(const struct bpf_insn *insns,
                                                  const bench_pkt_t *pk, uint32_t n)
{
    uint64_t matches = 0;
    for (uint32_t i = 0; i < n; i++)
        if (bpf_filter(insns, pk[i].data, pk[i].len, pk[i].caplen) != 0)
            matches++;
    return matches;
}

__attribute__((noinline)) static uint64_t run_c(bench_pred_fn pred, const bench_pkt_t *pk,
                                                uint32_t n)
{
    uint64_t matches = 0;
    for (uint32_t i = 0; i < n; i++)
        if (pred(pk[i].data, pk[i].caplen))
            matches++;
    return matches;
}

/* Does backend @p b run for this filter (checked for agreement)? */
static int available(const compiled_t *c, int b)
{
    return b < B_BPF ? c->vm[vm_slot(b)] != NULL : 1;
}

/* ... and is it timed (--backends)? */
static int timed(const compiled_t *c, int b)
{
    return available(c, b) && (c->timed >> b & 1);
}

/*
 * Parse --backends: names separated by commas.  bpf_filter and c-handwritten
 * are always timed, as every ratio refers to them.
 */
static int parse_backends(const char *list, unsigned *mask)
{
    *mask = 1u << B_BPF | 1u << B_C;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int b = 0;
        while (b < NBACKENDS && !(strlen(backend_names[b]) == n && !strncmp(p, backend_names[b], n)))
            b++;
        if (b == NBACKENDS) {
            tool_usage_error("--backends: unknown backend '%.*s' (vfm-interp, vfm-jit, "
                             "vfl-interp, vfl-jit, vfm-interp-batch, vfm-jit-batch, "
                             "bpf_filter, c-handwritten)", (int)n, p);
            return -1;
        }
        *mask |= 1u << b;
        p += n + (p[n] == ',');
    }
    return 0;
}

static uint64_t run_backend(int b, const compiled_t *c, const bench_pkts_t *pk,
                            const vfm_packet_t *vp, uint32_t burst)
{
    switch (b) {
    case B_VFM:
        return run_vfm(c->vm[b], pk->pkt, pk->n);
    case B_JIT:
        return run_jit(c->vm[b], pk->pkt, pk->n);
    case B_VFL:
        return run_vfl(c->vm[b], pk->pkt, pk->n);
    case B_VFL_JIT:
        return run_vfl_jit(c->vm[b], pk->pkt, pk->n);
    case B_VFM_BATCH:
        return run_vfm_batch(c->vm[B_VFM], vp, pk->n, burst);
    case B_JIT_BATCH:
        return run_jit_batch(c->vm[B_JIT], vp, pk->n, burst);
    case B_BPF:
        return run_bpf(c->bpf.bf_insns, pk->pkt, pk->n);
    case B_C:
        return run_c(c->f->pred, pk->pkt, pk->n);
    }
    abort(); /* a backend without a loop: add it above */
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- setup ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b);

/* Median compile time over JIT_COMPILES fresh compilations of the loaded program. */
static double median_compile_ns(vfm_state_t *vm)
{
    double t[JIT_COMPILES];
    for (int i = 0; i < JIT_COMPILES; i++) {
        vfm_disable_jit(vm);
        vfm_enable_jit(vm);
        vfm_jit_info_t info;
        vfm_jit_info(vm, &info);
        t[i] = (double)info.compile_ns;
    }
    qsort(t, JIT_COMPILES, sizeof t[0], cmp_double);
    return t[JIT_COMPILES / 2];
}

/*
 * Load @p code into the interpreter VM slot @p b and the JIT slot @p b + 1.
 * A program the JIT does not compile still runs on the interpreter; its JIT
 * slot stays empty and why[] says why.
 */
static int load_pair(compiled_t *c, int b, const uint8_t *code, uint32_t len, vmpair_t *pp)
{
    for (int j = 0; j < 2; j++) {
        vfm_state_t *vm = c->vm[b + j] = vfm_create();
        if (!vm) {
            fprintf(stderr, TOOL ": out of memory\n");
            return -1;
        }
        if (vfm_load_program(vm, code, len) != VFM_SUCCESS) {
            fprintf(stderr, TOOL ": filter %s: %s: vfm_load_program: %s\n", c->f->name,
                    backend_names[b + j], vfm_last_error(vm));
            return -1;
        }
    }
    pp->mem_interp = vfm_memory_usage(c->vm[b]);
    vfm_state_t *jvm = c->vm[b + 1];
    if (vfm_enable_jit(jvm) != VFM_SUCCESS || !vfm_jit_active(jvm)) {
        snprintf(c->why[b + 1], sizeof c->why[b + 1], "%s", vfm_jit_status(jvm));
        vfm_destroy(jvm);
        c->vm[b + 1] = NULL;
        return 0;
    }
    pp->compile_ns = median_compile_ns(jvm);
    vfm_jit_info_t info;
    vfm_jit_info(jvm, &info);
    if (!info.active) { /* it compiled before: a recompilation failing is a bug */
        fprintf(stderr, TOOL ": filter %s: the JIT failed on recompiling: %s\n", c->f->name,
                vfm_jit_status(jvm));
        return -1;
    }
    pp->native_bytes = info.code_bytes;
    pp->mem_jit = vfm_memory_usage(jvm);
    return 0;
}

static int compile_filter(const bench_filter_t *f, pcap_t *dead, compiled_t *c)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    vfm_asm_opts_t opts = {.filename = f->name};
    vfm_diag_t diag;
    uint8_t *code = NULL;
    uint32_t code_len = 0;
    int rc = vfm_assemble(f->vfm_asm, strlen(f->vfm_asm), &opts, &code, &code_len, &diag);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": filter %s: VFM assembly failed: %s\n", f->name, diag.msg);
        return -1;
    }
    c->prog[0].code_len = code_len;
    rc = load_pair(c, B_VFM, code, code_len, &c->prog[0]);
    free(code);
    if (rc < 0)
        return -1;

    char err[1024];
    uint8_t *image = NULL;
    uint32_t image_len = 0;
    if (vfl_compile_string(f->vflisp, &image, &image_len, err, sizeof err) != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": filter %s: VFLisp compilation failed: %s\n", f->name, err);
        return -1;
    }
    const uint8_t *vcode;
    if (vfm_bytecode_parse(image, image_len, &vcode, &c->prog[1].code_len, err, sizeof err)) {
        fprintf(stderr, TOOL ": filter %s: VFLisp output: %s\n", f->name, err);
        free(image);
        return -1;
    }
    rc = load_pair(c, B_VFL, image, image_len, &c->prog[1]);
    free(image);
    if (rc < 0)
        return -1;

    if (pcap_compile(dead, &c->bpf, f->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, TOOL ": filter %s: pcap_compile: %s\n", f->name, pcap_geterr(dead));
        return -1;
    }
    c->have_bpf = 1;
    return 0;
}

static void release(compiled_t *c)
{
    for (int b = 0; b < NVMS; b++)
        vfm_destroy(c->vm[b]);
    if (c->have_bpf)
        pcap_freecode(&c->bpf);
}

/* Backends check_agreement compares (check_batch does the batch rows). */
static int checked_here(const compiled_t *c, int b)
{
    return available(c, b) && (b < NVMS || b >= B_BPF);
}

/*
 * The untimed correctness pass: per-packet verdicts of every backend, and the
 * VMs' return codes.  A verified program may fail only with VFM_ERROR_BOUNDS
 * (a load past the captured bytes); any other error is a bug.  Each JIT must
 * return exactly the interpreter's code and value on the same program.
 */
static int check_agreement(const compiled_t *c, const bench_pkts_t *pk, uint64_t *matches)
{
    int bad = 0, shown = 0;
    uint64_t m[NBACKENDS] = {0};
    for (uint32_t i = 0; i < pk->n; i++) {
        const bench_pkt_t *p = &pk->pkt[i];
        int verdict[NBACKENDS] = {0}, rc[NVMS] = {0};
        uint64_t v[NVMS] = {0};
        for (int b = 0; b < NVMS; b++) {
            if (!c->vm[b])
                continue;
            rc[b] = vfm_run(c->vm[b], p->data, p->caplen, &v[b]);
            if (rc[b] != VFM_SUCCESS && rc[b] != VFM_ERROR_BOUNDS) {
                if (shown++ < 10)
                    fprintf(stderr, TOOL ": filter %s: packet %u (caplen %u): %s failed: %s\n",
                            c->f->name, i + 1, p->caplen, backend_names[b],
                            vfm_error_string(rc[b]));
                bad = 1;
            }
            verdict[b] = rc[b] == VFM_SUCCESS && v[b] != 0;
        }
        for (int b = B_JIT; b < NVMS; b += 2)
            if (c->vm[b] && (rc[b] != rc[b - 1] || v[b] != v[b - 1])) {
                if (shown++ < 10)
                    fprintf(stderr, TOOL ": filter %s: packet %u (caplen %u): %s returned %d/%"
                            PRIu64 ", %s %d/%" PRIu64 "\n", c->f->name, i + 1, p->caplen,
                            backend_names[b], rc[b], v[b], backend_names[b - 1], rc[b - 1],
                            v[b - 1]);
                bad = 1;
            }
        verdict[B_BPF] = bpf_filter(c->bpf.bf_insns, p->data, p->len, p->caplen) != 0;
        verdict[B_C] = c->f->pred(p->data, p->caplen) != 0;
        int differ = 0;
        for (int b = 0; b < NBACKENDS; b++) {
            m[b] += (uint64_t)verdict[b];
            if (checked_here(c, b) && verdict[b] != verdict[B_BPF])
                differ = 1;
        }
        if (differ) {
            if (shown++ < 10) {
                fprintf(stderr, TOOL ": filter %s: packet %u (caplen %u, len %u):", c->f->name,
                        i + 1, p->caplen, p->len);
                for (int b = 0; b < NBACKENDS; b++)
                    if (checked_here(c, b))
                        fprintf(stderr, " %s=%d", backend_names[b], verdict[b]);
                fputc('\n', stderr);
            }
            bad = 1;
        }
    }
    if (bad) {
        fprintf(stderr, TOOL ": filter %s: backends disagree (matches:", c->f->name);
        for (int b = 0; b < NBACKENDS; b++)
            if (checked_here(c, b))
                fprintf(stderr, " %s %" PRIu64, backend_names[b], m[b]);
        fprintf(stderr, "); this is a correctness bug, not a benchmark result\n");
    }
    *matches = m[B_BPF];
    return bad ? -1 : 0;
}

/*
 * The batch rows' correctness pass: vfm_run_batch over every burst must give
 * each packet exactly vfm_run's code and value on the same VM, and return the
 * number of packets vfm_run accepts.
 */
static int check_batch(const compiled_t *c, const vfm_packet_t *vp, uint32_t n, uint32_t burst)
{
    uint64_t res[BURST_MAX];
    int codes[BURST_MAX], shown = 0;
    for (int b = B_VFM_BATCH; b <= B_JIT_BATCH; b++) {
        vfm_state_t *vm = c->vm[vm_slot(b)];
        if (!vm)
            continue;
        for (uint32_t i = 0; i < n; i += burst) {
            uint32_t k = n - i < burst ? n - i : burst;
            int got = vfm_run_batch(vm, vp + i, k, res, codes);
            int want = 0;
            for (uint32_t j = 0; j < k; j++) {
                uint64_t v;
                int rc = vfm_run(vm, vp[i + j].data, vp[i + j].len, &v);
                want += rc == VFM_SUCCESS && v != 0;
                if ((rc != codes[j] || v != res[j]) && shown++ < 10)
                    fprintf(stderr, TOOL ": filter %s: packet %u: %s returned %d/%" PRIu64
                            ", vfm_run %d/%" PRIu64 "\n", c->f->name, i + j + 1,
                            backend_names[b], codes[j], res[j], rc, v);
            }
            if (got != want && shown++ < 10)
                fprintf(stderr, TOOL ": filter %s: packets %u-%u: %s counted %d accepted, "
                        "vfm_run %d\n", c->f->name, i + 1, i + k, backend_names[b], got, want);
        }
    }
    if (shown)
        fprintf(stderr, TOOL ": filter %s: vfm_run_batch disagrees with vfm_run; this is a "
                "correctness bug, not a benchmark result\n", c->f->name);
    return shown ? -1 : 0;
}

/* ---- reporting ------------------------------------------------------------ */

typedef struct result {
    double median_ns, best_ns; /* per packet */
    uint64_t matches;
} result_t;

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
            }
            break;
        }
    }
    fclose(fp);
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: " TOOL " [-r FILE | --synth N [--seed S]] [--reps K] [--filter NAME]\n"
            "                 [--backends L] [--burst N] [--csv]\n"
            "Time the VFM interpreter and JIT (on assembly and on VFLisp), libpcap's\n"
            "bpf_filter() and hand-written C on the same packets; all must accept exactly\n"
            "the same packets (exit 3 if not).\n"
            "  -r FILE        Ethernet capture to load (default %s)\n"
            "  --synth N      synthesise N packets of the vfm-gen-mix mix instead\n"
            "  --seed S       seed for --synth (default 1)\n"
            "  --reps K       timed passes per filter and backend (default 2000);\n"
            "                 the median pass is reported\n"
            "  --filter NAME  run one filter:",
            VFM_BENCH_DEFAULT_PCAP);
    for (unsigned i = 0; i < bench_nfilters; i++)
        fprintf(fp, " %s", bench_filters[i].name);
    fprintf(fp, "\n"
                "  --backends L   time only these (comma-separated; bpf_filter and\n"
                "                 c-handwritten always): vfm-interp, vfm-jit, vfl-interp,\n"
                "                 vfl-jit, vfm-interp-batch, vfm-jit-batch; all are still\n"
                "                 checked for agreement\n"
                "  --burst N      packets per vfm_run_batch call in the -batch rows\n"
                "                 (default %d, at most %d)\n"
                "  --csv          machine-readable output\n"
                "  --help, --version\n"
                "Exit status: 0 ok, 1 usage, 2 bad input or filter, 3 backends disagree.\n",
            BURST_DEFAULT, BURST_MAX);
}

static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = s[0] == '-' ? 0 : strtoull(s, &end, 0);
    if (s[0] == '-' || s[0] == '\0' || errno || *end || v < min || v > max) {
        fprintf(stderr, TOOL ": %s: '%s' is not a number between %" PRIu64 " and %" PRIu64 "\n",
                opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    tool_init(TOOL);
    enum { O_SYNTH = 256, O_SEED, O_REPS, O_FILTER, O_BACKENDS, O_BURST, O_CSV, O_HELP,
           O_VERSION };
    static const struct option longopts[] = {
        {"synth", required_argument, NULL, O_SYNTH},
        {"seed", required_argument, NULL, O_SEED},
        {"reps", required_argument, NULL, O_REPS},
        {"filter", required_argument, NULL, O_FILTER},
        {"backends", required_argument, NULL, O_BACKENDS},
        {"burst", required_argument, NULL, O_BURST},
        {"csv", no_argument, NULL, O_CSV},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *only = NULL;
    uint64_t synth = 0, seed = 1, reps = 2000, burst = BURST_DEFAULT;
    int csv = 0, c;
    unsigned mask = (1u << NBACKENDS) - 1;
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":r:", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            file = optarg;
            break;
        case O_SYNTH:
            if (parse_num("--synth", optarg, 1, 50000000, &synth))
                return 1;
            break;
        case O_SEED:
            if (parse_num("--seed", optarg, 0, UINT64_MAX, &seed))
                return 1;
            break;
        case O_REPS:
            if (parse_num("--reps", optarg, 1, 100000000, &reps))
                return 1;
            break;
        case O_FILTER:
            only = optarg;
            break;
        case O_BACKENDS:
            if (parse_backends(optarg, &mask))
                return 1;
            break;
        case O_BURST:
            if (parse_num("--burst", optarg, 1, BURST_MAX, &burst))
                return 1;
            break;
        case O_CSV:
            csv = 1;
            break;
        case O_HELP:
            usage(stdout);
            return 0;
        case O_VERSION:
            printf(TOOL " (vfm) %s\n", vfm_version());
            return 0;
        default:
            return tool_bad_option(c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, TOOL ": unexpected argument '%s' (try --help)\n", argv[optind]);
        return 1;
    }
    if (file && synth) {
        fprintf(stderr, TOOL ": -r and --synth exclude each other\n");
        return 1;
    }
    if (only) {
        unsigned i = 0;
        while (i < bench_nfilters && strcmp(bench_filters[i].name, only) != 0)
            i++;
        if (i == bench_nfilters) {
            fprintf(stderr, TOOL ": --filter: unknown filter '%s' (see --help)\n", only);
            return 1;
        }
    }

    bench_pkts_t pk;
    char err[PCAP_ERRBUF_SIZE + 128];
    const char *source = synth ? "synthesised" : file ? file : VFM_BENCH_DEFAULT_PCAP;
    if (synth ? bench_synth((uint32_t)synth, seed, &pk, err, sizeof err)
              : bench_load_pcap(source, &pk, err, sizeof err)) {
        fprintf(stderr, TOOL ": %s: %s\n", source, err);
        return 2;
    }

    /* The batch rows' view of the same packets (built once, outside the timing). */
    vfm_packet_t *vp = malloc((pk.n ? pk.n : 1) * sizeof *vp);
    pcap_t *dead = vp ? pcap_open_dead(DLT_EN10MB, 262144) : NULL;
    if (!dead) {
        fprintf(stderr, TOOL ": %s\n", vp ? "pcap_open_dead failed" : "out of memory");
        free(vp);
        bench_pkts_free(&pk);
        return 2;
    }
    for (uint32_t i = 0; i < pk.n; i++)
        vp[i] = (vfm_packet_t){pk.pkt[i].data, pk.pkt[i].caplen};

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    vfm_jit_info_t host;
    vfm_jit_info(NULL, &host);
    if (csv) {
        printf("filter,backend,ns_per_pkt_median,ns_per_pkt_best,mpps,matches,packets,"
               "speedup_vs_bpf_filter,ratio_vs_c,code_bytes,native_bytes,compile_ns_median,"
               "vm_bytes\n");
    } else {
        printf("vfm-bench %s | %s | %s | cc %s | JIT: %s\n", vfm_version(), pcap_lib_version(),
               cpu, __VERSION__, host.arch ? host.arch : "none for this architecture");
        printf("packets: %u from %s (%zu bytes), %" PRIu64 " timed passes per cell; "
               "-batch rows: vfm_run_batch in bursts of %" PRIu64 "\n", pk.n, source, pk.bytes,
               reps, burst);
        printf("ns/pkt and Mpps: median pass; best: fastest pass; vs bpf: bpf_filter's median\n"
               "over the backend's (> 1: faster than bpf_filter); vs C: the backend's median\n"
               "over hand-written C's (1.00: as fast as C)\n"
               "vfm-*: hand-written VFM assembly; vfl-*: the same filter in VFLisp\n\n");
        printf("%-12s %-16s %8s %8s %8s %9s %8s %7s\n", "filter", "backend", "ns/pkt", "best",
               "Mpps", "matches", "vs bpf", "vs C");
    }

    int status = 0;
    double *samples = malloc(NBACKENDS * reps * sizeof *samples);
    if (!samples) {
        fprintf(stderr, TOOL ": out of memory\n");
        status = 2;
    }
    for (unsigned fi = 0; status != 2 && fi < bench_nfilters; fi++) {
        const bench_filter_t *f = &bench_filters[fi];
        if (only && strcmp(f->name, only) != 0)
            continue;
        compiled_t cf;
        if (compile_filter(f, dead, &cf) < 0) {
            release(&cf);
            status = 2;
            break;
        }
        cf.timed = mask;
        uint64_t matches;
        if (check_agreement(&cf, &pk, &matches) < 0 ||
            check_batch(&cf, vp, pk.n, (uint32_t)burst) < 0) {
            release(&cf);
            status = EXIT_MISMATCH;
            continue; /* still check the other filters */
        }
        /* Passes interleave the backends, so a disturbance (another process,
         * a frequency change) hits all of them alike. */
        result_t res[NBACKENDS];
        for (uint64_t k = 0; k < reps; k++) {
            for (int b = 0; b < NBACKENDS; b++) {
                if (!timed(&cf, b))
                    continue;
                double t0 = now_ns();
                uint64_t got = run_backend(b, &cf, &pk, vp, (uint32_t)burst);
                samples[b * reps + k] = (now_ns() - t0) / pk.n;
                if (got != matches) { /* cannot happen unless a backend is not deterministic */
                    fprintf(stderr, TOOL ": filter %s: %s matched %" PRIu64 " packets on pass %"
                            PRIu64 ", %" PRIu64 " before\n", f->name, backend_names[b], got,
                            k + 1, matches);
                    status = EXIT_MISMATCH;
                }
            }
        }
        for (int b = 0; b < NBACKENDS; b++) {
            if (!timed(&cf, b))
                continue;
            double *sb = samples + b * reps;
            qsort(sb, reps, sizeof *sb, cmp_double);
            res[b].best_ns = sb[0];
            res[b].median_ns = sb[reps / 2];
            res[b].matches = matches;
        }
        for (int b = 0; b < NBACKENDS; b++) {
            if (!timed(&cf, b))
                continue;
            double speedup = res[B_BPF].median_ns / res[b].median_ns;
            double vs_c = res[b].median_ns / res[B_C].median_ns;
            double mpps = 1e3 / res[b].median_ns;
            const vmpair_t *pp = b < B_BPF ? &cf.prog[vm_slot(b) / 2] : NULL;
            int jit = b == B_JIT || b == B_VFL_JIT || b == B_JIT_BATCH;
            if (csv)
                printf("%s,%s,%.3f,%.3f,%.2f,%" PRIu64 ",%u,%.3f,%.3f,%u,%zu,%.0f,%zu\n",
                       f->name, backend_names[b], res[b].median_ns, res[b].best_ns, mpps,
                       res[b].matches, pk.n, speedup, vs_c, pp ? pp->code_len : 0,
                       pp && jit ? pp->native_bytes : 0, pp && jit ? pp->compile_ns : 0,
                       pp ? (jit ? pp->mem_jit : pp->mem_interp) : 0);
            else
                printf("%-12s %-16s %8.2f %8.2f %8.1f %9" PRIu64 " %7.2fx %6.2fx\n", f->name,
                       backend_names[b], res[b].median_ns, res[b].best_ns, mpps, res[b].matches,
                       speedup, vs_c);
        }
        if (!csv) {
            printf("%-12s %s\n", "", f->expr);
            for (int j = 0; j < 2; j++) {
                const vmpair_t *pp = &cf.prog[j];
                int jb = j ? B_VFL_JIT : B_JIT;
                printf("%-12s %s: %u code bytes, %.1f KiB per VM", "",
                       j ? "VFLisp  " : "assembly", pp->code_len, pp->mem_interp / 1024.0);
                if (cf.vm[jb])
                    printf("; JIT: %zu bytes native, compiled in %.1f us (median of %d), "
                           "%.1f KiB per VM\n", pp->native_bytes, pp->compile_ns / 1e3,
                           JIT_COMPILES, pp->mem_jit / 1024.0);
                else
                    printf("; JIT not run: %s\n", cf.why[jb]);
            }
            printf("%-12s BPF: %u instructions\n\n", "", cf.bpf.bf_len);
        }
        fflush(stdout);
        release(&cf);
    }
    free(samples);
    free(vp);
    pcap_close(dead);
    bench_pkts_free(&pk);
    return status;
}
