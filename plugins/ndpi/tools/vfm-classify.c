/*
 * vfm-classify - classify every flow of a capture with nDPI, then run a
 * filter that may use the classification (VFLisp `app`, VFM_HELPER_APP).
 *
 * Two passes over the file: the first feeds every packet to the classifier
 * and, at the end, gives up on undecided flows as ndpiReader does; the second
 * runs the filter, whose `app` is then each flow's FINAL classification (so
 * the first packets of a TLS flow already match (= app "TLS")).
 * docs/ndpi.md describes the semantics.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "vfm/helpers.h"
#include "vfm/vflisp.h"
#include "vfm/vfm_ndpi.h"

static void usage(void)
{
    printf("Usage: %s [OPTIONS] --flows CAPTURE\n"
           "   or: %s [OPTIONS] -e EXPR CAPTURE\n"
           "   or: %s [OPTIONS] FILTER CAPTURE\n"
           "   or: %s --list-apps\n"
           "Classify every flow of a capture (pcap or pcapng) with nDPI, as ndpiReader\n"
           "does, then print the flows or run a filter over every packet.  In the filter,\n"
           "`app` is the FINAL classification of the packet's flow: (= app \"DNS\").\n"
           "FILTER is VFLisp (*.vfl), VFM assembly (*.vfm) or bytecode; assembly and\n"
           "bytecode read the classification with CALL %d (VFM_HELPER_APP).\n"
           "\n"
           "  -e, --expr EXPR        the VFLisp filter EXPR\n"
           "  -f, --flows            one line per flow, in order of first packet:\n"
           "                         number, IP protocol, first packet's source and\n"
           "                         destination, VLAN id, packets, captured bytes, app\n"
           "  -c, --count            print only the number of accepted packets\n"
           "  -v, --verbose          one line per packet: number, app, verdict\n"
           "      --jit              run the filter as native code where possible\n"
           "      --list-apps        print the id and name of every nDPI protocol\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Output: \"N packets, A accepted, D dropped, E errors\" (or, with --count, A).\n"
           "Exit status: 0 success, 1 usage error, 2 bad input (unreadable or invalid\n"
           "filter, unreadable or corrupt capture, link type nDPI cannot read; results\n"
           "up to a corrupt record are printed first).\n",
           tool_name(), tool_name(), tool_name(), tool_name(), VFM_HELPER_APP);
}

typedef struct options {
    const char *expr, *filter, *capture;
    bool flows, count, verbose, jit, list_apps;
} options_t;

static int parse_args(int argc, char **argv, options_t *o)
{
    enum { OPT_VERSION = 256, OPT_JIT, OPT_LIST };
    static const struct option longopts[] = {
        {"expr", required_argument, NULL, 'e'},
        {"flows", no_argument, NULL, 'f'},
        {"count", no_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"jit", no_argument, NULL, OPT_JIT},
        {"list-apps", no_argument, NULL, OPT_LIST},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":e:fcvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': o->expr = optarg; break;
        case 'f': o->flows = true; break;
        case 'c': o->count = true; break;
        case 'v': o->verbose = true; break;
        case OPT_JIT: o->jit = true; break;
        case OPT_LIST: o->list_apps = true; break;
        case 'h': usage(); return -1;
        case OPT_VERSION: tool_version(); return -1;
        default: return tool_bad_option(c, argv);
        }
    }
    int rest = argc - optind;
    if (o->list_apps) {
        if (rest > 0 || o->expr || o->flows)
            return tool_usage_error("--list-apps takes no other argument");
        return EXIT_OK;
    }
    bool want_filter = !o->flows && !o->expr;
    if (o->flows && o->expr)
        return tool_usage_error("--flows and -e: choose one");
    if (o->flows && (o->count || o->verbose || o->jit))
        return tool_usage_error("--flows prints flows: -c, -v and --jit apply to a filter");
    if (o->count && o->verbose)
        return tool_usage_error("-c and -v: choose one");
    int need = want_filter ? 2 : 1;
    if (rest < need)
        return tool_usage_error(rest == 0 && want_filter ? "no filter and no capture given"
                                                         : "no capture given");
    if (rest > need)
        return tool_usage_error("unexpected argument '%s'", argv[optind + need]);
    o->filter = want_filter ? argv[optind] : NULL;
    o->capture = argv[optind + need - 1];
    return EXIT_OK;
}

static pcap_t *open_capture(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (!p) {
        /* libpcap often starts its message with the file name already. */
        size_t n = strlen(path);
        const char *why = strncmp(errbuf, path, n) == 0 && strncmp(errbuf + n, ": ", 2) == 0
                              ? errbuf + n + 2
                              : errbuf;
        tool_err("%s: %s", path, why);
    }
    return p;
}

