/*
 * vm.c - the public API: VM lifetime, loading (always through the verifier),
 * running, settings.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "jit.h"

/* The per-VM part of the execution context, rebuilt whenever a setting changes. */
static void sync_ctx(vfm_state_t *vm)
{
    vfmi_ctx_t c = {.stack = vm->stack,
                    .flow = vm->flow,
                    .helpers = vm->helpers,
                    .linktype = vm->linktype,
                    .loop_limit = vm->loop_limit};
    vm->ctx = c;
}

vfm_state_t *vfm_create(void)
{
    vfm_state_t *vm = calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    vm->linktype = 1; /* Ethernet, as the manual's offsets assume */
    vm->diag.pc = VFM_NO_PC;
    snprintf(vm->jit_why, sizeof vm->jit_why, "not enabled");
    sync_ctx(vm);
    return vm;
}

static void unload(vfm_state_t *vm)
{
    free(vm->code);
    vfmi_proof_free(&vm->proof);
    vfmi_prog_free(vm->prog);
    vfmi_jit_free(&vm->jit);
    vm->code = NULL;
    vm->prog = NULL;
    vm->code_len = 0;
}

void vfm_destroy(vfm_state_t *vm)
{
    if (!vm)
        return;
    unload(vm);
    vfmi_flow_destroy(vm->flow);
    free(vm);
}

static vfm_verify_opts_t policy_of(const vfm_state_t *vm)
{
    vfm_verify_opts_t o = {.allow_loops = vm->loop_limit > 0,
                           .helpers = vm->helpers,
                           .nhelpers = VFM_HELPERS_MAX};
    return o;
}

static int set_error(vfm_state_t *vm, int code, const char *msg)
{
    return vfmi_fail(&vm->diag, code, VFM_NO_PC, "%s", msg);
}

/*
 * Native code for the loaded program.  A program the JIT cannot compile still
 * loads: it runs on the interpreter, and jit_why says why.
 */
static int jit_compile(vfm_state_t *vm)
{
    vfmi_jit_free(&vm->jit);
    vfm_verify_opts_t opts = policy_of(vm);
    int rc = vfmi_jit_compile(vm->code, &vm->proof, &opts, &vm->jit, vm->jit_why,
                              sizeof vm->jit_why);
    if (rc == VFM_SUCCESS)
        snprintf(vm->jit_why, sizeof vm->jit_why, "%s: %zu bytes of native code",
                 vfmi_jit_arch(), vm->jit.code_len);
    return rc == VFM_SUCCESS ? VFM_SUCCESS : VFM_ERROR_UNSUPPORTED;
}

int vfm_load_program(vfm_state_t *vm, const uint8_t *program, uint32_t len)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    if (!program && len)
        return set_error(vm, VFM_ERROR_INVALID_ARGUMENT, "program is NULL");
    const uint8_t *code;
    uint32_t code_len;
    char why[sizeof vm->diag.msg];
    int rc = vfm_bytecode_parse(program, len, &code, &code_len, why, sizeof why);
    if (rc)
        return set_error(vm, rc, why);

    vfm_verify_opts_t opts = policy_of(vm);
    vfmi_proof_t proof;
    if ((rc = vfmi_verify(code, code_len, &opts, &proof, &vm->diag)))
        return rc;

    uint8_t *copy = malloc(code_len);
    vfmi_prog_t *prog = NULL;
    if (!copy || vfmi_predecode(code, &proof, &opts, true, &prog)) {
        free(copy);
        vfmi_proof_free(&proof);
        return set_error(vm, VFM_ERROR_NO_MEMORY, "out of memory loading the program");
    }
    if (proof.uses_flow && !vm->flow) {
        vm->flow = vfmi_flow_create(VFM_FLOW_DEFAULT_ENTRIES);
        if (!vm->flow) {
            free(copy);
            vfmi_proof_free(&proof);
            vfmi_prog_free(prog);
            return set_error(vm, VFM_ERROR_NO_MEMORY, "out of memory for the flow table");
        }
    }
    memcpy(copy, code, code_len);
    unload(vm);
    vm->code = copy;
    vm->code_len = code_len;
    vm->proof = proof;
    vm->prog = prog;
    vm->diag.code = VFM_SUCCESS;
    vm->diag.pc = VFM_NO_PC;
    vm->diag.msg[0] = '\0';
    sync_ctx(vm);
    if (vm->jit_wanted)
        jit_compile(vm);
    return VFM_SUCCESS;
}

