/*
 * vfm-compile - compile a VFM filter (bytecode, VFM assembly or VFLisp) for
 * another engine.  The one target so far is classic BPF (vfm_to_bpf): print
 * it as tcpdump -d/-dd/-ddd would, or write the raw array of struct
 * sock_filter the kernel's SO_ATTACH_FILTER takes.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "vfm/bpf.h"
#include "vfm/vflisp.h"

static void usage(void)
{
    printf("Usage: %s [OPTIONS] FILE\n"
           "   or: %s [OPTIONS] -e EXPR\n"
           "Compile a VFM filter to classic BPF.  FILE is VFM bytecode (a file image or raw\n"
           "code), VFM assembly (*.vfm) or VFLisp (*.vfl, or any name with -x).\n"
           "\n"
           "  -e, --expr EXPR        compile the VFLisp expression EXPR\n"
           "  -x, --vflisp           FILE is VFLisp whatever its name ('-' = stdin)\n"
           "      --target TARGET    what to compile to: cbpf (classic BPF, the default)\n"
           "  -d                     print the program as tcpdump -d does (the default);\n"
           "                         -dd as a C array, -ddd as decimal numbers (tcpdump's\n"
           "                         -dd and -ddd)\n"
           "  -o, --output FILE      write the program as the kernel takes it (an array\n"
           "                         of struct sock_filter, host byte order) to FILE ('-' =\n"
           "                         stdout) instead of printing it\n"
           "  -y, --linktype TYPE    link layer of the packets (VFLisp input): EN10MB (the\n"
           "                         default), LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL,\n"
           "                         LOOP or a number; bytecode does not depend on it\n"
           "      --live             VFLisp for a live Linux capture: VLAN tags come from\n"
           "                         the kernel's ancillary data (such programs run only\n"
           "                         in the kernel, not in libpcap's bpf_filter)\n"
           "  -s, --snaplen N        what an accepting program returns (default %u)\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (unreadable file, VFLisp or\n"
           "assembly error, invalid bytecode, a program classic BPF cannot express).\n",
           tool_name(), tool_name(), VFM_BPF_DEFAULT_SNAPLEN);
}

typedef struct options {
    const char *expr, *output, *input;
    bool vflisp, live;
    int dump;     /* 0 none, 1 -d, 2 -dd, 3 -ddd */
    int linktype; /* -1: not given */
    uint32_t snaplen;
} options_t;

static int parse_args(int argc, char **argv, options_t *o)
{
    enum { OPT_TARGET = 256, OPT_LIVE, OPT_VERSION };
    static const struct option longopts[] = {
        {"expr", required_argument, NULL, 'e'},
        {"vflisp", no_argument, NULL, 'x'},
        {"target", required_argument, NULL, OPT_TARGET},
        {"output", required_argument, NULL, 'o'},
        {"linktype", required_argument, NULL, 'y'},
        {"live", no_argument, NULL, OPT_LIVE},
        {"snaplen", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":e:xdo:y:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': o->expr = optarg; break;
        case 'x': o->vflisp = true; break;
        case 'd': o->dump++; break;
        case 'o': o->output = optarg; break;
        case 'y':
            if (tool_parse_linktype("--linktype", optarg, &o->linktype) != 0)
                return EXIT_USAGE;
            if (!vfl_linktype_supported(o->linktype))
                return tool_usage_error("--linktype: VFLisp does not support link type %s",
                                        optarg);
            break;
        case OPT_LIVE: o->live = true; break;
        case 's':
            if (tool_parse_u32("--snaplen", optarg, UINT32_MAX, &o->snaplen) != 0)
                return EXIT_USAGE;
            if (o->snaplen == 0)
                return tool_usage_error("--snaplen: 0 would reject every packet");
            break;
        case OPT_TARGET:
            if (strcmp(optarg, "cbpf") != 0)
                return tool_usage_error("--target: unknown target '%s' (cbpf)", optarg);
            break;
        case 'h': usage(); return -1;
        case OPT_VERSION: tool_version(); return -1;
        default: return tool_bad_option(c, argv);
        }
    }
    if (o->dump > 3)
        return tool_usage_error("-d: at most three (-ddd)");
    if (o->dump && o->output)
        return tool_usage_error("-d and --output: choose one");
    if (o->expr && optind < argc)
        return tool_usage_error("-e and a file: choose one ('%s')", argv[optind]);
    if (!o->expr && optind >= argc)
        return tool_usage_error("no filter: give a FILE or -e EXPR");
    if (argc - optind > 1)
        return tool_usage_error("unexpected argument '%s'", argv[optind + 1]);
    o->input = o->expr ? NULL : argv[optind];
    if (o->input && tool_has_ext(o->input, ".vfl"))
        o->vflisp = true;
    bool lisp = o->expr || o->vflisp;
    if (!lisp && o->live)
        return tool_usage_error("--live applies to VFLisp input only");
    if (!o->dump && !o->output)
        o->dump = 1;
    return EXIT_OK;
}

