/* test_vm_api.c - the public VM API contracts of vfm.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "errnames.h"
#include "unit.h"
#include "vfm/bytecode.h"

static const uint8_t pkt4[4] = {1, 2, 3, 4};

static void test_no_program(void)
{
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    uint64_t r = 77;
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt4, 4), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(r, 0);
    CU_ASSERT_EQUAL(vfm_trace(vm, pkt4, 4, &r, NULL, NULL), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_STRING_EQUAL(vfm_last_error(vm), "");
    const vfm_diag_t *d = vfm_last_diag(vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->code, VFM_SUCCESS);
    vfm_destroy(vm);
}

static void step_counter(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth)
{
    (void)pc, (void)stack, (void)depth;
    ++*(int *)user;
}

static void test_null_arguments(void)
{
    uint64_t r;
    static const uint8_t ret1[] = {0x11, 0x01, 0x50};
    /* vfm.h says NULL pointers give INVALID_ARGUMENT; NULL VMs give INVALID_PROGRAM ("no
     * program") today.  Either way: an error, not a crash. */
    CU_ASSERT(vfm_run(NULL, pkt4, 4, &r) < 0);
    CU_ASSERT(vfm_trace(NULL, pkt4, 4, &r, step_counter, NULL) < 0);
    CU_ASSERT(vfm_execute(NULL, pkt4, 4) < 0);
    CU_ASSERT(vfm_execute_len(NULL, pkt4, 4) < 0);
    CU_ASSERT_EQUAL(vfm_load_program(NULL, ret1, 3), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_load_program_file(NULL, "x"), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_set_loop_limit(NULL, 5), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_set_linktype(NULL, 1), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_flow_table_init(NULL, 16), VFM_ERROR_INVALID_ARGUMENT);
    vfm_flow_table_clear(NULL);
    vfm_flow_table_stats(NULL, NULL);
    vfm_destroy(NULL);
    CU_ASSERT_PTR_NULL(vfm_last_diag(NULL));
    CU_ASSERT_PTR_NOT_NULL(vfm_last_error(NULL));

    vfm_state_t *vm = vfm_create();
    CU_ASSERT(vfm_load_program(vm, NULL, 3) < 0);
    CU_ASSERT(strlen(vfm_last_error(vm)) > 0);
    CU_ASSERT_EQUAL(vfm_load_program(vm, ret1, 0), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_last_error(vm), "empty program"));
    CU_ASSERT_EQUAL(vfm_load_program_file(vm, NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, ret1, 3), VFM_SUCCESS);
    /* a NULL packet is fine when it is empty, an error otherwise */
    CU_ASSERT_EQUAL(vfm_run(vm, NULL, 0, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 1);
    CU_ASSERT_EQUAL(vfm_run(vm, NULL, 4, &r), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_execute(vm, NULL, 0), 1);
    CU_ASSERT_EQUAL(vfm_execute(vm, NULL, 1), VFM_ERROR_INVALID_ARGUMENT);
    /* result may be NULL */
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, NULL), VFM_SUCCESS);
    /* trace needs a callback */
    CU_ASSERT_EQUAL(vfm_trace(vm, pkt4, 4, &r, NULL, NULL), VFM_ERROR_INVALID_ARGUMENT);
    int steps = 0;
    CU_ASSERT_EQUAL(vfm_trace(vm, pkt4, 4, &r, step_counter, &steps), VFM_SUCCESS);
    CU_ASSERT_EQUAL(steps, 2);
    /* helpers */
    vfm_helper_t h = {"h", 0, 0, NULL, NULL};
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 0, NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 0, &h), VFM_ERROR_INVALID_ARGUMENT);
    vfm_flow_stats_t st;
    vfm_flow_table_stats(vm, &st);
    CU_ASSERT_EQUAL(st.capacity, 0);
    vfm_destroy(vm);
}

