/*
 * disasm.c - raw code -> VFM assembly text.
 *
 * Each instruction is printed with its exact mnemonic so that the text of
 * vfm_disassemble(VFM_DIS_LABELS) re-assembles to the same bytes:
 *
 *   LD16 12            offsets in decimal
 *   PUSH8 -1           PUSH8 as the signed value it pushes
 *   PUSH16 0x800       immediates >= 256 in hex, smaller ones in decimal
 *   PUSH64 5           a PUSH (8-byte form) whose value has a shorter form;
 *                      plain "PUSH k" would re-assemble to the shorter one
 *   JNE +3 (-> 12)     jumps: relative offset and target (no labels)
 *   JNE L_12           jumps with VFM_DIS_LABELS; "L_12:" precedes pc 12
 *   CALL 3             helper id
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vfm/asm.h"

/* Widest instruction, for lining up VFM_DIS_HEX columns. */
enum { MAX_INSN_SIZE = 1 + VFM_OPND_SIZE_IMM64 };

/* Immediates: small ones in decimal, the rest in hex (bit patterns). */
static int fmt_imm(char *buf, size_t n, uint64_t v)
{
    return v < 256 ? snprintf(buf, n, "%llu", (unsigned long long)v)
                   : snprintf(buf, n, "0x%llx", (unsigned long long)v);
}

/* Does the shortest-PUSH rule of the assembler pick the 8-byte form for @p v? */
static bool needs_push64(uint64_t v)
{
    int64_t s = (int64_t)v;
    return !(s >= -128 && s <= 127) && v > 0xffffffffu;
}

/*
 * Format @p in into @p buf.  @p label_ok: the jump target is an instruction
 * start that gets a label, so print "L_<pc>".  @p plain_rel: print jumps as
 * "+3" only (re-assemblable), else "+3 (-> 12)".
 */
static void format(const vfmi_insn_t *in, bool label_ok, bool plain_rel, char *buf, size_t n)
{
    const vfm_opinfo_t *oi = in->info;
    const char *name = oi->name;
    char opnd[48] = "";
    switch ((vfm_operand_t)oi->operand) {
    case VFM_OPND_NONE: break;
    case VFM_OPND_OFF16:
    case VFM_OPND_HELPER16: snprintf(opnd, sizeof opnd, "%llu", (unsigned long long)in->k); break;
    case VFM_OPND_IMM8: snprintf(opnd, sizeof opnd, "%lld", (long long)(int64_t)in->k); break;
    case VFM_OPND_IMM16:
    case VFM_OPND_IMM32: fmt_imm(opnd, sizeof opnd, in->k); break;
    case VFM_OPND_IMM64:
        if (!needs_push64(in->k))
            name = "PUSH64";
        fmt_imm(opnd, sizeof opnd, in->k);
        break;
    case VFM_OPND_REL16:
        if (label_ok)
            snprintf(opnd, sizeof opnd, "L_%lld", (long long)in->target);
        else if (plain_rel)
            snprintf(opnd, sizeof opnd, "%+lld", (long long)(int64_t)in->k);
        else
            snprintf(opnd, sizeof opnd, "%+lld (-> %lld)", (long long)(int64_t)in->k,
                     (long long)in->target);
        break;
    case VFM_OPND_COUNT_: break;
    }
    snprintf(buf, n, "%s%s%s", name, opnd[0] ? " " : "", opnd);
}

int vfm_format_insn(const uint8_t *code, uint32_t len, uint32_t pc, char *buf, size_t buf_len)
{
    if (!code || (!buf && buf_len))
        return VFM_ERROR_INVALID_ARGUMENT;
    vfmi_insn_t in;
    int rc = vfmi_decode(code, len, pc, &in);
    if (rc != VFM_SUCCESS)
        return rc;
    if (buf_len)
        format(&in, false, false, buf, buf_len);
    return (int)in.info->size;
}

