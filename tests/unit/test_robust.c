/*
 * test_robust.c - 200k random, generated and mutated byte strings through the
 * verifier and, when accepted, through both execution paths on random packets.
 *
 * Asserts: no crash (the sanitizer build catches over-reads), only documented
 * return codes, load agrees with verify, diagnostics are filled, and vfm_run
 * agrees with vfm_trace (fused vs unfused) on twin VMs fed the same packets.
 * The seed is fixed, so a failure reproduces; VFM_ROBUST_SEED/VFM_ROBUST_N
 * in the environment explore further.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "unit.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"

#define MAX_CODE 512
#define LOOP_LIMIT 40

static uint64_t rng;

static uint64_t rnd(uint64_t n) { return n ? unit_rand(&rng) % n : 0; }

/* ---- inputs --------------------------------------------------------------- */

typedef struct corpus {
    uint8_t **code;
    uint32_t *len;
    size_t n, cap;
} corpus_t;

static void corpus_add(corpus_t *c, const uint8_t *code, uint32_t len)
{
    if (len == 0 || len > MAX_CODE)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->code = realloc(c->code, c->cap * sizeof *c->code);
        c->len = realloc(c->len, c->cap * sizeof *c->len);
    }
    c->code[c->n] = malloc(len);
    memcpy(c->code[c->n], code, len);
    c->len[c->n++] = len;
}

/* Every case program (raw code) seeds the mutator. */
static void corpus_add_case(void *user, const char *path)
{
    vfmt_case_t k;
    char err[512];
    if (vfmt_case_load(path, &k, err, sizeof err) == 0) {
        corpus_add(user, k.code, k.code_len);
        vfmt_case_free(&k);
    }
}

static const uint64_t interesting[] = {0, 1, 2, 7, 8, 12, 14, 23, 63, 64, 65, 127, 128, 255,
                                       256, 1000, 0xffff, 0x7fffffff, 0xffffffff, 1ull << 32,
                                       1ull << 63, UINT64_MAX, UINT64_MAX - 1};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* A plausible program: table opcodes, mostly stack-correct, jumps to instruction starts. */
static uint32_t gen_structured(uint8_t *out)
{
    const vfm_opinfo_t *ops[256];
    unsigned nops = 0;
    for (unsigned b = 0; b < 256; b++)
        if (vfm_opinfo((uint8_t)b))
            ops[nops++] = vfm_opinfo((uint8_t)b);
    uint32_t pcs[128], jumps[128], nj = 0, n = 0, ninsn = 0;
    unsigned want = 2 + (unsigned)rnd(40), depth = 0;
    while (ninsn < want && n + 10 < MAX_CODE) {
        const vfm_opinfo_t *op = ops[rnd(nops)];
        if (op->pops > depth && rnd(10) < 8)
            continue; /* mostly keep the stack valid */
        if (op->code == VFM_OP_RET && rnd(4))
            continue; /* RET ends a path; not too early */
        pcs[ninsn++] = n;
        out[n] = op->code;
        uint64_t k = rnd(3) ? interesting[rnd(UNIT_ARRAY_LEN(interesting))] : unit_rand(&rng);
        switch ((vfm_operand_t)op->operand) {
        case VFM_OPND_OFF16: k = rnd(4) ? rnd(80) : k; break;
        case VFM_OPND_HELPER16: k = rnd(3); break;
        default: break;
        }
        put_le(out + n + 1, k, op->size - 1u);
        if (op->flags & VFM_F_JUMP)
            jumps[nj++] = n;
        n += op->size;
        depth = depth >= op->pops ? depth - op->pops + op->pushes : op->pushes;
        if (op->flags & VFM_F_CALL)
            depth = depth ? depth : 1;
    }
    if (rnd(8)) { /* usually end cleanly: make sure RET has a value */
        out[n++] = VFM_OP_PUSH8;
        out[n++] = (uint8_t)rnd(3);
        out[n++] = VFM_OP_RET;
    }
    if (ninsn == 0)
        return n;
    /* point jumps at instruction starts (sometimes backward, sometimes anywhere) */
    for (uint32_t i = 0; i < nj; i++) {
        uint32_t at = jumps[i], target;
        unsigned how = (unsigned)rnd(10);
        if (how < 8) {
            uint32_t j = 0;
            while (j < ninsn && pcs[j] <= at)
                j++;
            target = j < ninsn ? pcs[j + rnd(ninsn - j)] : n - 1;
        } else if (how < 9 || n == 0) {
            target = pcs[rnd(ninsn)];
        } else {
            target = (uint32_t)rnd(n + 4);
        }
        int64_t rel = (int64_t)target - (int64_t)(at + 3);
        put_le(out + at + 1, (uint64_t)rel, 2);
    }
    return n;
}

