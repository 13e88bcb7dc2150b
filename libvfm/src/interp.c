/*
 * interp.c - the interpreter: computed-goto dispatch over the pre-decoded
 * form, with a portable switch when the compiler lacks labels-as-values (or
 * -DVFM_SWITCH_DISPATCH).  Nothing is allocated per packet.
 */
#include "interp.h"

#if defined(__GNUC__) && !defined(VFM_SWITCH_DISPATCH)
#define VFMI_COMPUTED_GOTO 1
#define VFMI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VFMI_COMPUTED_GOTO 0
#define VFMI_UNLIKELY(x) (x)
#endif

/* Big-endian loads, named after the opcode that uses them. */
static inline uint64_t vfmi_load_LD8(const uint8_t *p) { return p[0]; }
static inline uint64_t vfmi_load_LD16(const uint8_t *p) { return (uint64_t)p[0] << 8 | p[1]; }
static inline uint64_t vfmi_load_LD32(const uint8_t *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}
static inline uint64_t vfmi_load_LD64(const uint8_t *p)
{
    return vfmi_load_LD32(p) << 32 | vfmi_load_LD32(p + 4);
}

/* Jump conditions, named after the opcode (a = below top / loaded, b = top / constant). */
#define VFMI_X_(name, op)                                                                  \
    static inline bool vfmi_cond_##name(uint64_t a, uint64_t b) { return a op b; }
VFMI_CONDS(VFMI_X_)
#undef VFMI_X_

/* Hand the trace callback the stack as an array, bottom first. */
static void trace_step(vfmi_ctx_t *ctx, uint32_t pc, const uint64_t *stk, const uint64_t *sp,
                       uint64_t tos)
{
    uint64_t view[VFM_STACK_MAX];
    uint32_t depth = (uint32_t)(sp - stk);
    for (uint32_t i = 0; i + 1 < depth; i++)
        view[i] = stk[i + 1];
    if (depth)
        view[depth - 1] = tos;
    ctx->trace(ctx->trace_user, pc, view, depth);
}

#define VFMI_FN vfmi_interp_fast
#define VFMI_TRACE 0
#include "interp_body.h"
#undef VFMI_FN
#undef VFMI_TRACE

#define VFMI_FN vfmi_interp_trace
#define VFMI_TRACE 1
#include "interp_body.h"
#undef VFMI_FN
#undef VFMI_TRACE