/* Execute clamps RET values to [0, INT32_MAX]; non-zero never becomes 0. */
static void test_clamp(void)
{
    static const struct {
        const char *src;
        uint64_t full;
        int clamped;
    } c[] = {
        {"RET 0", 0, 0},
        {"RET 1", 1, 1},
        {"RET 0x7fffffff", 0x7fffffff, INT32_MAX},
        {"RET 0x80000000", 0x80000000, INT32_MAX},
        {"RET 0xffffffff", 0xffffffff, INT32_MAX},
        {"RET 0x100000000", 0x100000000, INT32_MAX}, /* low 32 bits are 0 */
        {"RET -1", UINT64_MAX, INT32_MAX},
        {"RET 0x8000000000000000", 0x8000000000000000, INT32_MAX},
    };
    for (size_t i = 0; i < UNIT_ARRAY_LEN(c); i++) {
        vfm_state_t *vm = unit_vm(c[i].src);
        uint64_t r = 0;
        CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_SUCCESS);
        CU_ASSERT_EQUAL(r, c[i].full);
        CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), c[i].clamped);
        CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt4, 4), c[i].clamped);
        vfm_destroy(vm);
    }
    /* errors pass through execute unchanged */
    vfm_state_t *vm = unit_vm("LD8 10\nRET");
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), VFM_ERROR_BOUNDS);
    uint64_t r = 99;
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(r, 0);
    vfm_destroy(vm);
}

/* uint16 length (vfm_execute) vs size_t length (vfm_execute_len, vfm_run). */
static void test_length_variants(void)
{
    size_t big = 70000;
    uint8_t *pkt = calloc(big, 1);
    pkt[65535] = 0x5a;
    vfm_state_t *vm = unit_vm("LEN\nRET");
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, 65535), 65535);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, big), 70000);
    uint64_t r;
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, 262144 > big ? big : 262144, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, big);
    vfm_destroy(vm);
    /* the largest offset: in bounds only when the packet is longer than 65535 bytes */
    vm = unit_vm("LD8 65535\nRET");
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, 65535), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, 65536), 0x5a);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, big), 0x5a);
    vfm_destroy(vm);
    /* LDX reaches past 64 KiB with a large base */
    vm = unit_vm("PUSH 65535\nLDX16 1\nRET");
    pkt[65536] = 0x12;
    pkt[65537] = 0x34;
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, big), 0x1234);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, 65537), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(vfm_execute_len(vm, pkt, 65538), 0x1234);
    vfm_destroy(vm);
    free(pkt);
}

static void test_failed_load_keeps_program(void)
{
    vfm_state_t *vm = unit_vm("RET 7");
    uint32_t len;
    uint8_t *bad = unit_asm("ADD\nRET", &len, 1);
    CU_ASSERT_EQUAL(vfm_load_program(vm, bad, len), VFM_ERROR_STACK_UNDERFLOW);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_last_error(vm), "stack underflow"));
    const vfm_diag_t *d = vfm_last_diag(vm);
    CU_ASSERT_EQUAL(d->code, VFM_ERROR_STACK_UNDERFLOW);
    CU_ASSERT_EQUAL(d->pc, 0);
    CU_ASSERT_STRING_EQUAL(vfm_last_error(vm), d->msg);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 7);
    /* a bad header too */
    static const uint8_t hdr[] = {'V', 'F', 'M', 'B', 9, 0};
    CU_ASSERT_EQUAL(vfm_load_program(vm, hdr, sizeof hdr), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_last_diag(vm)->code, VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT(strlen(vfm_last_error(vm)) > 0);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 7);
    /* a later good load replaces the program and clears the error */
    free(bad);
    bad = unit_asm("RET 9", &len, 1);
    CU_ASSERT_EQUAL(vfm_load_program(vm, bad, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 9);
    CU_ASSERT_STRING_EQUAL(vfm_last_error(vm), "");
    /* the program was copied: scribbling on the caller's buffer changes nothing */
    memset(bad, 0xff, len);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 9);
    free(bad);
    vfm_destroy(vm);
}

