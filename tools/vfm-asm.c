/* vfm-asm - assemble VFM assembly text into a bytecode file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"

static void usage(void)
{
    printf("Usage: %s [OPTIONS] INPUT.vfm|-\n"
           "Assemble VFM assembly into bytecode.\n"
           "\n"
           "  -o, --output FILE  write to FILE ('-' = stdout); default: INPUT with .vfm\n"
           "                     replaced by .bin (stdout when INPUT is '-')\n"
           "      --raw          write raw code, without the 16-byte file header\n"
           "      --allow-loops  accept backward jumps (the program then needs a loop limit)\n"
           "  -v, --verbose      print code size and instruction count on stderr\n"
           "  -h, --help         show this help and exit\n"
           "      --version      show the version and exit\n"
           "\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (assembly or verifier error,\n"
           "unreadable input, unwritable output).\n",
           tool_name());
}

/* INPUT with .vfm replaced by .bin (or .bin appended). */
static char *default_output(const char *in)
{
    size_t n = strlen(in);
    if (tool_has_ext(in, ".vfm"))
        n -= 4;
    char *out = malloc(n + 5);
    if (out) {
        memcpy(out, in, n);
        memcpy(out + n, ".bin", 5);
    }
    return out;
}

static uint32_t count_insns(const uint8_t *code, uint32_t len)
{
    uint32_t n = 0;
    for (uint32_t pc = 0; pc < len; n++) {
        int size = vfm_format_insn(code, len, pc, NULL, 0);
        if (size <= 0)
            break;
        pc += (uint32_t)size;
    }
    return n;
}

int main(int argc, char **argv)
{
    enum { OPT_RAW = 256, OPT_LOOPS, OPT_VERSION };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"raw", no_argument, NULL, OPT_RAW},
        {"allow-loops", no_argument, NULL, OPT_LOOPS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int raw = 0, verbose = 0;
    vfm_asm_opts_t ao = {0};

    tool_init("vfm-asm");
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_RAW: raw = 1; break;
        case OPT_LOOPS: ao.verify.allow_loops = 1; break;
        case 'v': verbose = 1; break;
        case 'h': usage(); return EXIT_OK;
        case OPT_VERSION: tool_version(); return EXIT_OK;
        default: return tool_bad_option(c, argv);
        }
    }
    if (optind >= argc)
        return tool_usage_error("no input file");
    if (argc - optind > 1)
        return tool_usage_error("unexpected argument '%s'", argv[optind + 1]);
    const char *input = argv[optind];
    int is_stdin = strcmp(input, "-") == 0;

    uint8_t *src;
    size_t src_len;
    if (tool_read_file(input, TOOL_FILE_MAX, &src, &src_len) != 0)
        return EXIT_INPUT;
    ao.filename = is_stdin ? "<stdin>" : input;
    uint8_t *code;
    uint32_t code_len;
    vfm_diag_t d;
    int rc = vfm_assemble((const char *)src, src_len, &ao, &code, &code_len, &d);
    free(src);
    if (rc != VFM_SUCCESS) {
        tool_err("%s", d.msg);
        return EXIT_INPUT;
    }

    uint8_t *image = NULL;
    size_t image_len = code_len;
    if (!raw && (rc = vfm_bytecode_write(code, code_len, &image, &image_len)) != VFM_SUCCESS) {
        tool_err("%s: %s", ao.filename, vfm_error_string(rc));
        free(code);
        return EXIT_INPUT;
    }
    char *defout = NULL;
    if (!output)
        output = is_stdin ? "-" : (defout = default_output(input));
    int status = EXIT_OK;
    if (!output) {
        tool_err("out of memory");
        status = EXIT_INPUT;
    } else if (tool_write_file(output, raw ? code : image, raw ? code_len : image_len) != 0) {
        status = EXIT_INPUT;
    } else if (verbose) {
        fprintf(stderr, "%s: %s: %u bytes of code, %u instructions, %zu bytes written%s\n",
                tool_name(), strcmp(output, "-") == 0 ? "<stdout>" : output, code_len,
                count_insns(code, code_len), raw ? (size_t)code_len : image_len,
                raw ? " (raw)" : "");
    }
    free(defout);
    free(image);
    free(code);
    return status;
}
