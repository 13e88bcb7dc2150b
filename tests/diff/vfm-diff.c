/*
 * vfm-diff - differential test: random verified programs on random and real
 * packets, the interpreter against the JIT (or the traced interpreter).
 *
 * Program i of a run is generated from vfmg_program_seed(seed, i); its
 * packets come from a generator seeded from the same value, so
 * `--seed S --index I` replays exactly one program and its packet sequence.
 * Each program runs its whole packet sequence on two VMs (one interpreted,
 * one on the compared backend) so flow-table state evolves on both and must
 * stay identical.  Every --trace-every'th program also runs on a third VM
 * through vfm_trace.  With --batch, the whole sequence then runs again
 * through vfm_run_batch (random bursts and output arrays) on an interpreted
 * VM and, against the JIT, a native one: every packet must get exactly what
 * vfm_run gave it on the interpreter.  Any difference in return code or
 * result prints the seed, the program, the packet and both results, and
 * exits 1.
 *
 * Exit: 0 all agree; 1 a mismatch, a refused or failed load, or a usage
 * error; 2 bad input (an unreadable capture); 77 no JIT on this host or no
 * executable memory (ctest SKIP).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "gen.h"
#include "packets.h"
#include "report.h"
#include "tool_util.h"
#include "vfm/vfm.h"

#define TOOL "vfm-diff"
#define EXIT_FAIL 1
#define EXIT_SKIP 77

enum against { AGAINST_JIT, AGAINST_TRACE };

typedef struct options {
    uint64_t pairs, seed, index, seconds;
    uint32_t packets;     /* per program */
    uint32_t trace_every; /* 0 = never */
    bool forever, replay, dump, allow_refusal, inject_fault, verbose, no_pcap, batch;
    const char *pcap;
    enum against against;
} options_t;

/* Everything a run shares. */
typedef struct run {
    const options_t *o;
    vfm_state_t *vm_interp, *vm_other, *vm_trace;
    vfm_state_t *vm_batch[2]; /* --batch: interpreter, JIT (NULL against trace) */
    vfmd_seq_t seq;           /* --batch: the current program's packets */
    vfmd_pool_t pool;
    vfmd_buf_t buf;
    vfmg_stats_t gen;
    uint64_t pairs, programs, rejected, refused, traced_pairs, batched_pairs;
    uint64_t native_bytes; /* JIT code compiled, summed over programs */
    uint64_t by_rc[32]; /* interpreter outcomes, by -rc */
    bool fault_done;
} run_t;

static const char *other_name(const run_t *r)
{
    return r->o->against == AGAINST_JIT ? "jit" : "trace";
}

/* ---- running one packet on each backend ------------------------------------ */

static void nop_trace(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth)
{
    (void)user, (void)pc, (void)stack, (void)depth;
}

static vfmd_result_t run_plain(vfm_state_t *vm, const uint8_t *pkt, size_t len)
{
    vfmd_result_t r = {0, 0};
    r.rc = vfm_run(vm, pkt, len, &r.value);
    return r;
}

static vfmd_result_t run_traced(vfm_state_t *vm, const uint8_t *pkt, size_t len)
{
    vfmd_result_t r = {0, 0};
    r.rc = vfm_trace(vm, pkt, len, &r.value, nop_trace, NULL);
    return r;
}

static bool same(const vfmd_result_t *a, const vfmd_result_t *b)
{
    return a->rc == b->rc && a->value == b->value;
}

/* ---- reporting -------------------------------------------------------------- */

static void print_replay(const run_t *r, uint64_t index)
{
    const options_t *o = r->o;
    fprintf(stderr, "  replay: " TOOL " --seed %" PRIu64 " --index %" PRIu64 " --packets %u%s%s%s%s",
            o->seed, index, o->packets, o->against == AGAINST_TRACE ? " --against trace" : "",
            o->batch ? " --batch" : "", o->no_pcap ? " --no-pcap" : "", o->pcap ? " -r " : "");
    fprintf(stderr, "%s --dump\n", o->pcap ? o->pcap : "");
}

