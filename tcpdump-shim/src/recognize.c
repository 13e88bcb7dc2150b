/*
 * recognize.c - is a filter text VFLisp, a VFM program file, or libpcap?
 *
 * VFLisp and libpcap overlap: "(not tcp)" is valid in both, with different
 * meanings.  The rule (docs/tcpdump-shim.md) keeps every expression libpcap
 * accepts meaning what it means in libpcap, unless the user says otherwise:
 *   1. VFM_SHIM_MODE=pcap   everything goes to libpcap (the shim is inert);
 *   2. "vfl:" prefix        always VFLisp (the prefix is not libpcap syntax);
 *      "vfm:@FILE"          a compiled VFM program;
 *   3. VFM_SHIM_MODE=vflisp the whole text is VFLisp;
 *   4. auto (the default)   libpcap first; if it rejects the text and the
 *                           text starts with '(', VFLisp.
 * When both reject a text that is made of balanced S-expressions, the
 * VFLisp message comes first (the text is far more likely VFLisp) followed
 * by libpcap's; otherwise libpcap's message is left exactly as it was.  Valid
 * VFLisp that cannot run on this handle (no classic BPF form, link type)
 * gets that message alone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_internal.h"
#include "vfm/vfm_pcap.h"

#define VFL_PREFIX "vfl:"
#define VFM_FILE_PREFIX "vfm:@"
#define VFM_FILE_MAX (1u << 20) /* a VFM program has at most 64 KiB of code */

static const char *skip_blanks(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

int vfmp_parse_mode(const char *value)
{
    if (!value || !*value || strcmp(value, "auto") == 0)
        return VFMP_MODE_AUTO;
    if (strcmp(value, "pcap") == 0)
        return VFMP_MODE_PCAP;
    if (strcmp(value, "vflisp") == 0)
        return VFMP_MODE_VFLISP;
    return -1;
}

int vfmp_is_sexpr(const char *t)
{
    int depth = 0, forms = 0;
    for (; *t; t++) {
        if (*t == ';') { /* comment to the end of the line */
            while (t[1] && t[1] != '\n')
                t++;
        } else if (*t == '(') {
            depth++;
        } else if (*t == ')') {
            if (depth == 0)
                return 0;
            if (--depth == 0)
                forms++;
        } else if (depth == 0 && !isspace((unsigned char)*t)) {
            return 0; /* an atom outside every list: not how VFLisp filters look */
        }
    }
    return depth == 0 && forms > 0;
}

/* VFLisp with the prefix blanked out, so columns in messages match what was typed. */
static int compile_vflisp(pcap_t *p, struct bpf_program *fp, const char *text, size_t prefix_at,
                          size_t prefix_len)
{
    char *copy = strdup(text);
    if (!copy) {
        vfmp_seterr(p, "vflisp: out of memory");
        return PCAP_ERROR;
    }
    memset(copy + prefix_at, ' ', prefix_len);
    int rc = vfm_pcap_compile(p, fp, copy, NULL);
    free(copy);
    return rc;
}

/* "vfm:@FILE": a compiled VFM program (bytecode file image or raw code). */
static int compile_file(pcap_t *p, struct bpf_program *fp, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        vfmp_seterr(p, "vfm:@%s: %s", path, strerror(errno));
        return PCAP_ERROR;
    }
    uint8_t *buf = malloc(VFM_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, VFM_FILE_MAX + 1, f) : 0;
    int bad = !buf ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    int rc = PCAP_ERROR;
    if (bad)
        vfmp_seterr(p, "vfm:@%s: %s", path, strerror(bad));
    else if (n > VFM_FILE_MAX)
        vfmp_seterr(p, "vfm:@%s: larger than %u bytes: not a VFM program", path, VFM_FILE_MAX);
    else if (n == 0)
        vfmp_seterr(p, "vfm:@%s: empty file", path);
    else
        rc = vfm_pcap_compile_bytecode(p, fp, buf, (uint32_t)n);
    free(buf);
    return rc;
}

/* Auto mode: libpcap first, VFLisp for what it rejects. */
static int compile_auto(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                        bpf_u_int32 netmask, vfmp_pcap_compile_fn libpcap)
{
    if (libpcap(p, fp, text, optimize, netmask) == 0)
        return 0;
    if (*skip_blanks(text) != '(')
        return PCAP_ERROR; /* libpcap's message stays as it is */
    char pcap_msg[PCAP_ERRBUF_SIZE];
    snprintf(pcap_msg, sizeof pcap_msg, "%s", pcap_geterr(p));
    int source_error;
    if (vfmp_compile_vflisp(p, fp, text, NULL, &source_error) == 0)
        return 0;
    if (!source_error)
        return PCAP_ERROR; /* valid VFLisp that cannot run here: that message alone */
    if (vfmp_is_sexpr(text)) {
        char vfl_msg[PCAP_ERRBUF_SIZE];
        snprintf(vfl_msg, sizeof vfl_msg, "%s", pcap_geterr(p));
        vfmp_seterr(p, "%s (not libpcap either: %s)", vfl_msg, pcap_msg);
    } else {
        vfmp_seterr(p, "%s", pcap_msg);
    }
    return PCAP_ERROR;
}

int vfmp_compile_text(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                      bpf_u_int32 netmask, vfmp_pcap_compile_fn libpcap)
{
    if (!p)
        return PCAP_ERROR;
    const char *env = getenv("VFM_SHIM_MODE");
    int mode = vfmp_parse_mode(env);
    if (mode < 0) {
        vfmp_seterr(p, "VFM_SHIM_MODE: '%.64s' is not auto, pcap or vflisp", env);
        return PCAP_ERROR;
    }
    if (!text || mode == VFMP_MODE_PCAP)
        return libpcap(p, fp, text, optimize, netmask);
    const char *s = skip_blanks(text);
    if (strncmp(s, VFL_PREFIX, strlen(VFL_PREFIX)) == 0)
        return compile_vflisp(p, fp, text, (size_t)(s - text), strlen(VFL_PREFIX));
    if (strncmp(s, VFM_FILE_PREFIX, strlen(VFM_FILE_PREFIX)) == 0) {
        char *path = strdup(s + strlen(VFM_FILE_PREFIX));
        if (!path) {
            vfmp_seterr(p, "vfm: out of memory");
            return PCAP_ERROR;
        }
        for (size_t n = strlen(path); n > 0 && isspace((unsigned char)path[n - 1]); n--)
            path[n - 1] = '\0'; /* tcpdump may leave blanks after the last word */
        int rc = compile_file(p, fp, path);
        free(path);
        return rc;
    }
    if (mode == VFMP_MODE_VFLISP)
        return vfm_pcap_compile(p, fp, text, NULL);
    return compile_auto(p, fp, text, optimize, netmask, libpcap);
}
