/* unit.c - helpers shared by the CUnit programs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "unit.h"
#include "vfm/asm.h"

int unit_main(CU_SuiteInfo *suites)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        return 2;
    }
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed || ran == 0) ? 1 : 0;
}

uint8_t *unit_asm(const char *src, uint32_t *len, int no_verify)
{
    vfm_asm_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.filename = "unit";
    opts.no_verify = no_verify;
    vfm_diag_t d;
    uint8_t *code = NULL;
    int rc = vfm_assemble(src, strlen(src), &opts, &code, len, &d);
    if (rc) {
        printf("\n  assembling failed: %s\n", d.msg);
        return NULL;
    }
    return code;
}

vfm_state_t *unit_vm(const char *src)
{
    uint32_t len;
    uint8_t *code = unit_asm(src, &len, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    int rc = vfm_load_program(vm, code, len);
    if (rc)
        printf("\n  load failed: %s\n", vfm_last_error(vm));
    CU_ASSERT_EQUAL(rc, VFM_SUCCESS);
    free(code);
    return vm;
}

uint8_t *unit_hex(const char *hex, size_t *len)
{
    uint8_t *out;
    uint32_t line;
    char why[128];
    if (vfmt_hex_parse(hex, strlen(hex), &out, len, &line, why, sizeof why)) {
        fprintf(stderr, "bad hex in a test: %s\n", why);
        abort();
    }
    return out;
}

int unit_run_hex(vfm_state_t *vm, const char *hex, uint64_t *out)
{
    size_t n;
    uint8_t *p = unit_hex(hex, &n);
    int rc = vfm_run(vm, p, n, out);
    free(p);
    return rc;
}

uint64_t unit_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}