static uint32_t gen_random(uint8_t *out)
{
    uint32_t n = 1 + (uint32_t)rnd(48);
    for (uint32_t i = 0; i < n; i++)
        out[i] = (uint8_t)unit_rand(&rng);
    /* raw code never starts with 'V' unless it is a header; sometimes make it one */
    if (rnd(16) == 0 && n >= 1)
        out[0] = 0x56;
    return n;
}

static uint32_t gen_mutated(const corpus_t *c, uint8_t *out)
{
    if (!c->n)
        return gen_random(out);
    size_t i = rnd(c->n);
    uint32_t n = c->len[i];
    memcpy(out, c->code[i], n);
    unsigned muts = 1 + (unsigned)rnd(3);
    for (unsigned m = 0; m < muts; m++) {
        uint32_t at = (uint32_t)rnd(n);
        switch (rnd(6)) {
        case 0: out[at] ^= (uint8_t)(1u << rnd(8)); break;
        case 1: out[at] = (uint8_t)unit_rand(&rng); break;
        case 2: /* insert */
            if (n < MAX_CODE) {
                memmove(out + at + 1, out + at, n - at);
                out[at] = (uint8_t)unit_rand(&rng);
                n++;
            }
            break;
        case 3: /* delete */
            if (n > 1) {
                memmove(out + at, out + at + 1, n - at - 1);
                n--;
            }
            break;
        case 4: n = at ? at : 1; break; /* truncate */
        default: out[at] = (uint8_t)interesting[rnd(UNIT_ARRAY_LEN(interesting))]; break;
        }
    }
    return n;
}

/* ---- checks --------------------------------------------------------------- */

static int h_add(void *u, const uint8_t *p, size_t l, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)l;
    *r = a[0] + a[1];
    return VFM_SUCCESS;
}

static int h_len(void *u, const uint8_t *p, size_t l, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)a;
    *r = l;
    return l > 40 ? VFM_ERROR_BOUNDS : VFM_SUCCESS;
}

static vfm_helper_t helpers[VFM_HELPERS_MAX];

static int verify_code_ok(int rc)
{
    switch (rc) {
    case VFM_SUCCESS:
    case VFM_ERROR_INVALID_PROGRAM:
    case VFM_ERROR_INVALID_OPCODE:
    case VFM_ERROR_STACK_OVERFLOW:
    case VFM_ERROR_STACK_UNDERFLOW:
    case VFM_ERROR_VERIFICATION_FAILED:
    case VFM_ERROR_DIVISION_BY_ZERO:
    case VFM_ERROR_HELPER: return 1;
    default: return 0;
    }
}

static int run_code_ok(int rc, int loops)
{
    return rc == VFM_SUCCESS || rc == VFM_ERROR_BOUNDS || rc == VFM_ERROR_DIVISION_BY_ZERO ||
           rc == VFM_ERROR_HELPER || (loops && rc == VFM_ERROR_LIMIT);
}

static void trace_nop(void *u, uint32_t pc, const uint64_t *s, uint32_t d)
{
    (void)pc, (void)s;
    if (d > VFM_STACK_MAX)
        ++*(unsigned *)u;
}

typedef struct stats {
    unsigned inputs, accepted, runs, mismatches, bad_codes, load_disagree, bad_diag, deep_trace;
} stats_t;

