/*
 * vfm-case - run data-driven VM test cases (tests/cases/<area>/<name>.case,
 * format in case.h) on every backend and compare with the expected results.
 *
 *   vfm-case [--backend NAME|all] [--verbose] FILE...
 *
 * Prints "PASS file [backend]" or "FAIL file [backend]: why" per file and
 * backend, then "N passed, N failed".  A case file that does not parse is a
 * failure, never a skip.  Exit 0 if everything passed, 1 on a usage error,
 * 2 if anything failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "case.h"
#include "errnames.h"
#include "vfm/vfm.h"

#ifdef VFMT_VARIANT
/* Built against another variant of the library: say so in every line. */
#define PROG "vfm-case-" VFMT_VARIANT
#define VARIANT "/" VFMT_VARIANT
#else
#define PROG "vfm-case"
#define VARIANT ""
#endif

typedef struct tally {
    unsigned pass, fail, skip;
} tally_t;

static void usage(FILE *f)
{
    size_t n;
    const vfmt_backend_t *b = vfmt_backends(&n);
    fprintf(f,
            "usage: " PROG " [--backend NAME|all] [--verbose] FILE...\n"
            "Run VFM test cases (.case files) on each backend and compare results.\n"
            "  -b, --backend NAME  run only this backend (default: all)\n"
            "  -v, --verbose       show each packet's result and the trace steps\n"
            "  -h, --help          this text\n"
            "      --version       print the version\n"
            "Backends:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-8s %s\n", b[i].name, b[i].summary);
    fprintf(f, "Exit status: 0 all passed, 1 usage error, 2 some case failed.\n");
}

/* "42", "0xffffffffffffffff (18446744073709551615)" or an error name. */
static void describe(char *buf, size_t n, int code, uint64_t value)
{
    if (code == VFM_SUCCESS) {
        if (value < 10)
            snprintf(buf, n, "%" PRIu64, value);
        else
            snprintf(buf, n, "%" PRIu64 " (0x%" PRIx64 ")", value, value);
    } else if (code == VFMT_BACKEND_BROKEN) {
        snprintf(buf, n, "a broken backend");
    } else {
        const char *name = vfmt_errname(code);
        if (name)
            snprintf(buf, n, "%s", name);
        else
            snprintf(buf, n, "undocumented code %d", code);
    }
}

static const char *errname(int code)
{
    const char *n = vfmt_errname(code);
    return n ? n : "an undocumented code";
}

/* Apply the case's options to a fresh VM; on failure say which in why. */
static int apply_options(const vfmt_case_t *c, vfm_state_t *vm, char *why, size_t n)
{
    int rc;
    if (c->has_loops && (rc = vfm_set_loop_limit(vm, c->loops)) != VFM_SUCCESS) {
        snprintf(why, n, "vfm_set_loop_limit(%u) failed: %s", c->loops, errname(rc));
        return rc;
    }
    if (c->has_linktype && (rc = vfm_set_linktype(vm, c->linktype)) != VFM_SUCCESS) {
        snprintf(why, n, "vfm_set_linktype(%d) failed: %s", c->linktype, errname(rc));
        return rc;
    }
    if (c->has_flow && (rc = vfm_flow_table_init(vm, c->flow)) != VFM_SUCCESS) {
        snprintf(why, n, "vfm_flow_table_init(%u) failed: %s", c->flow, errname(rc));
        return rc;
    }
    return VFM_SUCCESS;
}

/* The load must fail with the expected code and message. */
static bool check_load_error(const vfmt_case_t *c, vfm_state_t *vm, int rc, char *why, size_t n)
{
    const vfm_diag_t *d = vfm_last_diag(vm);
    const char *msg = d ? d->msg : "";
    if (rc == VFM_SUCCESS) {
        snprintf(why, n, "expected %s \"%s\", got a successful load", errname(c->error_code),
                 c->error_msg);
        return false;
    }
    if (rc != c->error_code) {
        snprintf(why, n, "expected %s \"%s\", got %s \"%s\"", errname(c->error_code),
                 c->error_msg, errname(rc), msg);
        return false;
    }
    if (!d || d->code != rc) {
        snprintf(why, n, "load returned %s but vfm_last_diag() says %s", errname(rc),
                 d ? errname(d->code) : "nothing (NULL)");
        return false;
    }
    if (!strstr(msg, c->error_msg)) {
        snprintf(why, n, "expected message containing \"%s\", got \"%s\"", c->error_msg, msg);
        return false;
    }
    const char *last = vfm_last_error(vm);
    if (!last || !last[0]) {
        snprintf(why, n, "load failed but vfm_last_error() is empty");
        return false;
    }
    return true;
}

