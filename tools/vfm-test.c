/*
 * vfm-test - run a filter over a capture (pcap or pcapng, via libpcap).
 *
 * Packets are read in batches and each batch is run by one vfm_run_batch
 * call, so the ns/packet of --stats measures the filter and not the capture
 * reader.
 * Accepted = vfm_run succeeded and returned non-zero (as in BPF).
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_util.h"
#include "vfm/asm.h"

static void usage(void)
{
    printf("Usage: %s [OPTIONS] FILTER CAPTURE\n"
           "Run a VFM filter over every packet of a capture and count the verdicts.\n"
           "FILTER is bytecode (a file image or raw code) or assembly (*.vfm, assembled\n"
           "in memory).  CAPTURE is a pcap or pcapng file ('-' = stdin), any link type.\n"
           "A packet is accepted when the filter returns non-zero without an error.\n"
           "\n"
           "  -c, --count            print only the number of accepted packets\n"
           "  -s, --stats            also print errors by kind, ns/packet, flow table figures\n"
           "  -v, --verbose          one line per packet: index, caplen, verdict, value\n"
           "  -t, --trace            single-step every packet: pc, instruction, stack\n"
           "  -n, --packets N        process only the first N packets\n"
           "  -L, --allow-loops N    accept backward jumps, at most N taken per packet\n"
           "  -F, --flow-size N      flow table entries (default %u when the filter uses it)\n"
           "      --jit              run the filter as native code (x86-64, arm64); where the\n"
           "                         JIT cannot, say why on stderr and use the interpreter\n"
           "                         (--trace always single-steps the interpreter)\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Output: \"N packets, A accepted, D dropped, E errors\" (or, with --count, A).\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (unreadable or invalid\n"
           "filter, unreadable or corrupt capture; results so far are printed first).\n",
           tool_name(), VFM_FLOW_DEFAULT_ENTRIES);
}

typedef struct options {
    bool count, stats, verbose, trace, jit;
    bool have_limit;
    uint32_t limit;      /* -n */
    uint32_t loop_limit; /* --allow-loops, 0 = none */
    uint32_t flow_size;  /* --flow-size, 0 = default */
} options_t;

/* Error codes are small negatives; counts indexed by -code. */
enum { NERRORS = 32 };

typedef struct totals {
    uint64_t packets, accepted, dropped, errors;
    uint64_t by_error[NERRORS];
    uint64_t run_ns, timed;
    bool oom;
} totals_t;

/* Packets read but not yet run; their bytes live in one arena. */
enum { BATCH_PACKETS = 1024, ARENA_SIZE = 4 << 20 };

typedef struct batch {
    uint8_t *arena;
    size_t arena_cap, used;
    size_t n;
    size_t off[BATCH_PACKETS];
    uint32_t caplen[BATCH_PACKETS];
    vfm_packet_t pkt[BATCH_PACKETS]; /* filled just before the run: the arena may move */
    int rc[BATCH_PACKETS];
    uint64_t value[BATCH_PACKETS];
} batch_t;

typedef struct tracer {
    const uint8_t *code;
    uint32_t code_len;
} tracer_t;

static void print_value(uint64_t v)
{
    if (v < 256)
        printf(" %" PRIu64, v);
    else
        printf(" 0x%" PRIx64, v);
}

/* Show at most this many values of the stack (the top ones). */
enum { TRACE_STACK_SHOWN = 8 };

static void trace_step(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth)
{
    const tracer_t *t = user;
    char insn[64];
    if (vfm_format_insn(t->code, t->code_len, pc, insn, sizeof insn) < 0)
        snprintf(insn, sizeof insn, "?");
    printf("  %04u: %-24s [", pc, insn);
    uint32_t first = 0;
    if (depth > TRACE_STACK_SHOWN) {
        first = depth - TRACE_STACK_SHOWN;
        printf(" (%u more)", first);
    }
    for (uint32_t i = first; i < depth; i++)
        print_value(stack[i]);
    printf(" ]\n");
}

static void print_verdict(uint64_t index, uint32_t caplen, int rc, uint64_t value)
{
    printf("%" PRIu64 ": caplen=%u ", index, caplen);
    if (rc != VFM_SUCCESS)
        printf("error %s\n", tool_error_name(rc));
    else
        printf("%s ret=%" PRIu64 "\n", value ? "accept" : "drop", value);
}

