/*
 * replay_main.c - run a fuzz target over saved inputs without libFuzzer, so
 * every normal (gcc, release or ASan+UBSan) build replays the seed corpus
 * and the regressions.
 *
 *   TARGET-replay [-v] PATH...
 *
 * Each PATH is an input file or a directory whose regular files (not
 * recursing, dot files skipped, in name order) are inputs.  Each input is
 * passed to LLVMFuzzerTestOneInput in a buffer of exactly its size, as
 * libFuzzer does, so a read one byte past the end is an ASan error.  When
 * an input crashes (a property check aborts, a signal, a sanitizer report)
 * its path is printed last: "replay: crashed on PATH".  Exit 0 when every input ran, 1 on a
 * usage error, 2 when a path cannot be read or no input was found at all
 * (a replay of nothing must not pass).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Present when linked with a sanitizer runtime: called before it exits on an error. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *prog = "replay";
static int verbose;
static const char *current; /* for the abort message */
static unsigned long ninputs;
static unsigned long long nbytes;

/* Name the input that crashed (async-signal-safe: write only). */
static void say_current(void)
{
    if (!current)
        return;
    static const char what[] = "replay: crashed on ";
    ssize_t ignored = write(2, what, sizeof what - 1);
    ignored = write(2, current, strlen(current));
    ignored = write(2, "\n", 1);
    (void)ignored;
}

static void on_signal(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (size_t n; buf && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, buf ? "read error" : "out of memory");
        free(buf);
        return -1;
    }
    /* Exactly len bytes, so ASan catches a read one past the end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        fprintf(stderr, "%s: %s: out of memory\n", prog, path);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    current = path;
    if (verbose)
        fprintf(stderr, "replaying %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(len ? exact : NULL, len);
    current = NULL;
    free(exact);
    ninputs++;
    nbytes += len;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!more)
                break;
            names = more;
        }
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(l)))
            break;
        snprintf(names[n++], l, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    prog = slash ? slash + 1 : argv[0];
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: %s [-v] PATH...\nRun the fuzz target on every input file (a directory:"
               " its files).\n", prog);
        return 0;
    }
    if (first >= argc) {
        fprintf(stderr, "%s: no input paths\nTry '%s --help'.\n", prog, prog);
        return 1;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(say_current);
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_signal);
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, argv[i], strerror(errno));
            return 2;
        }
        if ((S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i])) != 0)
            return 2;
    }
    if (ninputs == 0) {
        fprintf(stderr, "%s: no inputs found in the given paths\n", prog);
        return 2;
    }
    printf("%s: %lu inputs (%llu bytes) replayed, no property violated\n", prog, ninputs, nbytes);
    return 0;
}
