/*
 * vfm-gen-mix - write a deterministic pcap of a realistic traffic mix.
 *
 * The file is written by hand (pcapw.c), not through libpcap, so the same
 * -n and -s give the same bytes everywhere; the committed pcaps/mix.pcap is
 * checked against a fresh run by ctest.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_util.h"
#include "mix.h"
#include "pcapw.h"
#include "vfm/version.h"

#define TOOL "vfm-gen-mix"
#define MAX_COUNT 100000000ul

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: " TOOL " [-n COUNT] [-s SEED] [-o FILE] [-v]\n"
            "Write a pcap (Ethernet, microsecond timestamps) of a synthetic traffic mix.\n"
            "  -n COUNT   number of packets (default 2000, at most %lu)\n"
            "  -s SEED    PRNG seed, decimal or 0x hex (default 1)\n"
            "  -o FILE    output file, '-' for standard output (the default,\n"
            "             refused when it is a terminal)\n"
            "  -v         print packets per class to standard error\n"
            "  --help     show this help\n"
            "  --version  show the version\n",
            MAX_COUNT);
}

/* Parse an unsigned number (decimal or 0x hex) up to max; 0 on success. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s == '-' || *s == '\0')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    tool_init(TOOL);
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    uint64_t count = 2000, seed = 1;
    const char *out = "-";
    int verbose = 0, c;

    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":n:s:o:v", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_u64(optarg, MAX_COUNT, &count)) {
                fprintf(stderr, TOOL ": -n: '%s' is not a count between 0 and %lu\n", optarg,
                        MAX_COUNT);
                return 1;
            }
            break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &seed)) {
                fprintf(stderr, TOOL ": -s: '%s' is not an unsigned 64-bit number\n", optarg);
                return 1;
            }
            break;
        case 'o':
            out = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf(TOOL " (vfm) " VFM_VERSION_STRING "\n");
            return 0;
        default:
            return tool_bad_option(c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, TOOL ": unexpected argument '%s' (try --help)\n", argv[optind]);
        return 1;
    }

    FILE *fp = stdout;
    const char *name = "<stdout>";
    if (strcmp(out, "-") != 0) {
        fp = fopen(out, "wb");
        name = out;
        if (!fp) {
            fprintf(stderr, TOOL ": %s: cannot open for writing: %s\n", out, strerror(errno));
            return 2;
        }
    } else if (isatty(STDOUT_FILENO)) {
        fprintf(stderr, TOOL ": standard output is a terminal; use -o FILE\n");
        return 1;
    }

    static pg_mix_t mix; /* holds a jumbo-sized fragment buffer: keep it off the stack */
    static uint8_t buf[PG_FRAME_MAX];
    uint64_t per_class[PG_MIX_NCLASSES] = {0};
    pg_mix_init(&mix, seed);
    int rc = 0;
    if (pg_pcap_write_header(fp, PG_SNAPLEN, PG_LINKTYPE_ETHERNET) < 0)
        rc = 2;
    for (uint64_t i = 0; rc == 0 && i < count; i++) {
        pg_rec_t rec;
        if (pg_mix_next(&mix, buf, sizeof buf, &rec) < 0) {
            fprintf(stderr, TOOL ": packet %" PRIu64 ": generator failed (a bug)\n", i + 1);
            rc = 3;
            break;
        }
        per_class[rec.cls]++;
        if (pg_pcap_write_record(fp, rec.ts_usec, buf, rec.caplen, rec.len) < 0)
            rc = 2;
    }
    if (rc == 2)
        fprintf(stderr, TOOL ": %s: write failed: %s\n", name, strerror(errno));
    if (fp != stdout) {
        if (fclose(fp) != 0 && rc == 0) {
            fprintf(stderr, TOOL ": %s: write failed: %s\n", name, strerror(errno));
            rc = 2;
        }
    } else if (fflush(fp) != 0 && rc == 0) {
        fprintf(stderr, TOOL ": %s: write failed: %s\n", name, strerror(errno));
        rc = 2;
    }
    if (rc == 0 && verbose) {
        for (int k = 0; k < PG_MIX_NCLASSES; k++)
            fprintf(stderr, "%-24s %" PRIu64 "\n", pg_mix_class_name(k), per_class[k]);
    }
    return rc;
}