static void test_load_file(void)
{
    char path[] = "/tmp/vfm-unit-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    uint32_t len;
    uint8_t *code = unit_asm("LD8 0\nRET", &len, 0);
    uint8_t *img;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(vfm_bytecode_write(code, len, &img, &n), VFM_SUCCESS);
    CU_ASSERT_EQUAL((size_t)write(fd, img, n), n);
    close(fd);
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_load_program_file(vm, path), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 1);
    /* raw code in a file works too */
    fd = open(path, O_WRONLY | O_TRUNC);
    CU_ASSERT_FATAL(fd >= 0);
    static const uint8_t raw[] = {0x01, 0x03, 0x00, 0x50}; /* LD8 3; RET */
    CU_ASSERT_EQUAL(write(fd, raw, sizeof raw), (ssize_t)sizeof raw);
    close(fd);
    CU_ASSERT_EQUAL(vfm_load_program_file(vm, path), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 4);
    unlink(path);
    CU_ASSERT_EQUAL(vfm_load_program_file(vm, path), VFM_ERROR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_last_error(vm), path));
    CU_ASSERT_EQUAL(vfm_load_program_file(vm, "/"), VFM_ERROR_IO); /* a directory */
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 4);                 /* still loaded */
    vfm_destroy(vm);
    free(code);
    free(img);
}

static void test_settings(void)
{
    vfm_state_t *vm = vfm_create();
    static const int ok[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
    for (size_t i = 0; i < UNIT_ARRAY_LEN(ok); i++)
        CU_ASSERT_EQUAL(vfm_set_linktype(vm, ok[i]), VFM_SUCCESS);
    static const int bad[] = {-1, 2, 9, 100, 127, 9999, INT_MAX, INT_MIN};
    for (size_t i = 0; i < UNIT_ARRAY_LEN(bad); i++) {
        CU_ASSERT_EQUAL(vfm_set_linktype(vm, bad[i]), VFM_ERROR_UNSUPPORTED);
        CU_ASSERT_PTR_NOT_NULL(strstr(vfm_last_error(vm), "linktype"));
    }
    /* loops: rejected by default, accepted with a limit set before the load */
    uint32_t len;
    uint8_t *loop = unit_asm("PUSH 3\nl: PUSH 1\nSUB\nDUP\nJNZ l\nRET", &len, 1);
    CU_ASSERT_EQUAL(vfm_load_program(vm, loop, len), VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_EQUAL(vfm_set_loop_limit(vm, 2), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_load_program(vm, loop, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), 0);
    CU_ASSERT_EQUAL(vfm_set_loop_limit(vm, 1), VFM_SUCCESS); /* lowered after the load */
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), VFM_ERROR_LIMIT);
    free(loop);
    vfm_destroy(vm);
}

static int h_sub(void *user, const uint8_t *pkt, size_t len, const uint64_t *args, uint64_t *result)
{
    (void)pkt;
    ++*(int *)user;
    *result = args[0] - args[1] + len; /* deepest first: args[0] was pushed first */
    return VFM_SUCCESS;
}

static int h_fail(void *user, const uint8_t *pkt, size_t len, const uint64_t *args, uint64_t *result)
{
    (void)user, (void)pkt, (void)len, (void)args, (void)result;
    return VFM_ERROR_BOUNDS;
}

static int h_weird(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                   uint64_t *result)
{
    (void)user, (void)pkt, (void)len, (void)args, (void)result;
    return -1000; /* not a VFM error code */
}

static int h_none(void *user, const uint8_t *pkt, size_t len, const uint64_t *args, uint64_t *result)
{
    (void)pkt, (void)len, (void)result;
    *(uint64_t *)user = args[0];
    return VFM_SUCCESS;
}