static uint64_t ts_us(const struct pcap_pkthdr *h)
{
    return (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
}

/*
 * Pass 1: feed every packet, then give up on the undecided flows.  *good
 * gets the number of packets read before a corrupt record (*corrupt then
 * holds libpcap's message).  Returns EXIT_OK or EXIT_INPUT (out of memory).
 */
static int classify(pcap_t *p, vfm_ndpi_t *c, const char *capture, uint64_t *good,
                    char *corrupt, size_t corrupt_len)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    *good = 0;
    corrupt[0] = '\0';
    while ((rc = pcap_next_ex(p, &h, &data)) >= 0) {
        if (rc == 0)
            continue;
        ++*good;
        if (vfm_ndpi_feed(c, data, h->caplen, ts_us(h), NULL, NULL) == VFM_ERROR_NO_MEMORY) {
            tool_err("%s: packet %" PRIu64 ": out of memory", capture, *good);
            return EXIT_INPUT;
        }
    }
    if (rc == PCAP_ERROR)
        snprintf(corrupt, corrupt_len, "%s", pcap_geterr(p));
    vfm_ndpi_finish(c);
    return EXIT_OK;
}

static const char *ip_proto_name(unsigned proto, char *buf, size_t len)
{
    switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 58: return "ICMPV6";
    case 112: return "VRRP";
    }
    snprintf(buf, len, "%u", proto);
    return buf;
}

