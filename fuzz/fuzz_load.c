/*
 * fuzz_load - libFuzzer target: any bytes as a program (with or without the
 * file header), then, if it loads, run it on packets carved from the input.
 * Differential: the fast (fused) interpreter and the traced (unfused) one
 * must return the same code and value.  Input layout:
 *   byte 0      policy: bit 0 allow loops (limit 64), bits 1-7 unused
 *   byte 1      packet length (0..255), packet bytes taken from the tail
 *   rest        the program
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/vfm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void nop_trace(void *u, uint32_t pc, const uint64_t *s, uint32_t d)
{
    (void)u, (void)pc, (void)s, (void)d;
}

static int helper_add(void *u, const uint8_t *p, size_t n, const uint64_t *args, uint64_t *r)
{
    (void)u, (void)p, (void)n;
    *r = args[0] + args[1];
    return args[0] == 0xdead ? VFM_ERROR_HELPER : VFM_SUCCESS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 70000)
        return 0;
    vfm_state_t *vm = vfm_create();
    if (!vm)
        abort();
    if (data[0] & 1)
        vfm_set_loop_limit(vm, 64);
    vfm_helper_t h = {.name = "add", .pops = 2, .pushes = 1, .fn = helper_add};
    vfm_register_helper(vm, 1, &h);
    size_t plen = data[1];
    const uint8_t *prog = data + 2;
    size_t prog_len = size - 2;
    if (vfm_load_program(vm, prog, (uint32_t)prog_len) == VFM_SUCCESS) {
        uint8_t pkt[256];
        memset(pkt, 0xa5, sizeof pkt);
        memcpy(pkt, data + size - (plen < size ? plen : size), plen < size ? plen : size);
        for (size_t len = 0; len <= plen; len += 1 + plen / 4) {
            uint64_t r1, r2;
            vfm_flow_table_clear(vm);
            int c1 = vfm_run(vm, pkt, len, &r1);
            vfm_flow_table_clear(vm);
            int c2 = vfm_trace(vm, pkt, len, &r2, nop_trace, NULL);
            if (c1 != c2 || r1 != r2)
                abort(); /* the two interpreters disagree */
        }
    }
    vfm_destroy(vm);
    return 0;
}
