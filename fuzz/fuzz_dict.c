/*
 * fuzz_dict.c - libFuzzer dictionaries generated from the tables, so they
 * never drift from the language (no hand-written token lists):
 *
 *   vfm-fuzz-dict asm      mnemonics from opcodes.def (vfm_opinfo), the
 *                          helper names fuzz_asm knows, assembler syntax
 *   vfm-fuzz-dict vflisp   VFLisp forms, fields and named constants from
 *                          the compiler's own tables (vflisp/src)
 *
 * Output is libFuzzer's -dict format: one "quoted token" per line.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h" /* vflisp/src: builtin, field and constant tables */
#include "vfm/isa.h"

static void token(const char *t)
{
    putchar('"');
    for (; *t; t++) {
        if (*t == '"' || *t == '\\')
            printf("\\%c", *t);
        else if (*t < 0x20 || *t > 0x7e)
            printf("\\x%02x", (unsigned char)*t);
        else
            putchar(*t);
    }
    puts("\"");
}

static void asm_dict(void)
{
    for (unsigned c = 0; c < 256; c++) {
        const vfm_opinfo_t *in = vfm_opinfo((uint8_t)c);
        if (!in)
            continue;
        char line[64];
        snprintf(line, sizeof line, "%s ", in->name);
        token(line);
    }
    /* Assembler sugar and syntax (asm.h): PUSH64 form, labels, comments, number bases. */
    static const char *const syntax[] = {"PUSH64 ", "L_0:", ":\n", "; ", "# ", "0x", "0b",
                                         "-", "+", "\n", "add", "drop"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        token(syntax[i]);
}

static void vflisp_dict(void)
{
    char line[96];
    for (unsigned i = 0; vfli_builtin_at(i); i++) {
        snprintf(line, sizeof line, "(%s ", vfli_builtin_at(i)->name);
        token(line);
    }
    for (unsigned i = 0; vfli_field_at(i); i++)
        token(vfli_field_at(i)->name);
    for (unsigned i = 0; vfli_const_at(i); i++)
        token(vfli_const_at(i)->name);
    /* Reader syntax (docs/vflisp.md): lists, comments, numbers, addresses. */
    static const char *const syntax[] = {"(", ")", "; ", "0x", "::", "/", ".", "vfl:"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        token(syntax[i]);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "asm") == 0)
        asm_dict();
    else if (argc == 2 && strcmp(argv[1], "vflisp") == 0)
        vflisp_dict();
    else {
        fprintf(stderr, "usage: vfm-fuzz-dict asm|vflisp\n");
        return 1;
    }
    return ferror(stdout) ? 2 : 0;
}