static void format_endpoint(int version, const uint8_t *addr, uint16_t port, char *buf,
                            size_t len)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(version == 6 ? AF_INET6 : AF_INET, addr, a, sizeof a);
    snprintf(buf, len, version == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

static int print_flows(const vfm_ndpi_t *c)
{
    printf("# flow\tproto\tsource\tdestination\tvlan\tpackets\tbytes\tapp\n");
    for (size_t i = 0; i < vfm_ndpi_flow_count(c); i++) {
        vfm_ndpi_flow_t f;
        vfm_ndpi_flow_get(c, i, &f);
        char pn[8], src[64], dst[64], app[VFM_NDPI_NAME_MAX];
        format_endpoint(f.ip_version, f.src, f.sport, src, sizeof src);
        format_endpoint(f.ip_version, f.dst, f.dport, dst, sizeof dst);
        printf("%zu\t%s\t%s\t%s\t%u\t%" PRIu64 "\t%" PRIu64 "\t%s\n", i + 1,
               ip_proto_name(f.proto, pn, sizeof pn), src, dst, f.vlan, f.packets, f.bytes,
               vfm_ndpi_app_name(c, f.app, app, sizeof app));
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_INPUT;
}

static int list_apps(void)
{
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    if (!c) {
        tool_err("out of memory");
        return EXIT_INPUT;
    }
    char name[VFM_NDPI_NAME_MAX];
    for (unsigned id = 0; id < vfm_ndpi_protocol_count(c); id++)
        printf("%u\t%s\n", id, vfm_ndpi_app_name(c, VFM_NDPI_APP(0, id), name, sizeof name));
    vfm_ndpi_destroy(c);
    return EXIT_OK;
}

/* The filter as a bytecode image or raw code (malloc'ed); prints the error. */
static int load_filter(const options_t *o, vfm_ndpi_t *c, int linktype, const vfm_helper_t *h,
                       uint8_t **code, uint32_t *len)
{
    if (o->expr || tool_has_ext(o->filter, ".vfl")) {
        uint8_t *buf = NULL;
        size_t n;
        const char *src = o->expr, *name = "<expr>";
        if (src) {
            n = strlen(src);
        } else {
            if (tool_read_file(o->filter, TOOL_FILE_MAX, &buf, &n) != 0)
                return EXIT_INPUT;
            src = (const char *)buf;
            name = strcmp(o->filter, "-") == 0 ? "<stdin>" : o->filter;
        }
        vfl_options_t vo;
        vfl_options_init(&vo);
        vo.linktype = linktype;
        vo.filename = name;
        vo.app_resolve = vfm_ndpi_resolve;
        vo.app_user = c;
        vfl_diag_t d;
        int rc = vfl_compile_ex(src, n, &vo, code, len, &d);
        free(buf);
        if (rc != VFM_SUCCESS) {
            char msg[1200];
            vfl_format_diag(&d, msg, sizeof msg);
            tool_err("%s", msg);
            return EXIT_INPUT;
        }
        return EXIT_OK;
    }
    vfm_helper_t table[VFM_HELPERS_MAX];
    memset(table, 0, sizeof table);
    table[VFM_HELPER_APP] = *h;
    vfm_verify_opts_t vo = {.helpers = table, .nhelpers = VFM_HELPERS_MAX};
    return tool_load_filter(o->filter, &vo, code, len) == 0 ? EXIT_OK : EXIT_INPUT;
}

static vfm_state_t *setup_vm(const options_t *o, vfm_ndpi_t *c, int linktype, const uint8_t *code,
                             uint32_t len)
{
    const char *what = o->expr ? "<expr>" : o->filter;
    vfm_state_t *vm = vfm_create();
    if (!vm) {
        tool_err("out of memory");
        return NULL;
    }
    vfm_helper_t h;
    vfm_ndpi_helper(c, &h);
    vfm_register_helper(vm, VFM_HELPER_APP, &h);
    vfm_set_linktype(vm, linktype); /* HASH5 pushes 0 on a link type it does not know */
    if (vfm_load_program(vm, code, len) != VFM_SUCCESS) {
        tool_err("%s: %s", what, vfm_last_error(vm));
        vfm_destroy(vm);
        return NULL;
    }
    if (o->jit && vfm_enable_jit(vm) != VFM_SUCCESS)
        tool_err("JIT not used: %s", vfm_jit_status(vm));
    return vm;
}

/* Pass 2: run the filter over the first @p good packets. */
static void run_filter(pcap_t *p, vfm_state_t *vm, const vfm_ndpi_t *c, const options_t *o,
                       uint64_t good)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t n = 0, accepted = 0, dropped = 0, errors = 0;
    int rc;
    while (n < good && (rc = pcap_next_ex(p, &h, &data)) >= 0) {
        if (rc == 0)
            continue;
        n++;
        uint64_t v = 0;
        int r = vfm_run(vm, data, h->caplen, &v);
        if (r != VFM_SUCCESS)
            errors++;
        else if (v)
            accepted++;
        else
            dropped++;
        if (o->verbose) {
            uint64_t app;
            char name[VFM_NDPI_NAME_MAX];
            vfm_ndpi_lookup(c, data, h->caplen, &app);
            printf("%" PRIu64 ": app=%s ", n, vfm_ndpi_app_name(c, app, name, sizeof name));
            if (r != VFM_SUCCESS)
                printf("error %s\n", tool_error_name(r));
            else
                printf("%s ret=%" PRIu64 "\n", v ? "accept" : "drop", v);
        }
    }
    if (o->count)
        printf("%" PRIu64 "\n", accepted);
    else
        printf("%" PRIu64 " packets, %" PRIu64 " accepted, %" PRIu64 " dropped, %" PRIu64
               " errors\n",
               n, accepted, dropped, errors);
}

int main(int argc, char **argv)
{
    options_t o = {0};
    tool_init("vfm-classify");
    int status = parse_args(argc, argv, &o);
    if (status != EXIT_OK)
        return status < 0 ? EXIT_OK : status;
    if (o.list_apps)
        return list_apps();
    if (!o.flows && strcmp(o.capture, "-") == 0) {
        tool_err("-: a filter needs two passes over the capture; give a file, not stdin");
        return EXIT_USAGE;
    }

    pcap_t *p = open_capture(o.capture);
    if (!p)
        return EXIT_INPUT;
    int linktype = pcap_datalink(p);
    char err[256];
    vfm_ndpi_t *c = vfm_ndpi_create(linktype, err, sizeof err);
    if (!c) {
        const char *name = pcap_datalink_val_to_name(linktype);
        tool_err("%s: %s%s%s%s", o.capture, err, name ? " (" : "", name ? name : "",
                 name ? ")" : "");
        pcap_close(p);
        return EXIT_INPUT;
    }

    uint8_t *code = NULL;
    uint32_t code_len = 0;
    vfm_state_t *vm = NULL;
    if (!o.flows) {
        vfm_helper_t h;
        vfm_ndpi_helper(c, &h);
        status = load_filter(&o, c, linktype, &h, &code,
                             &code_len);
        if (status == EXIT_OK && !(vm = setup_vm(&o, c, linktype, code, code_len)))
            status = EXIT_INPUT;
    }

    uint64_t good = 0;
    char corrupt[PCAP_ERRBUF_SIZE + 64] = "";
    if (status == EXIT_OK)
        status = classify(p, c, o.capture, &good, corrupt, sizeof corrupt);
    pcap_close(p);
    p = NULL;
    if (status == EXIT_OK && o.flows) {
        status = print_flows(c);
    } else if (status == EXIT_OK) {
        p = open_capture(o.capture);
        if (!p)
            status = EXIT_INPUT;
        else
            run_filter(p, vm, c, &o, good);
    }
    if (status == EXIT_OK && corrupt[0]) {
        tool_err("%s: %s (after %" PRIu64 " packets)", o.capture, corrupt, good);
        status = EXIT_INPUT;
    }
    if (p)
        pcap_close(p);
    vfm_destroy(vm);
    free(code);
    vfm_ndpi_destroy(c);
    return status;
}
