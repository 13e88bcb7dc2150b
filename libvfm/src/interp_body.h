/*
 * interp_body.h - the interpreter, included by interp.c once per variant:
 *   VFMI_FN     function name
 *   VFMI_TRACE  1 to call ctx->trace before each original instruction
 * One body, so the traced and the fast interpreter cannot disagree.
 *
 * Stack: the top value lives in `tos`; the rest in stk[1..depth-1], with sp
 * = stk + depth.  stk[0] is a scratch slot that absorbs the meaningless `tos`
 * pushed at depth 0, so no handler tests for an empty stack (the verifier
 * proved every pop has a value).
 */
int VFMI_FN(const vfmi_prog_t *prog, vfmi_ctx_t *ctx, uint64_t *result)
{
#if VFMI_COMPUTED_GOTO
    static const void *const labels[VFMI_IOP_COUNT] = {
#define VFM_OP(name, byte, opnd, pops, pushes, flags, doc) [VFMI_IOP_##name] = &&L_##name,
#include "vfm/opcodes.def"
#undef VFM_OP
        [VFMI_IOP_DROPN] = &&L_DROPN,
        [VFMI_IOP_LOOP] = &&L_LOOP,
        [VFMI_IOP_RET_K] = &&L_RET_K,
        [VFMI_IOP_LDIHL] = &&L_LDIHL,
#define VFMI_X_(name, o) [VFMI_IOP_##name##_K] = &&L_##name##_K,
        VFMI_CMP_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(l, t, j, test) [VFMI_IOP_##l##_##t] = &&L_##l##_##t,
        VFMI_LD_TEST(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(name, o) [VFMI_IOP_##name##_K] = &&L_##name##_K,
        VFMI_CONDS(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(name) [VFMI_IOP_##name##_K] = &&L_##name##_K,
        VFMI_ALU_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(l, j) [VFMI_IOP_##l##_##j##_K] = &&L_##l##_##j##_K,
        VFMI_LD_J_K(VFMI_X_)
#undef VFMI_X_
    };
#define OP(name) L_##name:
#define GO() goto *labels[ip->op]
#else
#define OP(name) case VFMI_IOP_##name:
#define GO() goto dispatch
#endif

#if VFMI_TRACE
#define DISPATCH()                                                                         \
    do {                                                                                   \
        if (ip->pc != VFMI_NO_PC)                                                          \
            trace_step(ctx, ip->pc, stk, sp, tos);                                         \
        GO();                                                                              \
    } while (0)
#else
#define DISPATCH() GO()
#endif
#define NEXT()                                                                             \
    do {                                                                                   \
        ip++;                                                                              \
        DISPATCH();                                                                        \
    } while (0)
#define JUMP()                                                                             \
    do {                                                                                   \
        ip = base + ip->a;                                                                 \
        DISPATCH();                                                                        \
    } while (0)
#define PUSHV(v)                                                                           \
    do {                                                                                   \
        uint64_t v_ = (v);                                                                 \
        *sp++ = tos;                                                                       \
        tos = v_;                                                                          \
    } while (0)
/* Constant offset (< 2^16) plus size cannot overflow. */
#define CHECK_K(off, n)                                                                    \
    if (VFMI_UNLIKELY((uint64_t)(off) + (n) > len))                                        \
        goto bounds;

    const vfmi_pinsn_t *const base = prog->insn;
    const vfmi_pinsn_t *ip = base;
    const uint8_t *const pkt = ctx->pkt;
    const uint64_t len = ctx->len;
    uint64_t *const stk = ctx->stack;
    uint64_t *sp = stk;
    uint64_t tos = 0, a, b;
    uint32_t back_jumps = 0;
    int err;

    DISPATCH();
#if !VFMI_COMPUTED_GOTO
dispatch:
    switch ((vfmi_iop_t)ip->op) {
#endif

    /* ---- packet loads ---- */
#define LD_K(l)                                                                            \
    OP(l) {                                                                                \
        CHECK_K(ip->a, VFMI_NB_##l);                                                       \
        PUSHV(vfmi_load_##l(pkt + ip->a));                                                 \
        NEXT();                                                                            \
    }
    LD_K(LD8)
    LD_K(LD16)
    LD_K(LD32)
    LD_K(LD64)
#undef LD_K
    /* Offset = popped value + k: overflow-safe as `n > len - off`. */
#define LDX(l)                                                                             \
    OP(LDX##l) {                                                                           \
        if (VFMI_UNLIKELY(tos > len || (uint64_t)ip->a + VFMI_NB_LD##l > len - tos))       \
            goto bounds;                                                                   \
        tos = vfmi_load_LD##l(pkt + tos + ip->a);                                          \
        NEXT();                                                                            \
    }
    LDX(8)
    LDX(16)
    LDX(32)
    LDX(64)
#undef LDX
    OP(LEN) {
        PUSHV(len);
        NEXT();
    }
    OP(LDIHL) {
        CHECK_K(ip->a, 1);
        PUSHV((uint64_t)(pkt[ip->a] & 0x0f) << 2);
        NEXT();
    }

    /* ---- stack ---- */
    OP(PUSH)
    OP(PUSH8)
    OP(PUSH16)
    OP(PUSH32) {
        PUSHV(ip->k);
        NEXT();
    }
    OP(POP) {
        tos = *--sp;
        NEXT();
    }
    OP(DUP) {
        *sp++ = tos;
        NEXT();
    }
    OP(SWAP) {
        a = sp[-1];
        sp[-1] = tos;
        tos = a;
        NEXT();
    }
    OP(OVER) {
        *sp++ = tos;
        tos = sp[-2];
        NEXT();
    }
    OP(DROPN) {
        tos = sp[-(ptrdiff_t)ip->n];
        sp -= ip->n;
        NEXT();
    }

    /* ---- arithmetic: a = below top, b = top ---- */
#define BINOP(name, expr)                                                                  \
    OP(name) {                                                                             \
        b = tos;                                                                           \
        a = *--sp;                                                                         \
        tos = (expr);                                                                      \
        NEXT();                                                                            \
    }                                                                                      \
    OP(name##_K) {                                                                         \
        a = tos;                                                                           \
        b = ip->k;                                                                         \
        tos = (expr);                                                                      \
        NEXT();                                                                            \
    }
    BINOP(ADD, a + b)
    BINOP(SUB, a - b)
    BINOP(MUL, a * b)
    BINOP(AND, a & b)
    BINOP(OR, a | b)
    BINOP(XOR, a ^ b)
    BINOP(SHL, b >= 64 ? 0 : a << b)
    BINOP(SHR, b >= 64 ? 0 : a >> b)
    BINOP(EQ, a == b)
    BINOP(NE, a != b)
    BINOP(GT, a > b)
    BINOP(LT, a < b)
    BINOP(GE, a >= b)
    BINOP(LE, a <= b)
#undef BINOP
    /* DIV_K/MOD_K never see 0: the predecoder does not fuse PUSH 0. */
#define DIVOP(name, op)                                                                    \
    OP(name) {                                                                             \
        b = tos;                                                                           \
        a = *--sp;                                                                         \
        if (VFMI_UNLIKELY(b == 0))                                                         \
            goto divzero;                                                                  \
        tos = a op b;                                                                      \
        NEXT();                                                                            \
    }                                                                                      \
    OP(name##_K) {                                                                         \
        tos = tos op ip->k;                                                                \
        NEXT();                                                                            \
    }
    DIVOP(DIV, /)
    DIVOP(MOD, %)
#undef DIVOP
    OP(NOT) {
        tos = ~tos;
        NEXT();
    }

    /* ---- control flow ---- */
    OP(JMP) {
        JUMP();
    }
    OP(LOOP) {
        if (VFMI_UNLIKELY(++back_jumps > ctx->loop_limit))
            goto limit;
        JUMP();
    }
#define JCC(name, op)                                                                      \
    OP(name) {                                                                             \
        b = tos;                                                                           \
        a = sp[-1];                                                                        \
        tos = sp[-2];                                                                      \
        sp -= 2;                                                                           \
        if (a op b)                                                                        \
            JUMP();                                                                        \
        NEXT();                                                                            \
    }                                                                                      \
    OP(name##_K) {                                                                         \
        a = tos;                                                                           \
        tos = *--sp;                                                                       \
        if (a op ip->k)                                                                    \
            JUMP();                                                                        \
        NEXT();                                                                            \
    }
    VFMI_CONDS(JCC)
#undef JCC
    /* LDn k1; PUSH k2; Jcc -- one handler per row of VFMI_LD_J_K. */
#define LD_JCC(l, j)                                                                       \
    OP(l##_##j##_K) {                                                                      \
        CHECK_K(ip->n, VFMI_NB_##l);                                                       \
        if (vfmi_cond_##j(vfmi_load_##l(pkt + ip->n), ip->k))                              \
            JUMP();                                                                        \
        NEXT();                                                                            \
    }
    VFMI_LD_J_K(LD_JCC)
#undef LD_JCC
#define LD_TEST(l, t, j, test)                                                             \
    OP(l##_##t) {                                                                          \
        CHECK_K(ip->n, VFMI_NB_##l);                                                       \
        if ((vfmi_load_##l(pkt + ip->n) & ip->k) test)                                     \
            JUMP();                                                                        \
        NEXT();                                                                            \
    }
    VFMI_LD_TEST(LD_TEST)
#undef LD_TEST
    OP(JZ) {
        a = tos;
        tos = *--sp;
        if (a == 0)
            JUMP();
        NEXT();
    }
    OP(JNZ) {
        a = tos;
        tos = *--sp;
        if (a != 0)
            JUMP();
        NEXT();
    }
    OP(RET) {
        *result = tos;
        return VFM_SUCCESS;
    }
    OP(RET_K) {
        *result = ip->k;
        return VFM_SUCCESS;
    }

    /* ---- state ---- */
    OP(HASH5) {
        PUSHV(vfm_hash5(pkt, len, ctx->linktype));
        NEXT();
    }
    OP(FLOW_LOAD) {
        tos = vfmi_flow_load(ctx->flow, tos);
        NEXT();
    }
    OP(FLOW_STORE) {
        b = tos;
        a = sp[-1];
        tos = sp[-2];
        sp -= 2;
        vfmi_flow_store(ctx->flow, a, b);
        NEXT();
    }
    OP(CALL) {
        /* Spill tos so the arguments are contiguous: stk[depth-n+1 .. depth]. */
        const vfm_helper_t *h = &ctx->helpers[ip->a];
        uint64_t res = 0;
        *sp++ = tos;
        err = h->fn(h->user, pkt, len, sp - ip->n, &res);
        if (VFMI_UNLIKELY(err < 0)) {
            if (err < VFM_ERROR_INVALID_ARGUMENT)
                err = VFM_ERROR_HELPER;
            goto fail;
        }
        sp -= ip->n;
        if (ip->k)
            tos = res;
        else
            tos = *--sp;
        NEXT();
    }

#if !VFMI_COMPUTED_GOTO
    default:
        err = VFM_ERROR_INVALID_OPCODE; /* the verifier let through an op we lack: a bug */
        goto fail;
    }
#endif

bounds:
    err = VFM_ERROR_BOUNDS;
    goto fail;
divzero:
    err = VFM_ERROR_DIVISION_BY_ZERO;
    goto fail;
limit:
    err = VFM_ERROR_LIMIT;
fail:
    *result = 0;
    return err;

#undef OP
#undef GO
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef PUSHV
#undef CHECK_K
}
