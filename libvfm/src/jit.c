/*
 * jit.c - pick this host's emitter, and turn its bytes into executable
 * memory: mapped read-write, filled, then switched to read-execute, so no
 * page is ever writable and executable at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jit.h"

void vfmi_jbuf_put(vfmi_jbuf_t *b, const void *bytes, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, bytes, n);
    b->len += n;
}

void vfmi_jbuf_u32le(vfmi_jbuf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    vfmi_jbuf_put(b, x, sizeof x);
}

void vfmi_jbuf_u64le(vfmi_jbuf_t *b, uint64_t v)
{
    vfmi_jbuf_u32le(b, (uint32_t)v);
    vfmi_jbuf_u32le(b, (uint32_t)(v >> 32));
}

void vfmi_jbuf_free(vfmi_jbuf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *vfmi_jit_arch(void)
{
#if defined(__x86_64__)
    return "x86-64";
#elif defined(__aarch64__)
    return "arm64";
#else
    return NULL;
#endif
}

static vfmi_jit_emit_fn host_emitter(void)
{
#if defined(__x86_64__)
    return vfmi_jit_emit_x86_64;
#elif defined(__aarch64__)
    return vfmi_jit_emit_arm64;
#else
    return NULL;
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int vfmi_jit_compile(const uint8_t *code, const vfmi_proof_t *proof,
                     const vfm_verify_opts_t *opts, vfmi_jit_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    vfmi_jit_emit_fn emit = host_emitter();
    if (!emit) {
        snprintf(why, whylen, "no JIT for this architecture");
        return VFM_ERROR_UNSUPPORTED;
    }
    uint64_t t0 = now_ns();
    vfmi_jbuf_t b = {0};
    int rc = emit(code, proof, opts, &b, why, whylen);
    if (rc == VFM_SUCCESS && b.oom)
        rc = VFM_ERROR_NO_MEMORY;
    if (rc != VFM_SUCCESS) {
        if (rc == VFM_ERROR_NO_MEMORY)
            snprintf(why, whylen, "out of memory compiling to native code");
        vfmi_jbuf_free(&b);
        return rc;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t map_len = (b.len + (size_t)page - 1) & ~((size_t)page - 1);
    void *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        snprintf(why, whylen, "cannot map memory for native code");
        vfmi_jbuf_free(&b);
        return VFM_ERROR_NO_MEMORY;
    }
    memcpy(map, b.p, b.len);
    size_t code_len = b.len;
    vfmi_jbuf_free(&b);
    if (mprotect(map, map_len, PROT_READ | PROT_EXEC) != 0) {
        /* e.g. SELinux execmem or PaX MPROTECT: the interpreter takes over. */
        munmap(map, map_len);
        snprintf(why, whylen, "the system refused executable memory (mprotect)");
        return VFM_ERROR_UNSUPPORTED;
    }
    __builtin___clear_cache((char *)map, (char *)map + code_len);
    out->map = map;
    out->map_len = map_len;
    out->code_len = code_len;
    out->fn = (vfmi_jit_fn)map;
    out->compile_ns = now_ns() - t0;
    return VFM_SUCCESS;
}

void vfmi_jit_free(vfmi_jit_t *jit)
{
    if (jit->map)
        munmap(jit->map, jit->map_len);
    memset(jit, 0, sizeof *jit);
}