int vfm_load_program_file(vfm_state_t *vm, const char *filename)
{
    if (!vm || !filename)
        return VFM_ERROR_INVALID_ARGUMENT;
    FILE *f = fopen(filename, "rb");
    if (!f) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: %s", filename, strerror(errno));
        return set_error(vm, VFM_ERROR_IO, msg);
    }
    /* Largest legal image: header + code; metadata is not read in version 1 anyway. */
    size_t cap = VFM_BC_HEADER_SIZE + VFM_CODE_MAX + 1 + (1u << 20);
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return set_error(vm, VFM_ERROR_NO_MEMORY, "out of memory reading the program");
    }
    size_t n = fread(buf, 1, cap, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc;
    if (rd_err) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: read error", filename);
        rc = set_error(vm, VFM_ERROR_IO, msg);
    } else if (n == cap) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: file too large for a VFM program", filename);
        rc = set_error(vm, VFM_ERROR_INVALID_PROGRAM, msg);
    } else {
        rc = vfm_load_program(vm, buf, (uint32_t)n);
    }
    free(buf);
    return rc;
}

const char *vfm_last_error(const vfm_state_t *vm)
{
    return vm ? vm->diag.msg : "no VM";
}

const vfm_diag_t *vfm_last_diag(const vfm_state_t *vm)
{
    return vm ? &vm->diag : NULL;
}

int vfm_verify_ex(const uint8_t *program, uint32_t len, const vfm_verify_opts_t *opts,
                  vfm_diag_t *diag)
{
    const uint8_t *code;
    uint32_t code_len;
    char why[sizeof diag->msg];
    int rc = vfm_bytecode_parse(program, len, &code, &code_len, why, sizeof why);
    if (rc)
        return vfmi_fail(diag, rc, VFM_NO_PC, "%s", why);
    return vfmi_verify(code, code_len, opts, NULL, diag);
}

int vfm_verify(const uint8_t *program, uint32_t len)
{
    return vfm_verify_ex(program, len, NULL, NULL);
}

/* vfm_run's unusual cases: NULL arguments, no program, the empty packet. */
static __attribute__((noinline)) int run_checked(vfm_state_t *vm, const uint8_t *packet,
                                                 size_t packet_len, uint64_t *result)
{
    uint64_t ignored;
    if (!result)
        result = &ignored;
    if (!vm || !vm->prog || !packet) {
        *result = 0;
        if (!vm)
            return VFM_ERROR_INVALID_ARGUMENT;
        if (!vm->prog)
            return VFM_ERROR_INVALID_PROGRAM;
        if (packet_len)
            return VFM_ERROR_INVALID_ARGUMENT;
        packet = (const uint8_t *)"";
    }
    if (vm->jit.fn)
        return vm->jit.fn(packet, packet_len, &vm->ctx, result);
    vm->ctx.pkt = packet;
    vm->ctx.len = packet_len;
    return vfmi_interp_fast(vm->prog, &vm->ctx, result);
}

int vfm_run(vfm_state_t *vm, const uint8_t *packet, size_t packet_len, uint64_t *result)
{
    /* The per-packet path: no frame, so both engines are entered by a tail jump. */
    if (__builtin_expect(vm && packet && result, 1)) {
        if (vm->jit.fn)
            return vm->jit.fn(packet, packet_len, &vm->ctx, result);
        if (vm->prog) {
            vm->ctx.pkt = packet;
            vm->ctx.len = packet_len;
            return vfmi_interp_fast(vm->prog, &vm->ctx, result);
        }
    }
    return run_checked(vm, packet, packet_len, result);
}

/* ---- batches -------------------------------------------------------------- */

/*
 * One batch loop: vfm_run's per-packet work without its per-packet checks,
 * which vfm_run_batch made once.  Always inlined with constant flags, it
 * becomes eight loops, so a native loop holds no test of the engine and a
 * caller without one of the arrays pays nothing for it.  Without a results
 * array every value goes to one scratch slot.  Acceptance is read back from
 * the value: every engine sets it to 0 on an error.
 */