static void test_helpers(void)
{
    vfm_state_t *vm = vfm_create();
    int calls = 0;
    uint64_t seen = 0;
    vfm_helper_t sub = {"sub", 2, 1, h_sub, &calls};
    vfm_helper_t fail = {"fail", 0, 1, h_fail, NULL};
    vfm_helper_t weird = {"weird", 0, 0, h_weird, NULL};
    vfm_helper_t none = {"sink", 1, 0, h_none, &seen};
    CU_ASSERT_EQUAL(vfm_register_helper(vm, VFM_HELPERS_MAX, &sub), VFM_ERROR_INVALID_ARGUMENT);
    vfm_helper_t toomany = sub;
    toomany.pops = VFM_HELPER_ARGS_MAX + 1;
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 1, &toomany), VFM_ERROR_INVALID_ARGUMENT);
    toomany = sub;
    toomany.pushes = 2;
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 1, &toomany), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 3, &sub), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 63, &fail), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 5, &weird), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_register_helper(vm, 6, &none), VFM_SUCCESS);

    uint32_t len;
    /* values below the arguments survive the call */
    uint8_t *code = unit_asm("PUSH 1000\nPUSH 50\nPUSH 8\nCALL 3\nADD\nRET", &len, 1);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    uint64_t r;
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 1000 + 50 - 8 + 4);
    CU_ASSERT_EQUAL(calls, 1);
    /* the same through the tracer */
    int steps = 0;
    CU_ASSERT_EQUAL(vfm_trace(vm, pkt4, 4, &r, step_counter, &steps), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 1000 + 50 - 8 + 4);
    CU_ASSERT_EQUAL(steps, 6);
    free(code);

    code = unit_asm("PUSH 77\nPUSH 5\nCALL 6\nRET", &len, 1); /* pops 1, pushes 0 */
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 77);
    CU_ASSERT_EQUAL(seen, 5);
    free(code);

    code = unit_asm("CALL 63\nRET", &len, 1);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt4, 4), VFM_ERROR_BOUNDS);
    free(code);

    code = unit_asm("CALL 5\nRET 1", &len, 1);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    int rc = vfm_run(vm, pkt4, 4, &r);
    CU_ASSERT_PTR_NOT_NULL(vfmt_errname(rc)); /* an undocumented code is mapped to a documented one */
    CU_ASSERT_EQUAL(rc, VFM_ERROR_HELPER);
    free(code);

    /* helpers registered later do not change the loaded program; unregistered ids fail the load */
    code = unit_asm("CALL 7\nRET 1", &len, 1);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_ERROR_HELPER);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_last_error(vm), "helper 7"));
    free(code);
    vfm_destroy(vm);
}

/* The trace callback sees every instruction with the stack before it. */
typedef struct tlog {
    uint32_t pc[16], depth[16];
    uint64_t top[16];
    int n;
} tlog_t;

static void tlog_step(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth)
{
    tlog_t *t = user;
    if (t->n < 16) {
        t->pc[t->n] = pc;
        t->depth[t->n] = depth;
        t->top[t->n] = depth ? stack[depth - 1] : 0;
    }
    t->n++;
}

static void test_trace(void)
{
    /* 0 PUSH8 5 | 2 PUSH8 7 | 4 ADD | 5 LD8 0 | 8 ADD | 9 RET */
    vfm_state_t *vm = unit_vm("PUSH 5\nPUSH 7\nADD\nLD8 0\nADD\nRET");
    tlog_t t;
    memset(&t, 0, sizeof t);
    uint64_t r;
    CU_ASSERT_EQUAL(vfm_trace(vm, pkt4, 4, &r, tlog_step, &t), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 13);
    static const uint32_t pcs[] = {0, 2, 4, 5, 8, 9}, depths[] = {0, 1, 2, 1, 2, 1};
    static const uint64_t tops[] = {0, 5, 7, 12, 1, 13};
    CU_ASSERT_EQUAL_FATAL(t.n, 6);
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(t.pc[i], pcs[i]);
        CU_ASSERT_EQUAL(t.depth[i], depths[i]);
        CU_ASSERT_EQUAL(t.top[i], tops[i]);
    }
    /* a runtime error: the trace stops at the failing instruction */
    memset(&t, 0, sizeof t);
    CU_ASSERT_EQUAL(vfm_trace(vm, NULL, 0, &r, tlog_step, &t), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(t.n, 4);
    CU_ASSERT_EQUAL(t.pc[3], 5);
    /* run and trace agree */
    CU_ASSERT_EQUAL(vfm_run(vm, pkt4, 4, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 13);
    vfm_destroy(vm);
}

static void test_error_strings(void)
{
    size_t n;
    const vfmt_errname_t *e = vfmt_errnames(&n);
    for (size_t i = 0; i < n; i++) {
        const char *s = vfm_error_string(e[i].code);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT(strcmp(s, "Unknown error") != 0);
        for (size_t j = 0; j < i; j++)
            CU_ASSERT(strcmp(s, vfm_error_string(e[j].code)) != 0);
    }
    /* the manual's wording for its codes */
    CU_ASSERT_STRING_EQUAL(vfm_error_string(VFM_SUCCESS), "Success");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(VFM_ERROR_BOUNDS), "Packet bounds exceeded");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(VFM_ERROR_LIMIT), "Instruction limit exceeded");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(VFM_ERROR_VERIFICATION_FAILED), "Verification failed");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(1), "Unknown error");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(-1000), "Unknown error");
    CU_ASSERT_STRING_EQUAL(vfm_error_string(INT_MIN), "Unknown error");
}