static void tally(totals_t *t, int rc, uint64_t value)
{
    t->packets++;
    if (rc != VFM_SUCCESS) {
        t->errors++;
        unsigned i = rc < 0 && rc > -NERRORS ? (unsigned)-rc : NERRORS - 1;
        t->by_error[i]++;
    } else if (value) {
        t->accepted++;
    } else {
        t->dropped++;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run and report the packets of @p b (the first has index @p first). */
static void run_batch(vfm_state_t *vm, batch_t *b, const options_t *o, totals_t *t,
                      uint64_t first)
{
    for (size_t i = 0; i < b->n; i++)
        b->pkt[i] = (vfm_packet_t){b->arena + b->off[i], b->caplen[i]};
    uint64_t t0 = now_ns();
    /* Cannot fail as a whole: the VM has a program and the arrays are ours. */
    vfm_run_batch(vm, b->pkt, b->n, b->value, b->rc);
    t->run_ns += now_ns() - t0;
    t->timed += b->n;
    for (size_t i = 0; i < b->n; i++) {
        tally(t, b->rc[i], b->value[i]);
        if (o->verbose)
            print_verdict(first + i, b->caplen[i], b->rc[i], b->value[i]);
    }
    b->n = 0;
    b->used = 0;
}

static void trace_packet(vfm_state_t *vm, tracer_t *tr, const uint8_t *pkt, uint32_t caplen,
                         totals_t *t, uint64_t index)
{
    uint64_t value = 0;
    printf("packet %" PRIu64 " (caplen %u):\n", index, caplen);
    int rc = vfm_trace(vm, pkt, caplen, &value, trace_step, tr);
    tally(t, rc, value);
    print_verdict(index, caplen, rc, value);
}

/*
 * Read, run and report every packet (up to -n).  Returns EXIT_INPUT when the
 * capture is corrupt (the caller prints libpcap's reason after the results)
 * or memory runs out (t->oom, already reported).
 */
static int run_capture(pcap_t *p, vfm_state_t *vm, batch_t *b, const options_t *o, totals_t *t,
                       tracer_t *tr, const char *capture)
{
    uint64_t index = 0, first = 1;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = 0;
    while (!(o->have_limit && index >= o->limit) && (rc = pcap_next_ex(p, &h, &data)) >= 0) {
        if (rc == 0)
            continue; /* live-capture timeout; not for files */
        index++;
        if (o->trace) {
            trace_packet(vm, tr, data, h->caplen, t, index);
            continue;
        }
        if (b->n == BATCH_PACKETS || h->caplen > b->arena_cap - b->used) {
            run_batch(vm, b, o, t, first);
            first = index;
        }
        if (h->caplen > b->arena_cap) {
            uint8_t *a = realloc(b->arena, h->caplen);
            if (!a) {
                run_batch(vm, b, o, t, first);
                tool_err("%s: packet %" PRIu64 ": out of memory", capture, index);
                t->oom = true;
                return EXIT_INPUT;
            }
            b->arena = a;
            b->arena_cap = h->caplen;
        }
        memcpy(b->arena + b->used, data, h->caplen);
        b->off[b->n] = b->used;
        b->caplen[b->n++] = h->caplen;
        b->used += h->caplen;
    }
    run_batch(vm, b, o, t, first);
    return rc == PCAP_ERROR ? EXIT_INPUT : EXIT_OK;
}

/* After the summary line (which has the totals): errors by kind, time, flow table. */
static void print_stats(const vfm_state_t *vm, const totals_t *t)
{
    printf("errors:");
    if (!t->errors)
        printf(" none");
    const char *sep = " ";
    for (int i = 1; i < NERRORS; i++) {
        if (t->by_error[i]) {
            printf("%s%s %" PRIu64, sep, tool_error_name(-i), t->by_error[i]);
            sep = ", ";
        }
    }
    printf("\n");
    if (t->timed)
        printf("time: %.1f ns/packet in vfm_run_batch (%" PRIu64 " packets, %.3f ms)\n",
               (double)t->run_ns / (double)t->timed, t->timed, (double)t->run_ns / 1e6);
    else
        printf("time: not measured%s\n", t->packets ? " (--trace)" : ": no packets");
    printf("engine: %s\n", vfm_jit_active(vm) ? vfm_jit_status(vm) : "interpreter");
    vfm_flow_stats_t fs;
    vfm_flow_table_stats(vm, &fs);
    if (fs.capacity)
        printf("flow table: capacity %u, entries %u, evictions %" PRIu64 ", %zu bytes\n",
               fs.capacity, fs.entries, fs.evictions, fs.bytes);
    else
        printf("flow table: none\n");
}

/* Does the program contain HASH5 (the one instruction that needs the link type)? */
static bool uses_hash5(const uint8_t *code, uint32_t len)
{
    for (uint32_t pc = 0; pc < len;) {
        int size = vfm_format_insn(code, len, pc, NULL, 0);
        if (size <= 0)
            return false;
        if (code[pc] == VFM_OP_HASH5)
            return true;
        pc += (uint32_t)size;
    }
    return false;
}

/* Settings, then the program (settings must come before vfm_load_program). */
static vfm_state_t *setup_vm(const options_t *o, const char *filter, const uint8_t *code,
                             uint32_t code_len, const char *capture, int linktype)
{
    vfm_state_t *vm = vfm_create();
    if (!vm) {
        tool_err("out of memory");
        return NULL;
    }
    int rc;
    if (o->loop_limit && (rc = vfm_set_loop_limit(vm, o->loop_limit)) != VFM_SUCCESS) {
        tool_err("--allow-loops %u: %s", o->loop_limit, vfm_error_string(rc));
        goto fail;
    }
    if (o->flow_size && (rc = vfm_flow_table_init(vm, o->flow_size)) != VFM_SUCCESS) {
        tool_err("--flow-size %u: %s", o->flow_size, vfm_error_string(rc));
        goto fail;
    }
    if (vfm_set_linktype(vm, linktype) != VFM_SUCCESS && uses_hash5(code, code_len))
        tool_err("warning: %s: link type %d (%s) not supported by HASH5; it pushes 0", capture,
                 linktype, pcap_datalink_val_to_name(linktype) ? pcap_datalink_val_to_name(linktype)
                                                                : "unknown");
    if (vfm_load_program(vm, code, code_len) != VFM_SUCCESS) {
        const char *why = vfm_last_error(vm);
        tool_err("%s: %s", filter, why && why[0] ? why : "cannot load the program");
        goto fail;
    }
    /* Not fatal: the results are the same on the interpreter. */
    if (o->jit && vfm_enable_jit(vm) != VFM_SUCCESS)
        tool_err("JIT not used: %s", vfm_jit_status(vm));
    return vm;
fail:
    vfm_destroy(vm);
    return NULL;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    enum { OPT_VERSION = 256, OPT_JIT };
    static const struct option longopts[] = {
        {"count", no_argument, NULL, 'c'},
        {"stats", no_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"trace", no_argument, NULL, 't'},
        {"packets", required_argument, NULL, 'n'},
        {"allow-loops", required_argument, NULL, 'L'},
        {"flow-size", required_argument, NULL, 'F'},
        {"jit", no_argument, NULL, OPT_JIT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":csvtn:L:F:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->count = true; break;
        case 's': o->stats = true; break;
        case 'v': o->verbose = true; break;
        case 't': o->trace = true; break;
        case 'n':
            if (tool_parse_u32("-n", optarg, UINT32_MAX, &o->limit) != 0)
                return EXIT_USAGE;
            o->have_limit = true;
            break;
        case 'L':
            if (tool_parse_u32("--allow-loops", optarg, UINT32_MAX, &o->loop_limit) != 0)
                return EXIT_USAGE;
            if (o->loop_limit == 0)
                return tool_usage_error("--allow-loops: N must be at least 1");
            break;
        case 'F':
            if (tool_parse_u32("--flow-size", optarg, VFM_FLOW_MAX_ENTRIES, &o->flow_size) != 0)
                return EXIT_USAGE;
            if (o->flow_size == 0)
                return tool_usage_error("--flow-size: N must be at least 1");
            break;
        case OPT_JIT: o->jit = true; break;
        case 'h': usage(); return -1;
        case OPT_VERSION: tool_version(); return -1;
        default: return tool_bad_option(c, argv);
        }
    }
    if (argc - optind < 2)
        return tool_usage_error(optind >= argc ? "no filter and no capture given"
                                               : "no capture given");
    if (argc - optind > 2)
        return tool_usage_error("unexpected argument '%s'", argv[optind + 2]);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    options_t o = {0};
    tool_init("vfm-test");
    int status = parse_args(argc, argv, &o);
    if (status != EXIT_OK)
        return status < 0 ? EXIT_OK : status;
    const char *filter = argv[optind], *capture = argv[optind + 1];

    uint8_t *code = NULL;
    uint32_t code_len = 0;
    vfm_verify_opts_t vo = {.allow_loops = o.loop_limit > 0};
    if (tool_load_filter(filter, &vo, &code, &code_len) != 0)
        return EXIT_INPUT;

    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline(capture, errbuf);
    if (!p) {
        /* libpcap often starts its message with the file name already. */
        size_t n = strlen(capture);
        const char *why = strncmp(errbuf, capture, n) == 0 && strncmp(errbuf + n, ": ", 2) == 0
                              ? errbuf + n + 2
                              : errbuf;
        tool_err("%s: %s", capture, why);
        free(code);
        return EXIT_INPUT;
    }
    vfm_state_t *vm = setup_vm(&o, filter, code, code_len, capture, pcap_datalink(p));
    batch_t *b = vm ? calloc(1, sizeof *b) : NULL;
    if (b) {
        b->arena_cap = ARENA_SIZE;
        b->arena = malloc(b->arena_cap);
    }
    if (!vm || !b || !b->arena) {
        if (vm)
            tool_err("out of memory");
        if (b)
            free(b->arena);
        free(b);
        vfm_destroy(vm);
        pcap_close(p);
        free(code);
        return EXIT_INPUT;
    }

    totals_t t = {0};
    tracer_t tr = {code, code_len};
    status = run_capture(p, vm, b, &o, &t, &tr, capture);
    if (o.count)
        printf("%" PRIu64 "\n", t.accepted);
    else
        printf("%" PRIu64 " packets, %" PRIu64 " accepted, %" PRIu64 " dropped, %" PRIu64
               " errors\n",
               t.packets, t.accepted, t.dropped, t.errors);
    if (o.stats)
        print_stats(vm, &t);
    if (status == EXIT_INPUT && !t.oom)
        tool_err("%s: %s", capture, pcap_geterr(p));
    fflush(stdout);
    free(b->arena);
    free(b);
    vfm_destroy(vm);
    pcap_close(p);
    free(code);
    return status;
}