/* Run the packets; the first mismatch goes to why. */
static bool run_packets(const vfmt_backend_t *b, vfmt_run_t *r, char *why, size_t n)
{
    const vfmt_case_t *c = r->c;
    bool ok = true;
    for (size_t i = 0; i < c->npackets; i++) {
        const vfmt_packet_t *p = &c->packets[i];
        /* An exact-size copy, so an over-read is caught by the sanitizers. */
        uint8_t *pkt = malloc(p->len); /* glibc: a unique 0-byte block for len 0 */
        if (!pkt && p->len) {
            snprintf(why, n, "out of memory");
            return false;
        }
        if (p->len)
            memcpy(pkt, p->data, p->len);
        uint64_t value = 0xdeadbeefdeadbeefull;
        if (r->verbose)
            printf("  [%s] packet %zu (%zu bytes, line %u)\n", b->name, i + 1, p->len, p->line);
        int rc = b->run(r, pkt, p->len, &value);
        free(pkt);
        const vfmt_expect_t *e = &c->results[i];
        char want[96], got[96];
        describe(want, sizeof want, e->code, e->value);
        describe(got, sizeof got, rc, value);
        if (r->verbose)
            printf("  [%s] packet %zu: %s\n", b->name, i + 1, got);
        if (rc == VFMT_BACKEND_BROKEN) {
            snprintf(why, n, "packet %zu: %s", i + 1, r->why);
            return false;
        }
        if (rc != e->code || (rc == VFM_SUCCESS && value != e->value)) {
            if (ok)
                snprintf(why, n, "packet %zu (line %u): expected %s, got %s", i + 1, e->line, want,
                         got);
            ok = false; /* report the first, run the rest (sanitizers see them all) */
        }
    }
    return ok;
}

/* One case on one backend: 1 pass, 0 fail, -1 skip. */
static int run_case(const vfmt_case_t *c, const vfmt_backend_t *b, bool verbose, char *why,
                    size_t n)
{
    vfm_state_t *vm = vfm_create();
    if (!vm) {
        snprintf(why, n, "vfm_create failed");
        return 0;
    }
    vfmt_run_t r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.vm = vm;
    r.verbose = verbose;
    int result = 0;
    if (apply_options(c, vm, why, n) != VFM_SUCCESS)
        goto out;
    int rc = vfm_load_program(vm, c->code, c->code_len);
    if (c->expect_error) {
        result = check_load_error(c, vm, rc, why, n);
        goto out;
    }
    if (rc != VFM_SUCCESS) {
        snprintf(why, n, "load failed: %s: %s", errname(rc), vfm_last_error(vm));
        goto out;
    }
    if (b->setup && (rc = b->setup(&r)) != VFM_SUCCESS) {
        if (rc == VFM_ERROR_UNSUPPORTED) {
            snprintf(why, n, "%s", r.why[0] ? r.why : "not supported by this backend");
            result = -1;
        } else {
            snprintf(why, n, "backend setup failed: %s", r.why[0] ? r.why : errname(rc));
        }
        goto out;
    }
    result = run_packets(b, &r, why, n);
out:
    if (b->teardown)
        b->teardown(&r);
    vfm_destroy(vm);
    return result;
}

static void run_file(const char *path, const vfmt_backend_t *bs, size_t nb, const char *only,
                     bool verbose, tally_t *t)
{
    vfmt_case_t c;
    char why[1024];
    if (vfmt_case_load(path, &c, why, sizeof why)) {
        printf("FAIL %s\n", why); /* "file:line: reason": the case file itself is wrong */
        t->fail++;
        return;
    }
    if (verbose)
        printf("%s: %s\n", path, c.desc);
    for (size_t i = 0; i < nb; i++) {
        if (only && strcmp(only, bs[i].name) != 0)
            continue;
        why[0] = '\0';
        int res = run_case(&c, &bs[i], verbose, why, sizeof why);
        if (res > 0) {
            printf("PASS %s [%s" VARIANT "]\n", path, bs[i].name);
            t->pass++;
        } else if (res < 0) {
            printf("SKIP %s [%s" VARIANT "]: %s\n", path, bs[i].name, why);
            t->skip++;
        } else {
            printf("FAIL %s [%s" VARIANT "]: %s\n", path, bs[i].name, why);
            t->fail++;
        }
    }
    vfmt_case_free(&c);
}

int main(int argc, char **argv)
{
    size_t nb;
    const vfmt_backend_t *bs = vfmt_backends(&nb);
    const char *only = NULL;
    bool verbose = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf(PROG " (vfm) %s\n", vfm_version());
            return 0;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose = true;
            continue;
        }
        if (strcmp(a, "-b") == 0 || strcmp(a, "--backend") == 0 ||
            strncmp(a, "--backend=", 10) == 0) {
            const char *v = a[1] == '-' && a[9] == '=' ? a + 10 : (++i < argc ? argv[i] : NULL);
            if (!v) {
                fprintf(stderr, PROG ": %s: missing backend name\n", a);
                return 1;
            }
            only = strcmp(v, "all") == 0 ? NULL : v;
            bool known = !only;
            for (size_t k = 0; k < nb && !known; k++)
                known = strcmp(bs[k].name, v) == 0;
            if (!known) {
                fprintf(stderr, PROG ": --backend: unknown backend '%s' (try --help)\n", v);
                return 1;
            }
            continue;
        }
        fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", a);
        return 1;
    }
    if (i >= argc) {
        fprintf(stderr, PROG ": no case files given (try --help)\n");
        return 1;
    }
    tally_t t = {0, 0, 0};
    for (; i < argc; i++)
        run_file(argv[i], bs, nb, only, verbose, &t);
    if (t.skip)
        printf("%u passed, %u failed, %u skipped\n", t.pass, t.fail, t.skip);
    else
        printf("%u passed, %u failed\n", t.pass, t.fail);
    return t.fail ? 2 : 0;
}
