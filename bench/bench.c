/*
 * vfm-bench - VFM interpreter vs libpcap's bpf_filter() vs hand-written C.
 *
 * Every backend runs the same filter over the same contiguous packet array
 * in the same process.  First one untimed pass records each backend's
 * verdict per packet: the verdicts must agree exactly (exit 3 otherwise,
 * naming the packets), so a speed number never hides a wrong answer.  Then
 * each backend makes --reps timed passes over all packets, interleaved with
 * the other backends' passes; the table shows the median and best pass.
 *
 * Each backend's timed loop is its own non-inlined function (run_vfm,
 * run_bpf, run_c) so callgrind can attribute instructions to it (see
 * bench/README.md).
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
#include "vfm/vfm.h"

#define TOOL "vfm-bench"
#define EXIT_MISMATCH 3

#ifndef VFM_BENCH_DEFAULT_PCAP
#define VFM_BENCH_DEFAULT_PCAP "pcaps/mix.pcap"
#endif

enum { B_VFM, B_BPF, B_C, NBACKENDS };
static const char *const backend_names[NBACKENDS] = {"vfm-interp", "bpf_filter", "c-handwritten"};

/* One filter compiled for every backend. */
typedef struct compiled {
    const bench_filter_t *f;
    vfm_state_t *vm;
    uint32_t vfm_code_len;
    struct bpf_program bpf;
    int have_bpf;
} compiled_t;

/* ---- timed loops ---------------------------------------------------------- */

__attribute__((noinline)) static uint64_t run_vfm(vfm_state_t *vm, const bench_pkt_t *pk,
                                                  uint32_t n)
{
    uint64_t matches = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v;
        if (vfm_run(vm, pk[i].data, pk[i].caplen, &v) == VFM_SUCCESS && v != 0)
            matches++;
    }
    return matches;
}

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

static uint64_t run_backend(int b, const compiled_t *c, const bench_pkts_t *pk)
{
    switch (b) {
    case B_VFM:
        return run_vfm(c->vm, pk->pkt, pk->n);
    case B_BPF:
        return run_bpf(c->bpf.bf_insns, pk->pkt, pk->n);
    default:
        return run_c(c->f->pred, pk->pkt, pk->n);
    }
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
    c->vm = vfm_create();
    if (!c->vm) {
        free(code);
        fprintf(stderr, TOOL ": out of memory\n");
        return -1;
    }
    rc = vfm_load_program(c->vm, code, code_len);
    free(code);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": filter %s: vfm_load_program: %s\n", f->name,
                vfm_last_error(c->vm));
        return -1;
    }
    c->vfm_code_len = code_len;
    if (pcap_compile(dead, &c->bpf, f->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, TOOL ": filter %s: pcap_compile: %s\n", f->name, pcap_geterr(dead));
        return -1;
    }
    c->have_bpf = 1;
    return 0;
}

static void release(compiled_t *c)
{
    vfm_destroy(c->vm);
    if (c->have_bpf)
        pcap_freecode(&c->bpf);
}

/*
 * The untimed correctness pass: per-packet verdicts of every backend, and the
 * VM's error codes.  A verified program may fail only with VFM_ERROR_BOUNDS
 * (a load past the captured bytes); any other error is a bug.
 */
