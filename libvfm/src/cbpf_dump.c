/*
 * cbpf_dump.c - classic BPF as tcpdump prints it: -d (one line per
 * instruction, libpcap's bpf_image), -dd (a C array), -ddd (decimal).
 * The text must match tcpdump byte for byte, so scripts can diff the two
 * (tests/cbpf compares against libpcap's own printer and tcpdump).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"

typedef struct mnemonic {
    uint16_t code;
    const char *op;
    const char *fmt; /* operand: printf format of k (signed "%d" or hex), or literal */
} mnemonic_t;

/* The operand of each opcode, in libpcap's wording. */
static const mnemonic_t table[] = {
    {CB_RET | CB_K, "ret", "#%d"},
    {CB_RET | CB_RA, "ret", ""},
    {CB_LD | CB_W | CB_ABS, "ld", "[%d]"},
    {CB_LD | CB_H | CB_ABS, "ldh", "[%d]"},
    {CB_LD | CB_B | CB_ABS, "ldb", "[%d]"},
    {CB_LD | CB_W | CB_LEN, "ld", "#pktlen"},
    {CB_LD | CB_W | CB_IND, "ld", "[x + %d]"},
    {CB_LD | CB_H | CB_IND, "ldh", "[x + %d]"},
    {CB_LD | CB_B | CB_IND, "ldb", "[x + %d]"},
    {CB_LD | CB_IMM, "ld", "#0x%x"},
    {CB_LDX | CB_IMM, "ldx", "#0x%x"},
    {CB_LDX | CB_B | CB_MSH, "ldxb", "4*([%d]&0xf)"},
    {CB_LD | CB_MEM, "ld", "M[%d]"},
    {CB_LDX | CB_MEM, "ldx", "M[%d]"},
    {CB_ST, "st", "M[%d]"},
    {CB_STX, "stx", "M[%d]"},
    {CB_JMP | CB_JGT | CB_K, "jgt", "#0x%x"},
    {CB_JMP | CB_JGE | CB_K, "jge", "#0x%x"},
    {CB_JMP | CB_JEQ | CB_K, "jeq", "#0x%x"},
    {CB_JMP | CB_JSET | CB_K, "jset", "#0x%x"},
    {CB_JMP | CB_JGT | CB_X, "jgt", "x"},
    {CB_JMP | CB_JGE | CB_X, "jge", "x"},
    {CB_JMP | CB_JEQ | CB_X, "jeq", "x"},
    {CB_JMP | CB_JSET | CB_X, "jset", "x"},
    {CB_ALU | CB_ADD | CB_X, "add", "x"},
    {CB_ALU | CB_SUB | CB_X, "sub", "x"},
    {CB_ALU | CB_MUL | CB_X, "mul", "x"},
    {CB_ALU | CB_DIV | CB_X, "div", "x"},
    {CB_ALU | CB_MOD | CB_X, "mod", "x"},
    {CB_ALU | CB_AND | CB_X, "and", "x"},
    {CB_ALU | CB_OR | CB_X, "or", "x"},
    {CB_ALU | CB_XOR | CB_X, "xor", "x"},
    {CB_ALU | CB_LSH | CB_X, "lsh", "x"},
    {CB_ALU | CB_RSH | CB_X, "rsh", "x"},
    {CB_ALU | CB_ADD | CB_K, "add", "#%d"},
    {CB_ALU | CB_SUB | CB_K, "sub", "#%d"},
    {CB_ALU | CB_MUL | CB_K, "mul", "#%d"},
    {CB_ALU | CB_DIV | CB_K, "div", "#%d"},
    {CB_ALU | CB_MOD | CB_K, "mod", "#%d"},
    {CB_ALU | CB_AND | CB_K, "and", "#0x%x"},
    {CB_ALU | CB_OR | CB_K, "or", "#0x%x"},
    {CB_ALU | CB_XOR | CB_K, "xor", "#0x%x"},
    {CB_ALU | CB_LSH | CB_K, "lsh", "#%d"},
    {CB_ALU | CB_RSH | CB_K, "rsh", "#%d"},
    {CB_ALU | CB_NEG, "neg", ""},
    {CB_MISC | CB_TAX, "tax", ""},
    {CB_MISC | CB_TXA, "txa", ""},
};