static void check_one(vfm_state_t *vm_run, vfm_state_t *vm_trace, const uint8_t *code, uint32_t len,
                      stats_t *s)
{
    s->inputs++;
    int loops = rnd(3) == 0;
    vfm_verify_opts_t o = {.allow_loops = loops, .helpers = helpers, .nhelpers = VFM_HELPERS_MAX};
    vfm_diag_t d;
    memset(&d, 0, sizeof d);
    /* an exact-size copy so an over-read is visible to the sanitizer */
    uint8_t *copy = malloc(len);
    memcpy(copy, code, len);
    int rc = vfm_verify_ex(copy, len, &o, &d);
    if (!verify_code_ok(rc)) {
        s->bad_codes++;
        printf("\n  verify returned undocumented %d\n", rc);
    }
    if (rc != VFM_SUCCESS &&
        (d.code != rc || !memchr(d.msg, '\0', sizeof d.msg) || d.msg[0] == '\0'))
        s->bad_diag++;
    /* the disassembler and the header parser take the same bytes */
    char *text = NULL;
    int drc = vfm_disassemble(copy, len, VFM_DIS_LABELS | VFM_DIS_HEX | VFM_DIS_ADDR, &text);
    if (drc != VFM_SUCCESS && drc != VFM_ERROR_INVALID_OPCODE && drc != VFM_ERROR_INVALID_PROGRAM)
        s->bad_codes++;
    free(text);

    vfm_set_loop_limit(vm_run, loops ? LOOP_LIMIT : 0);
    vfm_set_loop_limit(vm_trace, loops ? LOOP_LIMIT : 0);
    int lrc = vfm_load_program(vm_run, copy, len);
    int lrc2 = vfm_load_program(vm_trace, copy, len);
    if (lrc != rc || lrc2 != rc) {
        s->load_disagree++;
        if (s->load_disagree < 5)
            printf("\n  verify says %d, load says %d/%d (%s)\n", rc, lrc, lrc2, vfm_last_error(vm_run));
    }
    if (rc != VFM_SUCCESS || lrc != VFM_SUCCESS || lrc2 != VFM_SUCCESS) {
        free(copy);
        return;
    }
    s->accepted++;
    for (int p = 0; p < 3; p++) {
        size_t plen = rnd(4) ? rnd(80) : rnd(8);
        uint8_t *pkt = malloc(plen ? plen : 1);
        for (size_t i = 0; i < plen; i++)
            pkt[i] = rnd(3) ? (uint8_t)rnd(4) : (uint8_t)unit_rand(&rng);
        uint64_t r1 = 1, r2 = 2;
        unsigned deep = 0;
        int e1 = vfm_run(vm_run, pkt, plen, &r1);
        int e2 = vfm_trace(vm_trace, pkt, plen, &r2, trace_nop, &deep);
        s->runs++;
        s->deep_trace += deep;
        if (!run_code_ok(e1, loops) || !run_code_ok(e2, loops))
            s->bad_codes++;
        if (e1 != e2 || (e1 == VFM_SUCCESS && r1 != r2)) {
            s->mismatches++;
            if (s->mismatches < 5) {
                printf("\n  run %d/%llu vs trace %d/%llu on code", e1, (unsigned long long)r1, e2,
                       (unsigned long long)r2);
                for (uint32_t i = 0; i < len; i++)
                    printf(" %02x", code[i]);
                printf("\n");
            }
        }
        free(pkt);
    }
    free(copy);
}