/* One packet gave different answers: say everything needed to reproduce it. */
static void report_mismatch(const run_t *r, uint64_t index, const vfmg_program_t *p,
                            uint32_t k, const uint8_t *pkt, size_t len, const char *aname,
                            const vfmd_result_t *a, const char *bname, const vfmd_result_t *b)
{
    char sa[96], sb[96];
    fprintf(stderr, TOOL ": MISMATCH: seed %" PRIu64 ", program %" PRIu64
                    " (program seed 0x%016" PRIx64 "), packet %u of its sequence (%zu bytes)\n",
            r->o->seed, index, vfmg_program_seed(r->o->seed, index), k + 1, len);
    fprintf(stderr, "  %-13s %s\n  %-13s %s\n", aname, vfmd_result_str(a, sa, sizeof sa), bname,
            vfmd_result_str(b, sb, sizeof sb));
    if (r->o->against == AGAINST_JIT)
        fprintf(stderr, "  jit status: %s\n", vfm_jit_status(r->vm_other));
    fprintf(stderr, "  program:\n");
    vfmd_print_program(stderr, p);
    fprintf(stderr, "  packet:\n");
    vfmd_print_packet(stderr, pkt, len);
    if (k)
        fprintf(stderr, "  (the %u packets before it ran first: flow state depends on them)\n", k);
    print_replay(r, index);
}

/* A burst of vfm_run_batch disagreed with vfm_run on the interpreter. */
static void report_batch_mismatch(const run_t *r, uint64_t index, const vfmg_program_t *p,
                                  const char *vmname, const vfmd_batch_diff_t *d)
{
    const vfmd_seq_t *s = &r->seq;
    char sa[96], sb[96];
    fprintf(stderr, TOOL ": MISMATCH: seed %" PRIu64 ", program %" PRIu64
                    " (program seed 0x%016" PRIx64 "): vfm_run_batch on the %s, burst of "
                    "packets %u-%u\n",
            r->o->seed, index, vfmg_program_seed(r->o->seed, index), vmname, d->first + 1,
            d->last + 1);
    if (d->count_got != d->count_want)
        fprintf(stderr, "  accepted count: vfm_run_batch %d, vfm_run %d\n", d->count_got,
                d->count_want);
    else
        fprintf(stderr, "  packet %u (%zu bytes):\n  %-13s %s\n  %-13s %s\n", d->k + 1,
                s->len[d->k], "vfm_run", vfmd_result_str(&s->want[d->k], sa, sizeof sa),
                "vfm_run_batch", vfmd_result_str(&d->got, sb, sizeof sb));
    fprintf(stderr, "  program:\n");
    vfmd_print_program(stderr, p);
    fprintf(stderr, "  packet:\n");
    vfmd_print_packet(stderr, s->bytes + s->off[d->k], s->len[d->k]);
    print_replay(r, index);
}

/* ---- a crash in native code ---------------------------------------------------- */

/*
 * A JIT bug may crash instead of returning a wrong answer (a read past the
 * packet hits the guard page).  The handler prints what is running, so the
 * crash can be replayed.  The one piece of global state in this tool: a
 * signal handler has no other way to know.
 */
static char crash_note[256];

