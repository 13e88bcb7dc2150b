/*
 * fuzz_vflisp.c - libFuzzer target for the VFLisp compiler.
 *
 * Any input must either compile or fail with a located source error; never
 * crash, leak, or produce code the verifier rejects (a compiler bug, which
 * vfl_compile_ex reports as VFM_ERROR_VERIFICATION_FAILED: abort on it).
 * Compiled programs are run on a few packets; the run may reject a packet
 * (bounds, division by zero) but must not fail otherwise.
 * The first input byte picks the link type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/vflisp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t tcp4[] = {
    0,    0,  0, 0,  0,    2,    0,    0,    0,    0,    0,    1,    0x08, 0x00, /* Ethernet */
    0x46, 0,  0, 44, 0x12, 0x34, 0,    0,    64,   6,    0,    0,    10,   0,    0,
    1,    10, 0, 0,  2,    1,    1,    1,    1,    0x04, 0x00, 0x00, 0x50, 0,    0,
    0,    0,  0, 0,  0,    0,    0x50, 0x02, 0x20, 0,    0,    0,    0,    0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int links[] = {1, 113, 276, 12, 228, 229, 0, 108};
    if (size == 0)
        return 0;
    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = links[data[0] % (sizeof links / sizeof links[0])];
    vfl_diag_t d;
    uint8_t *bc = NULL;
    uint32_t len = 0;
    int rc = vfl_compile_ex((const char *)data + 1, size - 1, &o, &bc, &len, &d);
    if (rc == VFM_ERROR_VERIFICATION_FAILED ||
        (rc != VFM_SUCCESS && rc != VFM_ERROR_INVALID_PROGRAM))
        abort();
    if (rc != VFM_SUCCESS)
        return 0;
    vfm_state_t *vm = vfm_create();
    if (!vm || vfm_load_program(vm, bc, len) != VFM_SUCCESS)
        abort();
    for (size_t cut = 0; cut <= sizeof tcp4; cut += 11) {
        uint64_t v;
        int r = vfm_run(vm, tcp4, cut, &v);
        if (r != VFM_SUCCESS && r != VFM_ERROR_BOUNDS && r != VFM_ERROR_DIVISION_BY_ZERO)
            abort();
    }
    vfm_destroy(vm);
    free(bc);
    return 0;
}
