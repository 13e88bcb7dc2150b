/* fuzz_util.c - see fuzz_util.h. */
#include "fuzz_util.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const uint8_t *fuzz_guarded(const uint8_t *pkt, size_t len)
{
    static uint8_t *area;
    static size_t area_len;
    if (!area) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        area_len = (FUZZ_PKT_MAX + page - 1) / page * page;
        void *m = mmap(NULL, area_len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        FUZZ_CHECK(m != MAP_FAILED, "cannot map the guarded packet area");
        area = m;
        FUZZ_CHECK(mprotect(area + area_len, page, PROT_NONE) == 0, "cannot protect the guard page");
    }
    FUZZ_CHECK(len <= FUZZ_PKT_MAX, "packet of %zu bytes is larger than FUZZ_PKT_MAX", len);
    uint8_t *p = area + area_len - len;
    if (len)
        memcpy(p, pkt, len);
    return p;
}

bool fuzz_jit_available(void)
{
    static int known = -1;
    if (known < 0) {
        static const uint8_t ret1[] = {0x11, 0x01, 0x50}; /* PUSH8 1; RET */
        vfm_state_t *vm = vfm_create();
        FUZZ_CHECK(vm != NULL, "out of memory");
        vfm_enable_jit(vm);
        known = vfm_load_program(vm, ret1, sizeof ret1) == VFM_SUCCESS && vfm_jit_active(vm);
        if (!known)
            fprintf(stderr, "fuzz: no native code here (%s): comparing the interpreters only\n",
                    vfm_jit_status(vm));
        vfm_destroy(vm);
    }
    return known;
}

bool fuzz_runtime_error_ok(int rc, bool loops)
{
    return rc == VFM_SUCCESS || rc == VFM_ERROR_BOUNDS || rc == VFM_ERROR_DIVISION_BY_ZERO ||
           rc == VFM_ERROR_HELPER || (loops && rc == VFM_ERROR_LIMIT);
}

bool fuzz_one_line(const char *msg, size_t cap)
{
    const char *end = memchr(msg, '\0', cap);
    return end && end != msg && !memchr(msg, '\n', (size_t)(end - msg));
}

static void nop_trace(void *u, uint32_t pc, const uint64_t *s, uint32_t d)
{
    (void)u, (void)pc, (void)s, (void)d;
}

static vfm_state_t *engine(fuzz_setup_fn setup, void *user, bool jit)
{
    vfm_state_t *vm = vfm_create();
    FUZZ_CHECK(vm != NULL, "out of memory");
    if (setup)
        FUZZ_CHECK(setup(vm, user) == VFM_SUCCESS, "setting up a VM failed: %s",
                   vfm_last_error(vm));
    if (jit)
        vfm_enable_jit(vm);
    return vm;
}

int fuzz_engines_load(fuzz_engines_t *e, const uint8_t *prog, uint32_t len, fuzz_setup_fn setup,
                      void *user)
{
    e->helper_code = 0;
    e->interp = engine(setup, user, false);
    e->trace = engine(setup, user, false);
    e->jit = fuzz_jit_available() ? engine(setup, user, true) : NULL;
    int rc = vfm_load_program(e->interp, prog, len);
    FUZZ_CHECK(vfm_load_program(e->trace, prog, len) == rc, "loading twice gives two answers");
    if (e->jit) {
        FUZZ_CHECK(vfm_load_program(e->jit, prog, len) == rc,
                   "loading with the JIT enabled gives another answer than without");
        /* A verified program the JIT refuses is a JIT bug: every opcode must compile. */
        FUZZ_CHECK(rc != VFM_SUCCESS || vfm_jit_active(e->jit), "the JIT refused a verified program: %s",
                   vfm_jit_status(e->jit));
    }
    if (rc != VFM_SUCCESS) {
        vfm_destroy(e->interp);
        vfm_destroy(e->trace);
        vfm_destroy(e->jit);
        memset(e, 0, sizeof *e);
    }
    return rc;
}

int fuzz_engines_run(fuzz_engines_t *e, const uint8_t *pkt, size_t len, bool loops,
                     uint64_t *value)
{
    uint64_t v1 = 0, v2 = 0, v3 = 0;
    /* An exact-size copy: ASan sees an interpreter read past the end. */
    uint8_t *exact = malloc(len ? len : 1);
    FUZZ_CHECK(exact != NULL, "out of memory");
    if (len)
        memcpy(exact, pkt, len);
    pkt = exact;
    int c1 = vfm_run(e->interp, pkt, len, &v1);
    FUZZ_CHECK(fuzz_runtime_error_ok(c1, loops) || (e->helper_code && c1 == e->helper_code),
               "run-time code %d (%s) is not one a verified "
               "program may stop with", c1, vfm_error_string(c1));
    FUZZ_CHECK(c1 == VFM_SUCCESS || v1 == 0, "error %d with result %llu (must be 0)", c1,
               (unsigned long long)v1);
    int c2 = vfm_trace(e->trace, pkt, len, &v2, nop_trace, NULL);
    FUZZ_CHECK(c1 == c2 && v1 == v2, "interpreter %d/%llu, traced interpreter %d/%llu (len %zu)", c1,
               (unsigned long long)v1, c2, (unsigned long long)v2, len);
    if (e->jit) {
        int c3 = vfm_run(e->jit, fuzz_guarded(pkt, len), len, &v3);
        FUZZ_CHECK(c1 == c3 && v1 == v3, "interpreter %d/%llu, JIT %d/%llu (len %zu)", c1,
                   (unsigned long long)v1, c3, (unsigned long long)v3, len);
    }
    free(exact);
    if (value)
        *value = v1;
    return c1;
}

static void same_flows(vfm_state_t *a, vfm_state_t *b, const char *what)
{
    vfm_flow_stats_t fa, fb;
    vfm_flow_table_stats(a, &fa);
    vfm_flow_table_stats(b, &fb);
    FUZZ_CHECK(fa.capacity == fb.capacity && fa.entries == fb.entries &&
                   fa.evictions == fb.evictions,
               "flow tables differ: interpreter %u entries %llu evictions, %s %u entries %llu "
               "evictions", fa.entries, (unsigned long long)fa.evictions, what, fb.entries,
               (unsigned long long)fb.evictions);
}

void fuzz_engines_done(fuzz_engines_t *e)
{
    same_flows(e->interp, e->trace, "traced interpreter");
    if (e->jit)
        same_flows(e->interp, e->jit, "JIT");
    vfm_destroy(e->interp);
    vfm_destroy(e->trace);
    vfm_destroy(e->jit);
    memset(e, 0, sizeof *e);
}