static void on_crash(int sig)
{
    static const char head[] = "\n" TOOL ": CRASH (signal ";
    char num[4] = {(char)('0' + sig / 10 % 10), (char)('0' + sig % 10), ')', '\n'};
    ssize_t ignored = write(2, head, sizeof head - 1);
    ignored = write(2, num, sizeof num);
    ignored = write(2, crash_note, strlen(crash_note));
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void set_crash_note(const run_t *r, uint64_t index, uint32_t k)
{
    const options_t *o = r->o;
    snprintf(crash_note, sizeof crash_note,
             "  while running packet %u of program %" PRIu64 " of seed %" PRIu64
             "\n  replay: " TOOL " --seed %" PRIu64 " --index %" PRIu64 " --packets %u%s%s%s%s --dump\n",
             k + 1, index, o->seed, o->seed, index, o->packets,
             o->against == AGAINST_TRACE ? " --against trace" : "", o->no_pcap ? " --no-pcap" : "",
             o->pcap ? " -r " : "", o->pcap ? o->pcap : "");
}

/* ---- one program -------------------------------------------------------------- */

static int load(run_t *r, vfm_state_t *vm, const vfmg_program_t *p, uint64_t index,
                const char *what)
{
    int rc = vfmg_configure(vm, p);
    if (rc == VFM_SUCCESS)
        rc = vfm_load_program(vm, p->code, p->len);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": FAIL: program %" PRIu64 " verified but the %s VM did not load "
                        "it: %s\n", index, what, vfm_last_error(vm));
        vfmd_print_program(stderr, p);
        print_replay(r, index);
        return -1;
    }
    return 0;
}

/*
 * Generate program @p index and run its packet sequence.  Returns 0 (agree,
 * or rejected by the verifier), -1 on a mismatch or failure (reported).
 */