static inline __attribute__((always_inline)) int
batch_loop(vfm_state_t *vm, const vfm_packet_t *pkts, size_t n, uint64_t *results, int *codes,
           bool native, bool want_results, bool want_codes)
{
    uint64_t scratch;
    const vfmi_jit_fn fn = vm->jit.fn;
    const vfmi_prog_t *prog = vm->prog;
    vfmi_ctx_t *ctx = &vm->ctx;
    int accepted = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *out = want_results ? &results[i] : &scratch;
        const uint8_t *data = pkts[i].data;
        size_t len = pkts[i].len;
        int rc;
        if (__builtin_expect(!data, 0)) { /* as run_checked() */
            if (len) {
                *out = 0;
                rc = VFM_ERROR_INVALID_ARGUMENT;
                goto done;
            }
            data = (const uint8_t *)"";
        }
        if (native) {
            rc = fn(data, len, ctx, out);
        } else {
            ctx->pkt = data;
            ctx->len = len;
            rc = vfmi_interp_fast(prog, ctx, out);
        }
    done:
        if (want_codes)
            codes[i] = rc;
        accepted += *out != 0;
    }
    return accepted;
}

int vfm_run_batch(vfm_state_t *vm, const vfm_packet_t *pkts, size_t n, uint64_t *results,
                  int *codes)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    if (!vm->prog)
        return VFM_ERROR_INVALID_PROGRAM;
    if (n > INT_MAX || (!pkts && n))
        return VFM_ERROR_INVALID_ARGUMENT;
#define BATCH_CASE(nat, res, cod)                                                          \
    case (nat) << 2 | (res) << 1 | (cod):                                                  \
        return batch_loop(vm, pkts, n, results, codes, nat, res, cod);
    switch ((vm->jit.fn != NULL) << 2 | (results != NULL) << 1 | (codes != NULL)) {
        BATCH_CASE(0, 0, 0) BATCH_CASE(0, 0, 1) BATCH_CASE(0, 1, 0) BATCH_CASE(0, 1, 1)
        BATCH_CASE(1, 0, 0) BATCH_CASE(1, 0, 1) BATCH_CASE(1, 1, 0) BATCH_CASE(1, 1, 1)
    }
#undef BATCH_CASE
    abort(); /* the cases above cover all eight values */
}

int vfm_execute_len(vfm_state_t *vm, const uint8_t *packet, size_t packet_len)
{
    uint64_t v;
    int rc = vfm_run(vm, packet, packet_len, &v);
    if (rc < 0)
        return rc;
    return v > INT32_MAX ? INT32_MAX : (int)v;
}

int vfm_execute(vfm_state_t *vm, const uint8_t *packet, uint16_t packet_len)
{
    return vfm_execute_len(vm, packet, packet_len);
}

int vfm_trace(vfm_state_t *vm, const uint8_t *packet, size_t packet_len, uint64_t *result,
              vfm_trace_fn fn, void *user)
{
    uint64_t ignored;
    if (!result)
        result = &ignored;
    *result = 0;
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    if (!vm->prog)
        return VFM_ERROR_INVALID_PROGRAM;
    if (!fn || (!packet && packet_len))
        return VFM_ERROR_INVALID_ARGUMENT;
    if (!packet)
        packet = (const uint8_t *)"";
    /* Unfused, so the callback sees every original instruction. */
    vfm_verify_opts_t opts = policy_of(vm);
    vfmi_prog_t *prog;
    if (vfmi_predecode(vm->code, &vm->proof, &opts, false, &prog))
        return VFM_ERROR_NO_MEMORY;
    vfmi_ctx_t ctx = vm->ctx;
    ctx.pkt = packet;
    ctx.len = packet_len;
    ctx.trace = fn;
    ctx.trace_user = user;
    int rc = vfmi_interp_trace(prog, &ctx, result);
    vfmi_prog_free(prog);
    return rc;
}

