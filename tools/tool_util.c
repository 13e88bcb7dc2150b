/* tool_util.c - messages, files and filter loading for the command-line tools. */
#include "tool_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfm/asm.h"
#include "vfm/bytecode.h"

static const char *progname = "vfm";

void tool_init(const char *name) { progname = name; }

const char *tool_name(void) { return progname; }

void tool_err(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout); /* keep stdout and stderr in order on a terminal */
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void tool_version(void) { printf("%s (vfm) %s\n", progname, vfm_version()); }

int tool_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
    return EXIT_USAGE;
}

int tool_bad_option(int c, char **argv)
{
    /* Long options are named by their argv word, short ones by optopt. */
    const char *word = argv[optind - 1];
    bool is_long = strncmp(word, "--", 2) == 0;
    int wlen = (int)strcspn(word, "=");
    if (c == ':')
        return is_long || !optopt
                   ? tool_usage_error("option '%.*s' needs an argument", wlen, word)
                   : tool_usage_error("option '-%c' needs an argument", optopt);
    if (is_long || !optopt)
        return tool_usage_error("unknown or ambiguous option '%.*s'", wlen, word);
    return tool_usage_error("unknown option '-%c'", optopt);
}

int tool_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        tool_err("%s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = 0, size = 4096;
    uint8_t *b = malloc(size + 1);
    int rc = -1;
    for (;;) {
        if (b && n == size) {
            /* Grow to at most cap + 1 bytes: one more than allowed tells "too large". */
            size = size > cap / 2 ? cap + 1 : size * 2;
            uint8_t *nb = realloc(b, size + 1);
            if (!nb)
                free(b);
            b = nb;
        }
        if (!b) {
            tool_err("%s: out of memory", path);
            goto out;
        }
        size_t got = fread(b + n, 1, size - n, f);
        n += got;
        if (n > cap) {
            tool_err("%s: file too large (more than %zu bytes)", path, cap);
            goto out;
        }
        if (got == 0) {
            if (ferror(f)) {
                tool_err("%s: %s", path, strerror(errno));
                goto out;
            }
            break;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;
out:
    free(b);
    if (!is_stdin)
        fclose(f);
    return rc;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write straight into a device or pipe (no temporary file: a rename would replace it). */
static int write_special(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    int rc = fd < 0 ? -1 : write_all(fd, data, len);
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc != 0)
        tool_err("%s: %s", path, strerror(err));
    return rc;
}

int tool_write_file(const char *path, const void *data, size_t len)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            tool_err("<stdout>: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode))
        return write_special(path, data, len);
    /* Replace the file a symlink points to, not the link. */
    char *real = exists ? realpath(path, NULL) : NULL;
    const char *target = real ? real : path;
    size_t plen = strlen(target);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    if (!tmp) {
        tool_err("%s: out of memory", path);
        free(real);
        return -1;
    }
    memcpy(tmp, target, plen);
    memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        tool_err("%s: %s", path, strerror(errno));
        free(tmp);
        free(real);
        return -1;
    }
    /* mkstemp makes the file 0600: keep the old file's mode, else 0666 & ~umask. */
    mode_t mode;
    if (exists) {
        mode = sb.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    int rc = fchmod(fd, mode);
    if (rc == 0)
        rc = write_all(fd, data, len);
    int err = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == 0 && rename(tmp, target) != 0) {
        rc = -1;
        err = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        tool_err("%s: %s", path, strerror(err));
    }
    free(tmp);
    free(real);
    return rc;
}

int tool_has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

int tool_parse_u32(const char *opt, const char *arg, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    if (arg[0] == '-' || arg[0] == '+' || arg[0] == '\0')
        goto bad;
    unsigned long long v = strtoull(arg, &end, 0);
    if (errno || *end != '\0')
        goto bad;
    if (v > max) {
        tool_usage_error("%s: %s is too large (at most %u)", opt, arg, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
bad:
    tool_usage_error("%s: '%s' is not a non-negative number", opt, arg);
    return -1;
}

int tool_load_filter(const char *path, const vfm_verify_opts_t *vopts, uint8_t **code,
                     uint32_t *code_len)
{
    uint8_t *buf;
    size_t len;
    if (tool_read_file(path, TOOL_FILE_MAX, &buf, &len) != 0)
        return -1;
    int rc = 0;
    if (tool_has_ext(path, ".vfm")) {
        vfm_asm_opts_t ao = {.filename = path};
        if (vopts)
            ao.verify = *vopts;
        vfm_diag_t d;
        if (vfm_assemble((const char *)buf, len, &ao, code, code_len, &d) != VFM_SUCCESS) {
            tool_err("%s", d.msg);
            rc = -1;
        }
    } else {
        const uint8_t *c;
        uint32_t clen;
        char why[160];
        if (vfm_bytecode_parse(buf, len, &c, &clen, why, sizeof why) != VFM_SUCCESS) {
            tool_err("%s: %s", path, why);
            rc = -1;
        } else if (!(*code = malloc(clen))) {
            tool_err("%s: out of memory", path);
            rc = -1;
        } else {
            memcpy(*code, c, clen);
            *code_len = clen;
        }
    }
    free(buf);
    return rc;
}

const char *tool_error_name(int code)
{
#define E(name) \
    case VFM_ERROR_##name: return #name;
    switch (code) {
    case VFM_SUCCESS: return "SUCCESS";
        E(NO_MEMORY)
        E(INVALID_PROGRAM)
        E(INVALID_OPCODE)
        E(STACK_OVERFLOW)
        E(STACK_UNDERFLOW)
        E(BOUNDS)
        E(DIVISION_BY_ZERO)
        E(LIMIT)
        E(VERIFICATION_FAILED)
        E(IO)
        E(UNSUPPORTED)
        E(HELPER)
        E(INVALID_ARGUMENT)
    }
#undef E
    return "UNKNOWN";
}

/* Link-layer names as tcpdump -y and pcap_datalink_name_to_val() spell them (Linux values). */
static const struct {
    const char *name;
    int value;
} linktypes[] = {
    {"NULL", 0},        {"EN10MB", 1},     {"RAW", 12},        {"LOOP", 108},
    {"LINUX_SLL", 113}, {"IPV4", 228},     {"IPV6", 229},      {"LINUX_SLL2", 276},
};

int tool_parse_linktype(const char *opt, const char *arg, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 0);
    if (arg[0] && arg[0] != '-' && arg[0] != '+' && !*end && !errno && v <= 0xffff) {
        *out = (int)v;
        return 0;
    }
    const char *name = arg;
    if (strncasecmp(name, "DLT_", 4) == 0)
        name += 4;
    else if (strncasecmp(name, "LINKTYPE_", 9) == 0)
        name += 9;
    for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++)
        if (strcasecmp(name, linktypes[i].name) == 0) {
            *out = linktypes[i].value;
            return 0;
        }
    tool_usage_error("%s: unknown link type '%s' (EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, "
                     "IPV6, NULL, LOOP, or a number)",
                     opt, arg);
    return -1;
}

const char *tool_linktype_name(int linktype)
{
    for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++)
        if (linktypes[i].value == linktype)
            return linktypes[i].name;
    return NULL;
}