static void test_fuzz(void)
{
    const char *env_seed = getenv("VFM_ROBUST_SEED"), *env_n = getenv("VFM_ROBUST_N");
    rng = env_seed ? strtoull(env_seed, NULL, 0) : 0x0123456789abcdefull;
    unsigned total = env_n ? (unsigned)strtoul(env_n, NULL, 0) : 200000;
    memset(helpers, 0, sizeof helpers);
    helpers[0] = (vfm_helper_t){"add", 2, 1, h_add, NULL};
    helpers[1] = (vfm_helper_t){"len", 0, 1, h_len, NULL};

    corpus_t corpus = {0};
    vfmt_case_walk(VFM_CASES_DIR, corpus_add_case, &corpus);
    vfm_state_t *a = vfm_create(), *b = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    for (unsigned id = 0; id < 2; id++) {
        vfm_register_helper(a, (uint16_t)id, &helpers[id]);
        vfm_register_helper(b, (uint16_t)id, &helpers[id]);
    }
    stats_t s;
    memset(&s, 0, sizeof s);
    unsigned gen_accepted = 0, gen_inputs = 0;
    uint8_t buf[MAX_CODE + 16];
    for (unsigned i = 0; i < total; i++) {
        uint32_t n;
        unsigned kind = i % 3;
        if (kind == 0)
            n = gen_random(buf);
        else if (kind == 1)
            n = gen_structured(buf);
        else
            n = gen_mutated(&corpus, buf);
        if (n == 0)
            continue;
        unsigned before = s.accepted;
        check_one(a, b, buf, n, &s);
        if (kind == 1) {
            gen_inputs++;
            gen_accepted += s.accepted - before;
        }
        /* now and then, a bytecode file image of the same code */
        if (i % 64 == 0) {
            uint8_t *img;
            size_t in;
            if (vfm_bytecode_write(buf, n, &img, &in) == VFM_SUCCESS) {
                check_one(a, b, img, (uint32_t)in, &s);
                free(img);
            }
        }
    }
    printf("(%u inputs: %u accepted, %u generated of which %u accepted, %u runs, corpus %zu) ",
           s.inputs, s.accepted, gen_inputs, gen_accepted, s.runs, corpus.n);
    CU_ASSERT_EQUAL(s.bad_codes, 0);
    CU_ASSERT_EQUAL(s.bad_diag, 0);
    CU_ASSERT_EQUAL(s.load_disagree, 0);
    CU_ASSERT_EQUAL(s.mismatches, 0);
    CU_ASSERT_EQUAL(s.deep_trace, 0);
    /* the generators must actually reach execution, or this test proves little */
    CU_ASSERT(corpus.n >= 100);
    CU_ASSERT(s.accepted >= total / 20);
    CU_ASSERT(s.runs >= 3 * (total / 20));
    vfm_destroy(a);
    vfm_destroy(b);
    for (size_t i = 0; i < corpus.n; i++)
        free(corpus.code[i]);
    free(corpus.code);
    free(corpus.len);
}

/* Random text through the assembler: errors carry line:col, never a crash. */
static void test_assembler_fuzz(void)
{
    static const char *const words[] = {"LD8", "LD16", "PUSH", "PUSH8", "PUSH64", "RET", "JMP",
                                        "JZ", "CALL", "ADD", "x:", "x", "y:", "0x", "0b1",
                                        "-1", "+7", "99999999999999999999", ";", "#", ":", "\n",
                                        "\n", "\t", "$", "\r\n", "18446744073709551615", "FROB"};
    uint64_t saved = rng;
    rng = 0xa55a;
    char src[512];
    unsigned ok = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n = 0;
        unsigned nw = 1 + (unsigned)rnd(24);
        for (unsigned w = 0; w < nw && n + 40 < sizeof src; w++)
            n += (size_t)snprintf(src + n, sizeof src - n, "%s ", words[rnd(UNIT_ARRAY_LEN(words))]);
        if (rnd(10) == 0 && n)
            src[rnd(n)] = (char)unit_rand(&rng);
        vfm_asm_opts_t o;
        memset(&o, 0, sizeof o);
        o.filename = "f";
        o.no_verify = (int)rnd(2);
        vfm_diag_t d;
        memset(&d, 0, sizeof d);
        uint8_t *code = NULL;
        uint32_t len = 0;
        char *copy = malloc(n ? n : 1);
        memcpy(copy, src, n);
        int rc = vfm_assemble(copy, n, &o, &code, &len, &d);
        free(copy);
        if (rc == VFM_SUCCESS) {
            ok++;
            CU_ASSERT(code != NULL && len > 0);
            free(code);
        } else {
            CU_ASSERT_PTR_NULL(code);
            CU_ASSERT_EQUAL(strncmp(d.msg, "f:", 2), 0);
            CU_ASSERT(verify_code_ok(rc) || rc == VFM_ERROR_NO_MEMORY);
        }
    }
    printf("(%u of 20000 assembled) ", ok);
    CU_ASSERT(ok > 0);
    rng = saved;
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"200k programs: verify, load, run vs trace", test_fuzz},
        {"random assembly text", test_assembler_fuzz},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"robustness", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