int vfm_set_loop_limit(vfm_state_t *vm, uint32_t max_back_jumps)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    vm->loop_limit = max_back_jumps;
    sync_ctx(vm);
    return VFM_SUCCESS;
}

int vfm_set_linktype(vfm_state_t *vm, int linktype)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    if (!vfmi_linktype_supported(linktype))
        return vfmi_fail(&vm->diag, VFM_ERROR_UNSUPPORTED, VFM_NO_PC,
                         "linktype %d is not supported by HASH5", linktype);
    vm->linktype = linktype;
    sync_ctx(vm);
    return VFM_SUCCESS;
}

int vfm_register_helper(vfm_state_t *vm, uint16_t id, const vfm_helper_t *helper)
{
    if (!vm || !helper || !helper->fn || id >= VFM_HELPERS_MAX ||
        helper->pops > VFM_HELPER_ARGS_MAX || helper->pushes > 1)
        return VFM_ERROR_INVALID_ARGUMENT;
    vm->helpers[id] = *helper;
    return VFM_SUCCESS;
}

int vfm_flow_table_init(vfm_state_t *vm, uint32_t size)
{
    if (!vm || size == 0 || size > VFM_FLOW_MAX_ENTRIES)
        return VFM_ERROR_INVALID_ARGUMENT;
    vfmi_flow_table_t *t = vfmi_flow_create(size);
    if (!t)
        return VFM_ERROR_NO_MEMORY;
    if (vm->flow) {
        vfmi_flow_rehash(t, vm->flow);
        vfmi_flow_destroy(vm->flow);
    }
    vm->flow = t;
    sync_ctx(vm);
    return VFM_SUCCESS;
}

void vfm_flow_table_clear(vfm_state_t *vm)
{
    if (vm && vm->flow)
        vfmi_flow_clear(vm->flow);
}

void vfm_flow_table_stats(const vfm_state_t *vm, vfm_flow_stats_t *stats)
{
    if (!stats)
        return;
    memset(stats, 0, sizeof *stats);
    if (vm && vm->flow)
        vfmi_flow_stats(vm->flow, stats);
}

/* ---- JIT ------------------------------------------------------------------ */

int vfm_enable_jit(vfm_state_t *vm)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    vm->jit_wanted = true;
    if (vm->code)
        return vm->jit.fn ? VFM_SUCCESS : jit_compile(vm);
    if (!vfmi_jit_arch()) {
        snprintf(vm->jit_why, sizeof vm->jit_why, "no JIT for this architecture");
        return VFM_ERROR_UNSUPPORTED;
    }
    snprintf(vm->jit_why, sizeof vm->jit_why, "%s: enabled, no program loaded", vfmi_jit_arch());
    return VFM_SUCCESS;
}

int vfm_disable_jit(vfm_state_t *vm)
{
    if (!vm)
        return VFM_ERROR_INVALID_ARGUMENT;
    vm->jit_wanted = false;
    vfmi_jit_free(&vm->jit);
    snprintf(vm->jit_why, sizeof vm->jit_why, "not enabled");
    return VFM_SUCCESS;
}

int vfm_jit_active(const vfm_state_t *vm)
{
    return vm && vm->jit.fn ? 1 : 0;
}

const char *vfm_jit_status(const vfm_state_t *vm)
{
    return vm ? vm->jit_why : "no VM";
}

void vfm_jit_info(const vfm_state_t *vm, vfm_jit_info_t *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    info->arch = vfmi_jit_arch();
    if (!vm || !vm->jit.fn)
        return;
    info->active = 1;
    info->code_bytes = vm->jit.code_len;
    info->map_bytes = vm->jit.map_len;
    info->compile_ns = vm->jit.compile_ns;
}

size_t vfm_memory_usage(const vfm_state_t *vm)
{
    if (!vm)
        return 0;
    size_t n = sizeof *vm + vm->code_len;
    if (vm->code)
        n += (size_t)vm->proof.len * (sizeof *vm->proof.depth + sizeof *vm->proof.pcflags);
    n += vfmi_prog_bytes(vm->prog);
    n += vm->jit.map_len;
    vfm_flow_stats_t st;
    vfm_flow_table_stats(vm, &st);
    return n + st.bytes;
}