static int check_agreement(const compiled_t *c, const bench_pkts_t *pk, uint64_t *matches)
{
    int bad = 0, shown = 0;
    uint64_t m[NBACKENDS] = {0};
    for (uint32_t i = 0; i < pk->n; i++) {
        const bench_pkt_t *p = &pk->pkt[i];
        uint64_t v = 0;
        int rc = vfm_run(c->vm, p->data, p->caplen, &v);
        if (rc != VFM_SUCCESS && rc != VFM_ERROR_BOUNDS) {
            if (shown++ < 10)
                fprintf(stderr, TOOL ": filter %s: packet %u (caplen %u): vfm_run failed: %s\n",
                        c->f->name, i + 1, p->caplen, vfm_error_string(rc));
            bad = 1;
        }
        int verdict[NBACKENDS];
        verdict[B_VFM] = rc == VFM_SUCCESS && v != 0;
        verdict[B_BPF] = bpf_filter(c->bpf.bf_insns, p->data, p->len, p->caplen) != 0;
        verdict[B_C] = c->f->pred(p->data, p->caplen) != 0;
        for (int b = 0; b < NBACKENDS; b++)
            m[b] += (uint64_t)verdict[b];
        if (verdict[B_VFM] != verdict[B_BPF] || verdict[B_C] != verdict[B_BPF]) {
            if (shown++ < 10)
                fprintf(stderr,
                        TOOL ": filter %s: packet %u (caplen %u, len %u): %s=%d %s=%d %s=%d\n",
                        c->f->name, i + 1, p->caplen, p->len, backend_names[B_VFM],
                        verdict[B_VFM], backend_names[B_BPF], verdict[B_BPF],
                        backend_names[B_C], verdict[B_C]);
            bad = 1;
        }
    }
    if (bad)
        fprintf(stderr,
                TOOL ": filter %s: backends disagree (matches: %s %" PRIu64 ", %s %" PRIu64
                     ", %s %" PRIu64 "); this is a correctness bug, not a benchmark result\n",
                c->f->name, backend_names[B_VFM], m[B_VFM], backend_names[B_BPF], m[B_BPF],
                backend_names[B_C], m[B_C]);
    *matches = m[B_BPF];
    return bad ? -1 : 0;
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
            "usage: " TOOL " [-r FILE | --synth N [--seed S]] [--reps K] [--filter NAME] [--csv]\n"
            "Time the VFM interpreter, libpcap's bpf_filter() and hand-written C on the\n"
            "same packets; all three must accept exactly the same packets (exit 3 if not).\n"
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
                "  --csv          machine-readable output\n"
                "  --help, --version\n"
                "Exit status: 0 ok, 1 usage, 2 bad input or filter, 3 backends disagree.\n");
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
    enum { O_SYNTH = 256, O_SEED, O_REPS, O_FILTER, O_CSV, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        {"synth", required_argument, NULL, O_SYNTH},
        {"seed", required_argument, NULL, O_SEED},
        {"reps", required_argument, NULL, O_REPS},
        {"filter", required_argument, NULL, O_FILTER},
        {"csv", no_argument, NULL, O_CSV},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *only = NULL;
    uint64_t synth = 0, seed = 1, reps = 2000;
    int csv = 0, c;
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

    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    if (!dead) {
        fprintf(stderr, TOOL ": pcap_open_dead failed\n");
        bench_pkts_free(&pk);
        return 2;
    }

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    if (csv) {
        printf("filter,backend,ns_per_pkt_median,ns_per_pkt_best,mpps,matches,packets,"
               "speedup_vs_bpf_filter\n");
    } else {
        printf("vfm-bench %s | %s | %s | cc %s\n", vfm_version(), pcap_lib_version(), cpu,
               __VERSION__);
        printf("packets: %u from %s (%zu bytes), %" PRIu64 " timed passes per cell\n", pk.n,
               source, pk.bytes, reps);
        printf("ns/pkt and Mpps: median pass; best: fastest pass; speedup: bpf_filter's median\n"
               "ns/pkt over the backend's (> 1: faster than bpf_filter)\n\n");
        printf("%-12s %-14s %8s %8s %8s %9s %8s\n", "filter", "backend", "ns/pkt", "best",
               "Mpps", "matches", "speedup");
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
        uint64_t matches;
        if (check_agreement(&cf, &pk, &matches) < 0) {
            release(&cf);
            status = EXIT_MISMATCH;
            continue; /* still check the other filters */
        }
        /* Passes interleave the backends, so a disturbance (another process,
         * a frequency change) hits all of them alike. */
        result_t res[NBACKENDS];
        for (uint64_t k = 0; k < reps; k++) {
            for (int b = 0; b < NBACKENDS; b++) {
                double t0 = now_ns();
                uint64_t got = run_backend(b, &cf, &pk);
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
            double *sb = samples + b * reps;
            qsort(sb, reps, sizeof *sb, cmp_double);
            res[b].best_ns = sb[0];
            res[b].median_ns = sb[reps / 2];
            res[b].matches = matches;
        }
        for (int b = 0; b < NBACKENDS; b++) {
            double speedup = res[B_BPF].median_ns / res[b].median_ns;
            double mpps = 1e3 / res[b].median_ns;
            if (csv)
                printf("%s,%s,%.3f,%.3f,%.2f,%" PRIu64 ",%u,%.3f\n", f->name, backend_names[b],
                       res[b].median_ns, res[b].best_ns, mpps, res[b].matches, pk.n, speedup);
            else
                printf("%-12s %-14s %8.2f %8.2f %8.1f %9" PRIu64 " %7.2fx\n", f->name,
                       backend_names[b], res[b].median_ns, res[b].best_ns, mpps, res[b].matches,
                       speedup);
        }
        if (!csv)
            printf("%-12s (VFM %u code bytes, BPF %u instructions: %s)\n\n", "",
                   cf.vfm_code_len, cf.bpf.bf_len, f->expr);
        fflush(stdout);
        release(&cf);
    }
    free(samples);
    pcap_close(dead);
    bench_pkts_free(&pk);
    return status;
}