/* VFLisp text (from -e or a file) to a bytecode image; prints located errors. */
static int compile_vflisp(const options_t *o, uint8_t **image, uint32_t *image_len)
{
    uint8_t *buf = NULL;
    size_t len;
    const char *src = o->expr, *name = "<expr>";
    if (!src) {
        if (tool_read_file(o->input, TOOL_FILE_MAX, &buf, &len) != 0)
            return EXIT_INPUT;
        src = (const char *)buf;
        name = strcmp(o->input, "-") == 0 ? "<stdin>" : o->input;
    } else {
        len = strlen(src);
    }
    vfl_options_t vo;
    vfl_options_init(&vo);
    if (o->linktype >= 0)
        vo.linktype = o->linktype;
    vo.filename = name;
    vo.live = o->live;
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

/* The verifier wants a function for each helper; the ancillary ones never run here. */
static int stub(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)n, (void)a;
    *r = 0;
    return VFM_ERROR_UNSUPPORTED;
}

/* Bytecode or assembly, verified against the helpers classic BPF has. */
static int load_vfm(const options_t *o, uint8_t **code, uint32_t *code_len)
{
    vfm_helper_t helpers[VFM_HELPERS_MAX];
    memset(helpers, 0, sizeof helpers);
    helpers[VFM_HELPER_VLAN_AVAIL] = (vfm_helper_t){"vlan_avail", 0, 1, stub, NULL};
    helpers[VFM_HELPER_VLAN_TCI] = (vfm_helper_t){"vlan_tci", 0, 1, stub, NULL};
    /* Loops pass here so that the backend names them ("loops cannot be expressed"). */
    vfm_verify_opts_t vo = {.allow_loops = 1, .helpers = helpers, .nhelpers = VFM_HELPERS_MAX};
    return tool_load_filter(o->input, &vo, code, code_len) == 0 ? EXIT_OK : EXIT_INPUT;
}

int main(int argc, char **argv)
{
    tool_init("vfm-compile");
    options_t o = {.linktype = -1};
    int status = parse_args(argc, argv, &o);
    if (status < 0)
        return EXIT_OK; /* --help, --version */
    if (status != EXIT_OK)
        return status;

    uint8_t *prog = NULL;
    uint32_t prog_len = 0;
    bool lisp = o.expr || o.vflisp;
    status = lisp ? compile_vflisp(&o, &prog, &prog_len) : load_vfm(&o, &prog, &prog_len);
    if (status != EXIT_OK)
        return status;

    const char *what = o.expr ? "<expr>" : strcmp(o.input, "-") == 0 ? "<stdin>" : o.input;
    vfm_bpf_opts_t bo = {.snaplen = o.snaplen};
    vfm_bpf_insn_t *bpf = NULL;
    uint32_t n = 0;
    vfm_diag_t d;
    int rc = vfm_to_bpf_ex(prog, prog_len, &bo, &bpf, &n, &d);
    free(prog);
    if (rc != VFM_SUCCESS) {
        tool_err("%s: %s", what, d.msg);
        return EXIT_INPUT;
    }
    if (o.output) {
        if (tool_write_file(o.output, bpf, (size_t)n * sizeof *bpf) != 0)
            status = EXIT_INPUT;
    } else {
        char *text = NULL;
        if (vfm_bpf_dump(bpf, n, (vfm_bpf_format_t)o.dump, &text) != VFM_SUCCESS) {
            tool_err("out of memory");
            status = EXIT_INPUT;
        } else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
            tool_err("<stdout>: write error");
            status = EXIT_INPUT;
        }
        free(text);
    }
    free(bpf);
    return status;
}
