/* vfm-dis - print VFM bytecode (file image or raw code) as assembly. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"

static void usage(void)
{
    printf("Usage: %s [OPTIONS] INPUT.bin|- [OUTPUT]\n"
           "Disassemble VFM bytecode (a file image or raw code) to OUTPUT (default stdout).\n"
           "\n"
           "  -a, --addresses  prefix each instruction with its byte offset\n"
           "  -x, --hex        show each instruction's bytes\n"
           "  -l, --labels     jump targets as labels (L_12:), so the text re-assembles\n"
           "  -v, --verbose    print code size, instruction count and verdict on stderr\n"
           "  -h, --help       show this help and exit\n"
           "      --version    show the version and exit\n"
           "\n"
           "A program that decodes but does not verify is printed, with a note on stderr.\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (unreadable, bad header,\n"
           "undecodable instruction: what decoded is printed first).\n",
           tool_name());
}

/* First undecodable pc, and a message for it. */
static uint32_t find_bad(const uint8_t *code, uint32_t len, uint32_t *ninsns, char *why,
                         size_t n)
{
    uint32_t pc = 0;
    *ninsns = 0;
    while (pc < len) {
        int size = vfm_format_insn(code, len, pc, NULL, 0);
        if (size == VFM_ERROR_INVALID_OPCODE) {
            snprintf(why, n, "pc %u: unknown opcode 0x%02x", pc, code[pc]);
            return pc;
        }
        if (size <= 0) {
            const vfm_opinfo_t *oi = vfm_opinfo(code[pc]);
            snprintf(why, n, "pc %u: %s needs %u bytes, only %u left", pc, oi ? oi->name : "?",
                     oi ? oi->size : 0u, len - pc);
            return pc;
        }
        pc += (uint32_t)size;
        ++*ninsns;
    }
    return pc;
}

int main(int argc, char **argv)
{
    enum { OPT_VERSION = 256 };
    static const struct option longopts[] = {
        {"addresses", no_argument, NULL, 'a'},
        {"hex", no_argument, NULL, 'x'},
        {"labels", no_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    unsigned flags = 0;
    int verbose = 0;

    tool_init("vfm-dis");
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":axlvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': flags |= VFM_DIS_ADDR; break;
        case 'x': flags |= VFM_DIS_HEX; break;
        case 'l': flags |= VFM_DIS_LABELS; break;
        case 'v': verbose = 1; break;
        case 'h': usage(); return EXIT_OK;
        case OPT_VERSION: tool_version(); return EXIT_OK;
        default: return tool_bad_option(c, argv);
        }
    }
    if (optind >= argc)
        return tool_usage_error("no input file");
    if (argc - optind > 2)
        return tool_usage_error("unexpected argument '%s'", argv[optind + 2]);
    const char *input = argv[optind];
    const char *output = argc - optind == 2 ? argv[optind + 1] : "-";
    const char *iname = strcmp(input, "-") == 0 ? "<stdin>" : input;

    uint8_t *buf;
    size_t len;
    if (tool_read_file(input, TOOL_FILE_MAX, &buf, &len) != 0)
        return EXIT_INPUT;
    const uint8_t *code;
    uint32_t code_len;
    char why[160];
    if (vfm_bytecode_parse(buf, len, &code, &code_len, why, sizeof why) != VFM_SUCCESS) {
        tool_err("%s: %s", iname, why);
        free(buf);
        return EXIT_INPUT;
    }

    char *text = NULL;
    int rc = vfm_disassemble(code, code_len, flags, &text);
    int status = EXIT_OK;
    if (!text) {
        tool_err("%s: %s", iname, vfm_error_string(rc));
        free(buf);
        return EXIT_INPUT;
    }
    /* Print what decoded even when something after it did not. */
    if (tool_write_file(output, text, strlen(text)) != 0)
        status = EXIT_INPUT;
    uint32_t ninsns;
    uint32_t bad = find_bad(code, code_len, &ninsns, why, sizeof why);
    if (rc != VFM_SUCCESS) {
        tool_err("%s: %s", iname, bad < code_len ? why : vfm_error_string(rc));
        status = EXIT_INPUT;
    } else {
        vfm_diag_t d;
        vfm_verify_opts_t loops = {.allow_loops = 1};
        if (vfm_verify_ex(code, code_len, NULL, &d) != VFM_SUCCESS) {
            if (vfm_verify_ex(code, code_len, &loops, NULL) == VFM_SUCCESS)
                tool_err("note: %s: has backward jumps: loads only with a loop limit "
                         "(vfm-test --allow-loops N)", iname);
            else
                tool_err("note: %s: does not verify: %s", iname, d.msg);
        } else if (verbose) {
            tool_err("%s: verifies", iname);
        }
    }
    if (verbose)
        tool_err("%s: %u bytes of code, %u instructions", iname, code_len, ninsns);
    free(text);
    free(buf);
    return status;
}
