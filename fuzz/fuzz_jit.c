/*
 * fuzz_jit - the JITs against the interpreter on random verified programs
 * (tests/diff's vfm_gen), chosen and perturbed by the fuzzer's bytes.
 *
 * Properties:
 *   - a generated program verifies (the generator's own promise);
 *   - the x86-64 and the ARM64 emitters both compile it (every host runs
 *     both emitters; only this host's code is executed);
 *   - after the fuzzer rewrites some of its operands (load offsets,
 *     immediates), whatever still verifies runs on the fused interpreter,
 *     the traced interpreter and native code with the same code and value
 *     on every packet, stopping only with documented run-time codes, and
 *     leaves the same flow table;
 *   - packets come from the fuzzer's bytes (over a TCP/IPv4 frame), with
 *     lengths around the offsets the program loads from, the JIT's copy
 *     ending at a guard page.
 * Input layout:
 *   bytes 0-7   generator seed, little-endian
 *   byte 8      bits 0-2: operand rewrites R; bits 3-7: packet count - 1 (max 8)
 *   R x 4 bytes instruction index (16 bits LE), operand byte, new value
 *   the rest    packet bytes
 */
#include <string.h>

#include "fuzz_util.h"
#include "gen.h"
#include "internal.h"
#include "jit.h"

/* Ethernet + IPv4 (no options) + TCP, port 80: where the fuzzer's bytes run out. */
static const uint8_t frame[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1,
    10, 0, 0, 2, 0x04, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0x00,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static const vfmg_program_t *current;

static int setup(vfm_state_t *vm, void *user)
{
    (void)user;
    int rc = vfmg_configure(vm, current);
    return rc ? rc : vfmg_register_helpers(vm);
}

/* Both architectures' emitters must take every verified program. */
static void check_emitters(const vfmg_program_t *p)
{
    vfm_helper_t tab[VFM_HELPERS_MAX];
    memset(tab, 0, sizeof tab);
    for (unsigned r = 0; r < VFMG_NHELPERS; r++)
        tab[vfmg_helper_id(r)] = *vfmg_helper(r);
    vfm_verify_opts_t vo = {.allow_loops = p->loop_limit > 0, .helpers = tab,
                            .nhelpers = VFM_HELPERS_MAX};
    vfmi_proof_t proof;
    vfm_diag_t d;
    FUZZ_CHECK(vfmi_verify(p->code, p->len, &vo, &proof, &d) == VFM_SUCCESS,
               "vfmi_verify rejects what vfm_verify_ex accepted: %s", d.msg);
    static const struct {
        const char *arch;
        vfmi_jit_emit_fn emit;
    } emitters[] = {{"x86-64", vfmi_jit_emit_x86_64}, {"arm64", vfmi_jit_emit_arm64}};
    for (unsigned i = 0; i < 2; i++) {
        vfmi_jbuf_t out = {0};
        char why[160] = "";
        int rc = emitters[i].emit(p->code, &proof, &vo, &out, why, sizeof why);
        FUZZ_CHECK(rc == VFM_SUCCESS && out.len > 0 && !out.oom,
                   "%s emitter refused a verified program (%d): %s", emitters[i].arch, rc, why);
        vfmi_jbuf_free(&out);
    }
    vfmi_proof_free(&proof);
}

/* Rewrite one operand byte of instruction @p idx (never a jump offset or helper id). */
static void rewrite(vfmg_program_t *p, uint32_t idx, uint8_t which, uint8_t value)
{
    uint32_t pc = 0;
    for (uint32_t i = 0; pc < p->len; i++) {
        const vfm_opinfo_t *in = vfm_opinfo(p->code[pc]);
        FUZZ_CHECK(in != NULL, "generated code has a bad opcode at pc %u", pc);
        if (i == idx % p->ninsns) {
            if (in->size > 1 && in->operand != VFM_OPND_REL16 &&
                in->operand != VFM_OPND_HELPER16)
                p->code[pc + 1 + which % (in->size - 1)] = value;
            return;
        }
        pc += in->size;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint64_t seed = 0;
    for (int i = 7; i >= 0; i--)
        seed = seed << 8 | data[i];
    unsigned nrw = data[8] & 7, npkts = 1 + ((data[8] >> 3) & 7);
    const uint8_t *rw = data + 9;
    size_t rest = size - 9;
    if ((size_t)nrw * 4 > rest)
        nrw = (unsigned)(rest / 4);
    const uint8_t *pool = rw + nrw * 4;
    size_t pool_len = rest - nrw * 4;

    vfmg_program_t p;
    FUZZ_CHECK(vfmg_generate(seed, &p, NULL) == VFM_SUCCESS, "generator out of memory");
    vfm_diag_t d;
    FUZZ_CHECK(vfmg_verify(&p, &d) == VFM_SUCCESS, "generated program %llu does not verify: %s",
               (unsigned long long)seed, d.msg);
    check_emitters(&p);
    for (unsigned i = 0; i < nrw; i++)
        rewrite(&p, (uint32_t)(rw[4 * i] | rw[4 * i + 1] << 8), rw[4 * i + 2], rw[4 * i + 3]);
    if (nrw && vfmg_verify(&p, &d) != VFM_SUCCESS) {
        vfmg_program_free(&p); /* the rewrite made it invalid: nothing to compare */
        return 0;
    }
    if (nrw)
        check_emitters(&p);

    current = &p;
    fuzz_engines_t e;
    int rc = fuzz_engines_load(&e, p.code, p.len, setup, NULL);
    FUZZ_CHECK(rc == VFM_SUCCESS, "a program that verifies does not load: %s",
               vfm_error_string(rc));
    e.helper_code = VFM_ERROR_INVALID_ARGUMENT; /* h_check returns it, and it is kept */
    static uint8_t pkt[FUZZ_PKT_MAX];
    for (size_t i = 0; i < sizeof pkt; i++)
        pkt[i] = i < pool_len ? pool[i] : frame[i % sizeof frame];
    for (unsigned k = 0; k < npkts; k++) {
        /* Packet k: the whole pool, or a length right around one of the program's load edges. */
        size_t len = pool_len > sizeof frame ? pool_len : sizeof frame;
        if (k > 0 && p.nedges) {
            uint8_t pick = k < pool_len ? pool[k] : (uint8_t)k;
            len = p.edges[pick % p.nedges] + (pick >> 4) % 10;
            len = len >= 1 ? len - 1 : 0;
        }
        if (len > FUZZ_PKT_MAX)
            len = FUZZ_PKT_MAX;
        fuzz_engines_run(&e, pkt, len, p.loop_limit > 0, NULL);
    }
    fuzz_engines_done(&e);
    vfmg_program_free(&p);
    return 0;
}