static int run_program(run_t *r, uint64_t index)
{
    const options_t *o = r->o;
    uint64_t pseed = vfmg_program_seed(o->seed, index);
    vfmg_program_t p;
    if (vfmg_generate(pseed, &p, &r->gen) != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": out of memory generating program %" PRIu64 "\n", index);
        return -1;
    }
    r->programs++;
    int status = 0;
    vfm_diag_t diag;
    if (vfmg_verify(&p, &diag) != VFM_SUCCESS) {
        /* Counted, not an error: the generator tracks depth and should rarely miss. */
        if (r->rejected++ < 3 || o->replay)
            fprintf(stderr, TOOL ": note: program %" PRIu64 " rejected by the verifier: %s\n",
                    index, diag.msg);
        if (o->dump)
            vfmd_print_program(stdout, &p);
        vfmg_program_free(&p);
        return 0;
    }
    bool traced = o->trace_every && index % o->trace_every == 0;
    if (load(r, r->vm_interp, &p, index, "interpreter") ||
        load(r, r->vm_other, &p, index, other_name(r)) ||
        (traced && load(r, r->vm_trace, &p, index, "trace")) ||
        (o->batch && load(r, r->vm_batch[0], &p, index, "batch interpreter")) ||
        (r->vm_batch[1] && load(r, r->vm_batch[1], &p, index, "batch jit"))) {
        vfmg_program_free(&p);
        return -1;
    }
    if (o->against == AGAINST_JIT && !vfm_jit_active(r->vm_other)) {
        r->refused++;
        if (!o->allow_refusal) {
            fprintf(stderr, TOOL ": FAIL: the JIT refused verified program %" PRIu64 ": %s\n",
                    index, vfm_jit_status(r->vm_other));
            vfmd_print_program(stderr, &p);
            print_replay(r, index);
            vfmg_program_free(&p);
            return -1;
        }
    }
    if (o->against == AGAINST_JIT) {
        vfm_jit_info_t ji;
        vfm_jit_info(r->vm_other, &ji);
        r->native_bytes += ji.code_bytes;
    }
    if (o->dump) {
        printf("program %" PRIu64 " of seed %" PRIu64 " (program seed 0x%016" PRIx64 ")\n", index,
               o->seed, pseed);
        if (o->against == AGAINST_JIT)
            printf("  jit: %s\n", vfm_jit_status(r->vm_other));
        vfmd_print_program(stdout, &p);
    }

    vfmg_rng_t prng;
    vfmg_seed(&prng, pseed ^ 0x5041434b45545321u); /* "PACKETS!" */
    vfmd_seq_reset(&r->seq);
    for (uint32_t k = 0; k < o->packets && status == 0; k++) {
        size_t len;
        const uint8_t *pkt = vfmd_packet(&prng, &r->pool, &p, &r->buf, &len);
        if (o->against == AGAINST_JIT)
            set_crash_note(r, index, k);
        vfmd_result_t a = run_plain(r->vm_interp, pkt, len);
        vfmd_result_t b = o->against == AGAINST_JIT ? run_plain(r->vm_other, pkt, len)
                                                    : run_traced(r->vm_other, pkt, len);
        if (o->inject_fault && !r->fault_done && !o->batch) {
            b.value ^= 1; /* self-test: this must be reported */
            r->fault_done = true;
        }
        r->pairs++;
        r->by_rc[-a.rc < 32 && a.rc <= 0 ? -a.rc : 31]++;
        if (o->batch && vfmd_seq_add(&r->seq, pkt, len, a) < 0) {
            fprintf(stderr, TOOL ": out of memory keeping packets for --batch\n");
            status = -1;
        }
        if (o->dump) {
            char sa[96], sb[96];
            printf("packet %u (%zu bytes): interp %s, %s %s\n", k + 1, len,
                   vfmd_result_str(&a, sa, sizeof sa), other_name(r),
                   vfmd_result_str(&b, sb, sizeof sb));
            if (o->verbose)
                vfmd_print_packet(stdout, pkt, len);
        }
        if (!same(&a, &b)) {
            report_mismatch(r, index, &p, k, pkt, len, "interp", &a, other_name(r), &b);
            status = -1;
        } else if (traced) {
            vfmd_result_t t = run_traced(r->vm_trace, pkt, len);
            r->traced_pairs++;
            if (!same(&a, &t)) {
                report_mismatch(r, index, &p, k, pkt, len, "interp", &a, "sampled-trace", &t);
                status = -1;
            }
        }
    }
    /* The same sequence through vfm_run_batch: it must give what vfm_run gave. */
    for (int e = 0; e < 2 && o->batch && status == 0; e++) {
        vfm_state_t *vm = r->vm_batch[e];
        const char *name = e ? "jit" : "interpreter";
        if (!vm)
            continue;
        vfmg_rng_t brng;
        vfmg_seed(&brng, pseed ^ 0x4241544348455321u ^ (uint64_t)e); /* "BATCHES!" */
        snprintf(crash_note, sizeof crash_note,
                 "  while running program %" PRIu64 " of seed %" PRIu64 " through "
                 "vfm_run_batch on the %s (add --batch to the replay)\n", index, o->seed, name);
        vfmd_batch_diff_t d;
        bool corrupt = o->inject_fault && !r->fault_done;
        r->fault_done |= corrupt;
        if (vfmd_seq_run(&r->seq, vm, &brng, corrupt, &d) != 0) {
            report_batch_mismatch(r, index, &p, name, &d);
            status = -1;
            break;
        }
        r->batched_pairs += r->seq.n;
        vfm_flow_stats_t fi, fbat;
        vfm_flow_table_stats(r->vm_interp, &fi);
        vfm_flow_table_stats(vm, &fbat);
        if (fi.entries != fbat.entries || fi.evictions != fbat.evictions) {
            fprintf(stderr, TOOL ": MISMATCH: program %" PRIu64 ": flow tables differ after %u "
                            "packets: interp %u entries, %" PRIu64 " evictions; batch on the "
                            "%s %u, %" PRIu64 "\n", index, r->seq.n, fi.entries, fi.evictions,
                    name, fbat.entries, fbat.evictions);
            vfmd_print_program(stderr, &p);
            print_replay(r, index);
            status = -1;
        }
    }
    /* Flow state must have evolved identically: compare the tables' figures. */
    vfm_flow_stats_t fa, fb;
    vfm_flow_table_stats(r->vm_interp, &fa);
    vfm_flow_table_stats(r->vm_other, &fb);
    if (status == 0 && (fa.entries != fb.entries || fa.evictions != fb.evictions)) {
        fprintf(stderr, TOOL ": MISMATCH: program %" PRIu64 ": flow tables differ after %u "
                        "packets: interp %u entries, %" PRIu64 " evictions; %s %u, %" PRIu64 "\n",
                index, o->packets, fa.entries, fa.evictions, other_name(r), fb.entries,
                fb.evictions);
        vfmd_print_program(stderr, &p);
        print_replay(r, index);
        status = -1;
    }
    vfmg_program_free(&p);
    return status;
}

