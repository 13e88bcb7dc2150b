/*
 * builtins.c - every VFLisp operator and form, in one table.
 *
 * A row gives the name, how many arguments it takes and of which kind, what
 * it returns, and how it is lowered (value: push a number; branch: jump on
 * its truth).  The checker (arity, types) and the lowering read only this
 * table; docs/vflisp.md describes each row.
 */
#include <string.h>

#include "internal.h"
#include "vfm/isa.h"

#define ARITH(nm, minargs, maxargs, op, d)                                                         \
    {                                                                                              \
        nm, minargs, maxargs, {A_INT, A_INT, A_INT}, R_INT, op, 0, B_ARITH, d, vfli_lower_arith,   \
            NULL                                                                                   \
    }
#define CMP(nm, op, rel, d)                                                                        \
    {                                                                                              \
        nm, 2, 2, {A_INT, A_INT, A_INT}, R_BOOL, op, rel, B_CMP, d, vfli_lower_cmp_value,          \
            vfli_lower_cmp_branch                                                                  \
    }
#define LOAD(nm, layer, d)                                                                         \
    {                                                                                              \
        nm, 2, 2, {A_WIDTH, A_INT, A_INT}, R_INT, 0, layer, B_LOAD, d, vfli_lower_load_value, NULL \
    }
#define COUNT(nm, d)                                                                               \
    {                                                                                              \
        nm, 1, 1, {A_INT, A_INT, A_INT}, R_INT, 0, 0, B_EFFECT, d, vfli_lower_count_value, NULL    \
    }

static const builtin_t table[] = {
    /* arithmetic and bitwise: unsigned 64-bit, wrapping; several arguments fold left */
    ARITH("+", 2, ARGS_MANY, VFM_OP_ADD, "sum"),
    ARITH("-", 1, ARGS_MANY, VFM_OP_SUB, "difference; (- x) is 0 - x"),
    ARITH("*", 2, ARGS_MANY, VFM_OP_MUL, "product"),
    ARITH("/", 2, ARGS_MANY, VFM_OP_DIV,
          "quotient (a zero divisor at run time rejects the packet)"),
    ARITH("%", 2, ARGS_MANY, VFM_OP_MOD,
          "remainder (a zero divisor at run time rejects the packet)"),
    ARITH("&", 2, ARGS_MANY, VFM_OP_AND, "bitwise and"),
    ARITH("|", 2, ARGS_MANY, VFM_OP_OR, "bitwise or"),
    ARITH("^", 2, ARGS_MANY, VFM_OP_XOR, "bitwise exclusive or"),
    ARITH("<<", 2, 2, VFM_OP_SHL, "left shift (0 when shifting by 64 or more)"),
    ARITH(">>", 2, 2, VFM_OP_SHR, "right shift (0 when shifting by 64 or more)"),
    {"~",
     1,
     1,
     {A_INT, A_INT, A_INT},
     R_INT,
     VFM_OP_NOT,
     0,
     0,
     "bitwise complement",
     vfli_lower_not_bits,
     NULL},
    /* comparisons: unsigned; false when a field they read is absent */
    CMP("=", VFM_OP_EQ, REL_EQ, "equal"),
    CMP("!=", VFM_OP_NE, REL_NE, "not equal"),
    CMP(">", VFM_OP_GT, REL_GT, "greater than"),
    CMP(">=", VFM_OP_GE, REL_GE, "greater than or equal"),
    CMP("<", VFM_OP_LT, REL_LT, "less than"),
    CMP("<=", VFM_OP_LE, REL_LE, "less than or equal"),
    /* logic: short-circuit, left to right */
    {"and",
     1,
     ARGS_MANY,
     {A_TRUTH, A_TRUTH, A_TRUTH},
     R_BOOL,
     0,
     0,
     0,
     "true when every argument is (stops at the first false one)",
     vfli_lower_bool_value,
     vfli_lower_and_branch},
    {"or",
     1,
     ARGS_MANY,
     {A_TRUTH, A_TRUTH, A_TRUTH},
     R_BOOL,
     0,
     0,
     0,
     "true when some argument is (stops at the first true one)",
     vfli_lower_bool_value,
     vfli_lower_or_branch},
    {"not",
     1,
     1,
     {A_TRUTH, A_TRUTH, A_TRUTH},
     R_BOOL,
     0,
     0,
     0,
     "logical negation",
     vfli_lower_bool_value,
     vfli_lower_not_branch},
    {"if",
     3,
     3,
     {A_TRUTH, A_ANY, A_ANY},
     R_ARMS,
     0,
     0,
     0,
     "(if condition then else): only the chosen arm is evaluated",
     vfli_lower_if_value,
     vfli_lower_if_branch},
    /* networks */
    {"in-net",
     2,
     2,
     {A_INT, A_NET, A_NET},
     R_BOOL,
     0,
     0,
     0,
     "(in-net ADDRESS-FIELD PREFIX): the address lies in the prefix (IPv4 or IPv6)",
     vfli_lower_bool_value,
     vfli_lower_in6_branch},
    /* state */
    COUNT("count-by", "increment the flow-table counter for KEY and return the new count"),
    COUNT("flow-count", "the same as count-by (the manual uses both names)"),
    /* raw packet access: (load WIDTH OFFSET) */
    LOAD("load", LAYER_LINK, "bytes at OFFSET from the start of the frame (ether[...])"),
    LOAD("load-ip", LAYER_IP, "bytes at OFFSET in the IPv4 header (ip[...])"),
    LOAD("load-ip6", LAYER_IP6, "bytes at OFFSET in the IPv6 header (ip6[...])"),
    LOAD("load-tcp", LAYER_TCP, "bytes at OFFSET in the TCP header over IPv4 (tcp[...])"),
    LOAD("load-udp", LAYER_UDP, "bytes at OFFSET in the UDP header over IPv4 (udp[...])"),
    LOAD("load-icmp", LAYER_ICMP, "bytes at OFFSET in the ICMP header (icmp[...])"),
    /* names */
    {"let",
     2,
     2,
     {A_SPECIAL, A_SPECIAL, A_SPECIAL},
     R_INT,
     0,
     0,
     0,
     "(let ((NAME EXPR) ...) BODY): names for sub-expressions",
     NULL,
     NULL},
    {"define",
     2,
     2,
     {A_SPECIAL, A_SPECIAL, A_SPECIAL},
     R_INT,
     0,
     0,
     B_TOPLEVEL,
     "(define NAME EXPR) or (define (NAME PARAM...) BODY), before the filter expression",
     NULL,
     NULL},
};

const builtin_t *vfli_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const builtin_t *vfli_builtin_at(unsigned i)
{
    return i < sizeof table / sizeof table[0] ? &table[i] : NULL;
}