/* The test table of error names is complete and right: compare with vfm.h itself. */
static void test_errnames_match_header(void)
{
    FILE *f = fopen(VFM_SOURCE_DIR "/libvfm/include/vfm/vfm.h", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[512];
    unsigned found = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        int value;
        if (sscanf(line, "#define %63s %d", name, &value) != 2)
            continue;
        if (strncmp(name, "VFM_ERROR_", 10) != 0 && strcmp(name, "VFM_SUCCESS") != 0)
            continue;
        found++;
        int code = vfmt_errcode(name, strlen(name));
        if (code != value) {
            printf("\n  %s = %d in vfm.h, %d in tests/runner/errnames.c\n", name, value, code);
            CU_FAIL("error table out of date");
        }
    }
    fclose(f);
    size_t n;
    vfmt_errnames(&n);
    CU_ASSERT_EQUAL(found, n);
    CU_ASSERT_PTR_NULL(vfmt_errname(12345));
    CU_ASSERT_EQUAL(vfmt_errcode("VFM_ERROR_BOUNDSX", 17), 1);
}

static void test_version(void)
{
    CU_ASSERT_STRING_EQUAL(vfm_version(), VFM_VERSION_STRING);
    unsigned a, b, c;
    char tail;
    CU_ASSERT_EQUAL(sscanf(vfm_version(), "%u.%u.%u%c", &a, &b, &c, &tail), 3);
}

/* Two VMs are independent (no global state). */
static void test_independent_vms(void)
{
    vfm_state_t *a = unit_vm("PUSH 1\nDUP\nFLOW_LOAD\nPUSH 1\nADD\nSWAP\nOVER\nFLOW_STORE\nRET");
    vfm_state_t *b = unit_vm("PUSH 1\nDUP\nFLOW_LOAD\nPUSH 1\nADD\nSWAP\nOVER\nFLOW_STORE\nRET");
    CU_ASSERT_EQUAL(vfm_execute(a, pkt4, 4), 1);
    CU_ASSERT_EQUAL(vfm_execute(a, pkt4, 4), 2);
    CU_ASSERT_EQUAL(vfm_execute(b, pkt4, 4), 1);
    CU_ASSERT_EQUAL(vfm_set_linktype(a, 101), VFM_SUCCESS);
    vfm_destroy(a);
    CU_ASSERT_EQUAL(vfm_execute(b, pkt4, 4), 2);
    vfm_destroy(b);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"no program loaded", test_no_program},
        {"NULL arguments", test_null_arguments},
        {"RET value clamp in vfm_execute", test_clamp},
        {"uint16 vs size_t packet lengths", test_length_variants},
        {"failed load keeps the previous program", test_failed_load_keeps_program},
        {"vfm_load_program_file", test_load_file},
        {"linktype and loop settings", test_settings},
        {"helpers", test_helpers},
        {"vfm_trace", test_trace},
        {"error strings", test_error_strings},
        {"error-name table matches vfm.h", test_errnames_match_header},
        {"version", test_version},
        {"independent VMs", test_independent_vms},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"vm api", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