/* ---- setup ------------------------------------------------------------------ */

/*
 * Is there a JIT to test?  No JIT for this architecture, or executable
 * memory refused by the system: skip (77).  Anything else
 * that keeps a trivial program off the JIT is a failure.
 */
static int probe_jit(void)
{
    vfm_jit_info_t info;
    vfm_jit_info(NULL, &info);
    if (!info.arch) {
        printf(TOOL ": SKIP: no JIT for this architecture (vfm_jit_info().arch is NULL)\n");
        return EXIT_SKIP;
    }
    static const uint8_t ret1[] = {0x11, 0x01, 0x50}; /* PUSH8 1; RET */
    vfm_state_t *vm = vfm_create();
    if (!vm) {
        fprintf(stderr, TOOL ": out of memory\n");
        return EXIT_FAIL;
    }
    int rc = vfm_load_program(vm, ret1, sizeof ret1);
    if (rc == VFM_SUCCESS)
        vfm_enable_jit(vm);
    int active = vfm_jit_active(vm);
    char why[200];
    snprintf(why, sizeof why, "%s", vfm_jit_status(vm));
    vfm_destroy(vm);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, TOOL ": FAIL: PUSH8 1; RET does not load: %s\n", vfm_error_string(rc));
        return EXIT_FAIL;
    }
    if (active)
        return 0;
    if (strstr(why, "executable memory")) {
        printf(TOOL ": SKIP: the %s JIT cannot run here: %s\n", info.arch, why);
        return EXIT_SKIP;
    }
    fprintf(stderr, TOOL ": FAIL: the %s JIT refused PUSH8 1; RET: %s\n", info.arch, why);
    return EXIT_FAIL;
}

static vfm_state_t *new_vm(bool jit)
{
    vfm_state_t *vm = vfm_create();
    if (vm && vfmg_register_helpers(vm) != VFM_SUCCESS) {
        vfm_destroy(vm);
        return NULL;
    }
    if (vm && jit)
        vfm_enable_jit(vm); /* the request stays for every later load */
    return vm;
}

static int setup(run_t *r)
{
    const options_t *o = r->o;
    /* The traffic model always; a capture too when the build reads them. */
    if (vfmd_pool_add_mix(&r->pool, 2000, 99) < 0) {
        fprintf(stderr, TOOL ": out of memory building the packet pool\n");
        return EXIT_FAIL;
    }
    const char *cap = o->pcap;
#ifdef VFMD_DEFAULT_PCAP
    if (!cap && !o->no_pcap)
        cap = VFMD_DEFAULT_PCAP;
#endif
    if (cap && !o->no_pcap) {
        char err[512];
        if (vfmd_pool_add_pcap(&r->pool, cap, err, sizeof err) < 0) {
            /* libpcap's messages often start with the path already */
            if (strncmp(err, cap, strlen(cap)) == 0)
                fprintf(stderr, TOOL ": %s\n", err);
            else
                fprintf(stderr, TOOL ": %s: %s\n", cap, err);
            return 2;
        }
    }
    if (vfmd_buf_init(&r->buf) < 0) {
        fprintf(stderr, TOOL ": cannot map packet memory with a guard page\n");
        return EXIT_FAIL;
    }
    r->vm_interp = new_vm(false);
    r->vm_other = new_vm(o->against == AGAINST_JIT);
    r->vm_trace = new_vm(false);
    if (o->batch) {
        r->vm_batch[0] = new_vm(false);
        r->vm_batch[1] = o->against == AGAINST_JIT ? new_vm(true) : NULL;
    }
    if (!r->vm_interp || !r->vm_other || !r->vm_trace ||
        (o->batch && (!r->vm_batch[0] || (o->against == AGAINST_JIT && !r->vm_batch[1])))) {
        fprintf(stderr, TOOL ": out of memory creating VMs\n");
        return EXIT_FAIL;
    }
    return 0;
}

