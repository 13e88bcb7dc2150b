/*
 * vflispc - the VFLisp compiler: compile, show, disassemble and try filters.
 *
 *   vflispc -e '(= proto 6)' -o tcp.bin     compile an expression
 *   vflispc filter.vfl -o filter.bin        compile a file
 *   vflispc -e '(= proto 6)'                print the generated assembly
 *   vflispc -d tcp.bin                      disassemble bytecode
 *   vflispc -t tcp.bin [capture]            run bytecode (or a .vfl file) over a capture
 *
 * Exit status: 0 success, 1 usage error, 2 bad input (compile error,
 * unreadable file, invalid bytecode, corrupt capture).
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_util.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"
#include "vfm/vflisp.h"

#ifndef VFL_DEFAULT_CAPTURES
#define VFL_DEFAULT_CAPTURES ""
#endif

static void usage(void)
{
    printf("Usage: %s [OPTIONS] -e EXPR | FILE\n"
           "   or: %s -d BYTECODE\n"
           "   or: %s -t FILTER [CAPTURE]\n"
           "Compile a VFLisp filter to VFM bytecode (a file image vfm-test and\n"
           "vfm_load_program accept).\n"
           "\n"
           "  -e, --expr EXPR        compile EXPR instead of a file ('-' as FILE = stdin)\n"
           "  -o, --output FILE      write the bytecode to FILE ('-' = stdout)\n"
           "  -S, --asm              print the generated assembly (the default without -o)\n"
           "  -l, --linktype TYPE    link type of the packets to filter: a name (EN10MB,\n"
           "                         LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP)\n"
           "                         or a number; default EN10MB (Ethernet)\n"
           "  -d, --disassemble BIN  print the assembly of a bytecode file\n"
           "  -t, --test FILTER      run FILTER over CAPTURE (default: the bundled mix.pcap)\n"
           "                         and print the verdict counts; FILTER is bytecode or a\n"
           "                         VFLisp file (*.vfl, compiled for the capture's link type)\n"
           "      --jit              with -t: run the filter as native code (x86-64, arm64);\n"
           "                         where the JIT cannot, say why and use the interpreter\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (compile error, unreadable\n"
           "file, invalid bytecode, corrupt capture).\n",
           tool_name(), tool_name(), tool_name());
}

typedef struct options {
    const char *expr, *output, *disassemble, *test;
    bool asm_listing, have_linktype, jit;
    int linktype;
} options_t;

static int parse_args(int argc, char **argv, options_t *o)
{
    enum { OPT_VERSION = 256, OPT_JIT };
    static const struct option longopts[] = {
        {"expr", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {"asm", no_argument, NULL, 'S'},
        {"linktype", required_argument, NULL, 'l'},
        {"disassemble", required_argument, NULL, 'd'},
        {"test", required_argument, NULL, 't'},
        {"jit", no_argument, NULL, OPT_JIT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":e:o:Sl:d:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': o->expr = optarg; break;
        case 'o': o->output = optarg; break;
        case 'S': o->asm_listing = true; break;
        case 'l':
            if (tool_parse_linktype("--linktype", optarg, &o->linktype) != 0)
                return EXIT_USAGE;
            if (!vfl_linktype_supported(o->linktype))
                return tool_usage_error("--linktype: link type %s is not supported (EN10MB, "
                                        "LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP)",
                                        optarg);
            o->have_linktype = true;
            break;
        case 'd': o->disassemble = optarg; break;
        case 't': o->test = optarg; break;
        case OPT_JIT: o->jit = true; break;
        case 'h': usage(); return -1;
        case OPT_VERSION: tool_version(); return -1;
        default: return tool_bad_option(c, argv);
        }
    }
    int modes = (o->disassemble != NULL) + (o->test != NULL);
    int rest = argc - optind;
    if (modes > 1)
        return tool_usage_error("-d and -t cannot be combined");
    if (modes && (o->expr || o->output || o->asm_listing))
        return tool_usage_error("-d and -t do not take -e, -o or -S");
    if (o->jit && !o->test)
        return tool_usage_error("--jit only applies to -t");
    if (o->disassemble && rest > 0)
        return tool_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->test && rest > 1)
        return tool_usage_error("unexpected argument '%s'", argv[optind + 1]);
    if (!modes) {
        if (o->expr && rest > 0)
            return tool_usage_error("unexpected argument '%s' (-e already gives the filter)",
                                    argv[optind]);
        if (!o->expr && rest == 0)
            return tool_usage_error("no filter given (-e EXPR or FILE)");
        if (rest > 1)
            return tool_usage_error("unexpected argument '%s'", argv[optind + 1]);
    }
    return EXIT_OK;
}

/* Compile from -e, a file, or stdin; prints the diagnostic on failure. */
static int compile(const char *expr, const char *path, int linktype, uint8_t **image,
                   uint32_t *image_len)
{
    uint8_t *buf = NULL;
    size_t len;
    const char *src = expr, *name = "<expr>";
    if (!expr) {
        if (tool_read_file(path, TOOL_FILE_MAX, &buf, &len) != 0)
            return EXIT_INPUT;
        src = (const char *)buf;
        name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    } else {
        len = strlen(expr);
    }
    vfl_options_t vo;
    vfl_options_init(&vo);
    vo.linktype = linktype;
    vo.filename = name;
    vfl_diag_t d;
    int rc = vfl_compile_ex(src, len, &vo, image, image_len, &d);
    free(buf);
    if (rc != VFM_SUCCESS) {
        char msg[1200];
        vfl_format_diag(&d, msg, sizeof msg);
        tool_err("%s", msg);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int print_asm(const uint8_t *code, uint32_t len, const char *what)
{
    char *text = NULL;
    int rc = vfm_disassemble(code, len, VFM_DIS_LABELS, &text);
    if (text)
        fputs(text, stdout);
    free(text);
    if (rc != VFM_SUCCESS) {
        tool_err("%s: %s", what, vfm_error_string(rc));
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int do_compile(const options_t *o, const char *path)
{
    uint8_t *image;
    uint32_t image_len;
    int linktype = o->have_linktype ? o->linktype : VFL_LINKTYPE_ETHERNET;
    int status = compile(o->expr, path, linktype, &image, &image_len);
    if (status != EXIT_OK)
        return status;
    if (o->output && tool_write_file(o->output, image, image_len) != 0)
        status = EXIT_INPUT;
    if (status == EXIT_OK && (o->asm_listing || !o->output))
        status = print_asm(image + VFM_BC_HEADER_SIZE, image_len - VFM_BC_HEADER_SIZE, "output");
    free(image);
    return status;
}

static int do_disassemble(const char *path)
{
    uint8_t *code;
    uint32_t len;
    if (tool_load_filter(path, NULL, &code, &len) != 0)
        return EXIT_INPUT;
    int status = print_asm(code, len, path);
    free(code);
    return status;
}

/* The first default capture that exists. */
static const char *default_capture(char *buf, size_t len)
{
    const char *list = VFL_DEFAULT_CAPTURES;
    while (*list) {
        size_t n = strcspn(list, ":");
        if (n < len) {
            memcpy(buf, list, n);
            buf[n] = '\0';
            if (access(buf, R_OK) == 0)
                return buf;
        }
        list += n + (list[n] == ':');
    }
    return NULL;
}

static int do_test(const options_t *o, const char *capture)
{
    char defbuf[4096];
    if (!capture && !(capture = default_capture(defbuf, sizeof defbuf))) {
        tool_err("no capture given and the bundled mix.pcap was not found");
        return EXIT_INPUT;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline(capture, errbuf);
    if (!p) {
        size_t n = strlen(capture);
        const char *why = strncmp(errbuf, capture, n) == 0 && strncmp(errbuf + n, ": ", 2) == 0
                              ? errbuf + n + 2
                              : errbuf;
        tool_err("%s: %s", capture, why);
        return EXIT_INPUT;
    }
    int linktype = pcap_datalink(p);
    uint8_t *code = NULL;
    uint32_t code_len = 0;
    int status = EXIT_OK;
    if (tool_has_ext(o->test, ".vfl")) {
        uint8_t *image;
        uint32_t image_len;
        int lt = o->have_linktype ? o->linktype : linktype;
        if (!vfl_linktype_supported(lt)) {
            tool_err("%s: link type %d (%s) is not supported by the compiler", capture, lt,
                     pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "unknown");
            pcap_close(p);
            return EXIT_INPUT;
        }
        status = compile(NULL, o->test, lt, &image, &image_len);
        if (status == EXIT_OK) {
            code_len = image_len - VFM_BC_HEADER_SIZE;
            code = malloc(code_len);
            if (code)
                memcpy(code, image + VFM_BC_HEADER_SIZE, code_len);
            free(image);
        }
    } else if (tool_load_filter(o->test, NULL, &code, &code_len) != 0) {
        status = EXIT_INPUT;
    }
    vfm_state_t *vm = status == EXIT_OK && code ? vfm_create() : NULL;
    if (status == EXIT_OK && !vm) {
        tool_err("out of memory");
        status = EXIT_INPUT;
    }
    if (vm) {
        vfm_set_linktype(vm, linktype); /* for HASH5; unsupported types push 0 */
        if (vfm_load_program(vm, code, code_len) != VFM_SUCCESS) {
            tool_err("%s: %s", o->test, vfm_last_error(vm));
            status = EXIT_INPUT;
        } else if (o->jit && vfm_enable_jit(vm) != VFM_SUCCESS) {
            tool_err("JIT not used: %s", vfm_jit_status(vm)); /* same results, just slower */
        }
    }
    if (status == EXIT_OK) {
        uint64_t packets = 0, accepted = 0, dropped = 0, errors = 0;
        struct pcap_pkthdr *h;
        const u_char *data;
        int r;
        while ((r = pcap_next_ex(p, &h, &data)) == 1) {
            uint64_t value = 0;
            int rc = vfm_run(vm, data, h->caplen, &value);
            packets++;
            if (rc != VFM_SUCCESS)
                errors++;
            else if (value)
                accepted++;
            else
                dropped++;
        }
        printf("%" PRIu64 " packets, %" PRIu64 " accepted, %" PRIu64 " dropped, %" PRIu64
               " errors\n",
               packets, accepted, dropped, errors);
        if (r == PCAP_ERROR) {
            tool_err("%s: %s", capture, pcap_geterr(p));
            status = EXIT_INPUT;
        }
    }
    vfm_destroy(vm);
    free(code);
    pcap_close(p);
    return status;
}

int main(int argc, char **argv)
{
    options_t o = {0};
    tool_init("vflispc");
    int status = parse_args(argc, argv, &o);
    if (status != EXIT_OK)
        return status < 0 ? EXIT_OK : status;
    if (o.disassemble)
        return do_disassemble(o.disassemble);
    if (o.test)
        return do_test(&o, optind < argc ? argv[optind] : NULL);
    return do_compile(&o, optind < argc ? argv[optind] : NULL);
}