/* ---- whole programs ------------------------------------------------------- */

typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf_t;

__attribute__((format(printf, 2, 3))) static void sb_printf(strbuf_t *sb, const char *fmt, ...)
{
    if (sb->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->oom = true;
            return;
        }
        if ((size_t)n < sb->cap - sb->len) {
            sb->len += (size_t)n;
            return;
        }
        size_t cap = sb->cap * 2 + (size_t)n + 1;
        char *q = realloc(sb->p, cap);
        if (!q) {
            sb->oom = true;
            return;
        }
        sb->p = q;
        sb->cap = cap;
    }
}

/* Bit @p i of a bitmap. */
static bool bit(const uint8_t *map, uint32_t i) { return map[i >> 3] & (1u << (i & 7)); }
static void set_bit(uint8_t *map, uint32_t i) { map[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* One output line: [addr] [hex] [indent] text. */
static void emit_insn(strbuf_t *sb, const uint8_t *code, const vfmi_insn_t *in, unsigned flags,
                      const char *text)
{
    if (flags & VFM_DIS_ADDR)
        sb_printf(sb, "%04u: ", in->pc);
    if (flags & VFM_DIS_HEX) {
        unsigned i;
        for (i = 0; i < in->info->size; i++)
            sb_printf(sb, "%02x ", code[in->pc + i]);
        sb_printf(sb, "%*s", (int)(3 * (MAX_INSN_SIZE - i)) + 1, "");
    }
    sb_printf(sb, "%s%s\n", (flags & VFM_DIS_LABELS) ? "    " : "", text);
}

int vfm_disassemble(const uint8_t *code, uint32_t len, unsigned flags, char **text)
{
    if (!text || (!code && len))
        return VFM_ERROR_INVALID_ARGUMENT;
    *text = NULL;
    strbuf_t sb = {.p = malloc(256), .cap = 256};
    /* Bitmaps: where instructions start, and which of those a jump targets. */
    size_t mapsize = (size_t)len / 8 + 1;
    uint8_t *starts = calloc(1, mapsize), *targets = calloc(1, mapsize);
    if (!sb.p || !starts || !targets) {
        free(sb.p);
        free(starts);
        free(targets);
        return VFM_ERROR_NO_MEMORY;
    }
    sb.p[0] = '\0';

    /* Pass 1: decodable prefix, instruction starts, jump targets. */
    uint32_t end = 0;
    vfmi_insn_t in;
    int rc = VFM_SUCCESS;
    while (end < len && (rc = vfmi_decode(code, len, end, &in)) == VFM_SUCCESS) {
        set_bit(starts, end);
        end = in.next;
    }
    bool labels = flags & VFM_DIS_LABELS;
    for (uint32_t pc = 0; labels && pc < end; pc = in.next) {
        vfmi_decode(code, len, pc, &in);
        if (in.target >= 0 && in.target < end && bit(starts, (uint32_t)in.target))
            set_bit(targets, (uint32_t)in.target);
    }

    /* Pass 2: print. */
    char line[96];
    for (uint32_t pc = 0; pc < end; pc = in.next) {
        vfmi_decode(code, len, pc, &in);
        if (labels && bit(targets, pc))
            sb_printf(&sb, "L_%u:\n", pc);
        bool label_ok = labels && in.target >= 0 && in.target < end &&
                        bit(starts, (uint32_t)in.target);
        format(&in, label_ok, labels, line, sizeof line);
        if (labels && (in.info->flags & VFM_F_JUMP) && !label_ok) {
            size_t l = strlen(line);
            snprintf(line + l, sizeof line - l, " ; -> %lld: not an instruction",
                     (long long)in.target);
        }
        emit_insn(&sb, code, &in, flags, line);
    }
    free(starts);
    free(targets);
    if (sb.oom) {
        free(sb.p);
        return VFM_ERROR_NO_MEMORY;
    }
    *text = sb.p;
    return rc;
}