static void teardown(run_t *r)
{
    vfm_destroy(r->vm_interp);
    vfm_destroy(r->vm_other);
    vfm_destroy(r->vm_trace);
    vfm_destroy(r->vm_batch[0]);
    vfm_destroy(r->vm_batch[1]);
    vfmd_seq_free(&r->seq);
    vfmd_buf_free(&r->buf);
    vfmd_pool_free(&r->pool);
}

/* ---- summary and self-checks ------------------------------------------------- */

/*
 * A generator that stopped producing some opcode, or some outcome, would let
 * bugs through silently: a long run must have covered every opcode and every
 * error the VM can return for a verified program.
 */
static int summarize(const run_t *r, double secs)
{
    unsigned covered = 0, total = 0;
    char missing[512] = "";
    for (unsigned c = 0; c < 256; c++) {
        const vfm_opinfo_t *in = vfm_opinfo((uint8_t)c);
        if (!in)
            continue;
        total++;
        if (r->gen.ops[c])
            covered++;
        else if (strlen(missing) + strlen(in->name) + 2 < sizeof missing)
            strcat(strcat(missing, " "), in->name);
    }
    static const int outcomes[] = {VFM_SUCCESS, VFM_ERROR_BOUNDS, VFM_ERROR_DIVISION_BY_ZERO,
                                   VFM_ERROR_LIMIT, VFM_ERROR_HELPER,
                                   VFM_ERROR_INVALID_ARGUMENT};
    printf(TOOL ": %" PRIu64 " pairs (%" PRIu64 " programs, %" PRIu64
                " rejected by the verifier, %" PRIu64 " refused by the JIT) in %.1f s; interp vs %s"
                ": all agree; %" PRIu64 " pairs also traced\n",
           r->pairs, r->programs, r->rejected, r->refused, secs, other_name(r), r->traced_pairs);
    printf(TOOL ": outcomes:");
    for (unsigned i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
        printf(" %s %" PRIu64, tool_error_name(outcomes[i]), r->by_rc[-outcomes[i]]);
    printf("; %" PRIu64 " backward jumps, %" PRIu64 " uneven joins generated; opcodes %u/%u",
           r->gen.back_jumps, r->gen.uneven_joins, covered, total);
    if (r->o->against == AGAINST_JIT)
        printf("; %" PRIu64 " bytes of native code compiled", r->native_bytes);
    if (r->o->batch)
        printf("; %" PRIu64 " packet runs through vfm_run_batch agree with vfm_run",
               r->batched_pairs);
    printf("\n");
    int bad = 0;
    if (r->programs >= 1000) {
        if (covered < total) {
            fprintf(stderr, TOOL ": FAIL: opcodes never generated:%s\n", missing);
            bad = 1;
        }
        for (unsigned i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
            if (!r->by_rc[-outcomes[i]]) {
                fprintf(stderr, TOOL ": FAIL: no packet ended with %s: the generator lost "
                                "coverage\n", tool_error_name(outcomes[i]));
                bad = 1;
            }
        if (r->rejected * 100 > r->programs) {
            fprintf(stderr, TOOL ": FAIL: the verifier rejected %" PRIu64 " of %" PRIu64
                            " programs (more than 1%%): the generator's depth tracking is off\n",
                    r->rejected, r->programs);
            bad = 1;
        }
    }
    return bad ? EXIT_FAIL : 0;
}

/* ---- options ------------------------------------------------------------------ */

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: " TOOL " [--pairs N | --seconds S | --forever] [--seed S] [options]\n"
            "       " TOOL " --seed S --index I [--dump] [options]\n"
            "Random verified programs run on random and captured packets by the interpreter\n"
            "and the JIT (or the traced interpreter); any difference is reported and fails.\n"
            "  --pairs N         program/packet pairs to run (default 1000000)\n"
            "  --seconds S       run for S seconds instead (soak test)\n"
            "  --forever         run until a mismatch or a signal\n"
            "  --packets K       packets per program (default 32)\n"
            "  --seed S          run seed (default 1)\n"
            "  --index I         only program I of the seed (replay a reported failure)\n"
            "  --dump            print the program, each packet's results (-v: the packets)\n"
            "  -r, --pcap FILE   also draw packets from this capture%s\n"
            "  --no-pcap         no capture, only the traffic model and random bytes\n"
            "  --against B       the backend compared with the interpreter: jit (default)\n"
            "                    or trace (vfm_trace, every host)\n"
            "  --trace-every N   also run every Nth program on vfm_trace (default 16, 0: never)\n"
            "  --allow-refusal   count programs the JIT does not compile instead of failing\n"
            "  --batch           also run each program's packets through vfm_run_batch\n"
            "                    (interpreter, and JIT unless --against trace) in random\n"
            "                    bursts; each packet must get what vfm_run gave it\n"
            "  --inject-fault    self-test: corrupt one result (with --batch: one batch\n"
            "                    result), which must be reported\n"
            "  -v, --verbose     more detail\n"
            "  --help, --version\n"
            "Exit status: 0 all agree, 1 mismatch or failure (or usage error), 2 unreadable\n"
            "capture, 77 no JIT on this host or no executable memory (ctest SKIP).\n",
#ifdef VFMD_HAVE_PCAP
            " (default: pcaps/mix.pcap)"
#else
            " (this build has no libpcap)"
#endif
    );
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = (s[0] >= '0' && s[0] <= '9') ? strtoull(s, &end, 0) : 0;
    if (!(s[0] >= '0' && s[0] <= '9') || errno || *end || v < min || v > max) {
        tool_usage_error("%s: '%s' is not a number between %" PRIu64 " and %" PRIu64, opt, s, min,
                         max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    enum { O_PAIRS = 256, O_SECONDS, O_FOREVER, O_PACKETS, O_SEED, O_INDEX, O_DUMP, O_NOPCAP,
           O_AGAINST, O_TRACE_EVERY, O_ALLOW_REFUSAL, O_INJECT, O_BATCH, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        {"pairs", required_argument, NULL, O_PAIRS},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"forever", no_argument, NULL, O_FOREVER},
        {"packets", required_argument, NULL, O_PACKETS},
        {"seed", required_argument, NULL, O_SEED},
        {"index", required_argument, NULL, O_INDEX},
        {"dump", no_argument, NULL, O_DUMP},
        {"pcap", required_argument, NULL, 'r'},
        {"no-pcap", no_argument, NULL, O_NOPCAP},
        {"against", required_argument, NULL, O_AGAINST},
        {"trace-every", required_argument, NULL, O_TRACE_EVERY},
        {"allow-refusal", no_argument, NULL, O_ALLOW_REFUSAL},
        {"inject-fault", no_argument, NULL, O_INJECT},
        {"batch", no_argument, NULL, O_BATCH},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:v", longopts, NULL)) != -1) {
        switch (c) {
        case O_PAIRS:
            if (parse_u64("--pairs", optarg, 1, UINT64_MAX, &o->pairs))
                return EXIT_FAIL;
            break;
        case O_SECONDS:
            if (parse_u64("--seconds", optarg, 1, 100000000, &o->seconds))
                return EXIT_FAIL;
            break;
        case O_FOREVER:
            o->forever = true;
            break;
        case O_PACKETS:
            if (parse_u64("--packets", optarg, 1, 100000, &v))
                return EXIT_FAIL;
            o->packets = (uint32_t)v;
            break;
        case O_SEED:
            if (parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed))
                return EXIT_FAIL;
            break;
        case O_INDEX:
            if (parse_u64("--index", optarg, 0, UINT64_MAX, &o->index))
                return EXIT_FAIL;
            o->replay = true;
            break;
        case O_DUMP:
            o->dump = true;
            break;
        case 'r':
            o->pcap = optarg;
            break;
        case O_NOPCAP:
            o->no_pcap = true;
            break;
        case O_AGAINST:
            if (strcmp(optarg, "jit") == 0)
                o->against = AGAINST_JIT;
            else if (strcmp(optarg, "trace") == 0)
                o->against = AGAINST_TRACE;
            else
                return tool_usage_error("--against: '%s' is not a backend (jit, trace)", optarg);
            break;
        case O_TRACE_EVERY:
            if (parse_u64("--trace-every", optarg, 0, UINT32_MAX, &v))
                return EXIT_FAIL;
            o->trace_every = (uint32_t)v;
            break;
        case O_ALLOW_REFUSAL:
            o->allow_refusal = true;
            break;
        case O_INJECT:
            o->inject_fault = true;
            break;
        case O_BATCH:
            o->batch = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case O_HELP:
            usage(stdout);
            exit(0);
        case O_VERSION:
            tool_version();
            exit(0);
        default:
            return tool_bad_option(c, argv);
        }
    }
    if (optind < argc)
        return tool_usage_error("unexpected argument '%s'", argv[optind]);
    if ((o->seconds > 0) + o->forever + (o->pairs > 0) > 1)
        return tool_usage_error("--pairs, --seconds and --forever exclude each other");
    if (o->pcap && o->no_pcap)
        return tool_usage_error("--pcap and --no-pcap exclude each other");
    if (o->dump && !o->replay)
        return tool_usage_error("--dump prints one program: give --index too");
    if (o->pcap && !vfmd_have_pcap())
        return tool_usage_error("--pcap: this build has no libpcap");
    if (!o->pairs && !o->seconds && !o->forever)
        o->pairs = 1000000;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    tool_init(TOOL);
    options_t o = {.seed = 1, .packets = 32, .trace_every = 16};
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    if (o.against == AGAINST_JIT && (rc = probe_jit()) != 0)
        return rc;

    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGILL, on_crash);
    signal(SIGFPE, on_crash);
    run_t r = {.o = &o};
    if ((rc = setup(&r)) != 0) {
        teardown(&r);
        return rc;
    }
    double t0 = now_s();
    int status = 0;
    if (o.replay) {
        if (run_program(&r, o.index) < 0)
            status = EXIT_FAIL;
        else if (!o.dump)
            printf(TOOL ": program %" PRIu64 " of seed %" PRIu64 ": %" PRIu64
                        " packets, all agree\n", o.index, o.seed, r.pairs);
    } else {
        for (uint64_t i = 0;; i++) {
            if (run_program(&r, i) < 0) {
                status = EXIT_FAIL;
                break;
            }
            if (o.pairs && r.pairs >= o.pairs)
                break;
            if (o.seconds && (i & 63) == 0 && now_s() - t0 >= (double)o.seconds)
                break;
            if (o.verbose && (i & 0xffff) == 0xffff)
                fprintf(stderr, TOOL ": %" PRIu64 " programs, %" PRIu64 " pairs, %.0f s\n", i + 1,
                        r.pairs, now_s() - t0);
        }
        if (status == 0)
            status = summarize(&r, now_s() - t0);
    }
    teardown(&r);
    return status;
}