/* Linux ancillary offsets (SKF_AD_*, linux/filter.h), named as libpcap names them. */
static const char *const ancillary[] = {"proto", "type",   "ifidx",    "nla",
                                        "nlan",  "mark",   "queue",    "hatype",
                                        "rxhash", "cpu",   "xor_x",    "vlan_tci",
                                        "vlanp", "poff",   "random",   "vlan_tpid"};

int vfm_bpf_image(const vfm_bpf_insn_t *insn, uint32_t n, char *buf, size_t len)
{
    if (!insn || !buf || len == 0)
        return VFM_ERROR_INVALID_ARGUMENT;
    const char *op = "unimp";
    char operand[64];
    snprintf(operand, sizeof operand, "0x%x", insn->code);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].code != insn->code)
            continue;
        op = table[i].op;
        if (strchr(table[i].fmt, '%'))
            snprintf(operand, sizeof operand, table[i].fmt, insn->k);
        else
            snprintf(operand, sizeof operand, "%s", table[i].fmt);
        break;
    }
    uint32_t ad = insn->k - (uint32_t)CB_SKF_AD_OFF;
    bool abs_load = insn->code == (CB_LD | CB_W | CB_ABS) ||
                    insn->code == (CB_LD | CB_H | CB_ABS) || insn->code == (CB_LD | CB_B | CB_ABS);
    if (abs_load && ad < 4 * (sizeof ancillary / sizeof ancillary[0]) && ad % 4 == 0)
        snprintf(operand, sizeof operand, "[%s]", ancillary[ad / 4]);
    int w;
    if (insn->code == (CB_JMP | CB_JA)) {
        op = "ja";
        snprintf(operand, sizeof operand, "%d", (int)(n + 1 + insn->k));
    }
    if (CB_CLASS(insn->code) == CB_JMP && CB_OP(insn->code) != CB_JA) {
        w = snprintf(buf, len, "(%03d) %-8s %-16s jt %d\tjf %d", (int)n, op, operand,
                     (int)(n + 1 + insn->jt), (int)(n + 1 + insn->jf));
    } else {
        w = snprintf(buf, len, "(%03d) %-8s %s", (int)n, op, operand);
    }
    return w >= 0 && (size_t)w < len ? VFM_SUCCESS : VFM_ERROR_NO_MEMORY;
}

typedef struct text {
    char *p;
    size_t len, cap;
    bool oom;
} text_t;

__attribute__((format(printf, 2, 3))) static void put(text_t *t, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (t->oom || n < 0)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (!q) {
            t->oom = true;
            return;
        }
        t->p = q;
        t->cap = cap;
    }
    memcpy(t->p + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

int vfm_bpf_dump(const vfm_bpf_insn_t *prog, uint32_t n, vfm_bpf_format_t format, char **out)
{
    if (!out)
        return VFM_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    if ((!prog && n) || format < VFM_BPF_LISTING || format > VFM_BPF_DECIMAL)
        return VFM_ERROR_INVALID_ARGUMENT;
    text_t t = {0};
    put(&t, "%s", ""); /* an empty program is "" (or "0\n") */
    if (format == VFM_BPF_DECIMAL)
        put(&t, "%u\n", n);
    for (uint32_t i = 0; i < n; i++) {
        const vfm_bpf_insn_t *p = &prog[i];
        char line[128];
        switch (format) {
        case VFM_BPF_LISTING:
            vfm_bpf_image(p, i, line, sizeof line);
            put(&t, "%s\n", line);
            break;
        case VFM_BPF_C_ARRAY:
            put(&t, "{ 0x%x, %d, %d, 0x%08x },\n", p->code, p->jt, p->jf, p->k);
            break;
        default: put(&t, "%u %u %u %u\n", p->code, p->jt, p->jf, p->k); break;
        }
    }
    if (t.oom) {
        free(t.p);
        return VFM_ERROR_NO_MEMORY;
    }
    *out = t.p;
    return VFM_SUCCESS;
}
