/* arena.c - one bump allocator per compilation, freed at once. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct arena_chunk {
    arena_chunk_t *next;
    max_align_t data[]; /* aligned storage follows */
};

enum { CHUNK_MIN = 16 * 1024 };

void vfli_arena_init(arena_t *a)
{
    a->head = NULL;
    a->used = a->cap = 0;
}

void vfli_arena_free(arena_t *a)
{
    arena_chunk_t *ch = a->head;
    while (ch) {
        arena_chunk_t *next = ch->next;
        free(ch);
        ch = next;
    }
    vfli_arena_init(a);
}

void *vfli_arena_alloc(vfl_ctx_t *c, size_t size)
{
    arena_t *a = &c->arena;
    const size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    if (!a->head || a->cap - a->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (a->head && cap < a->cap * 2 && a->cap * 2 < (64u << 20))
            cap = a->cap * 2; /* grow geometrically: few chunks for big programs */
        arena_chunk_t *ch = malloc(sizeof *ch + cap);
        if (!ch)
            vfli_fail(c, VFM_ERROR_NO_MEMORY, "out of memory");
        ch->next = a->head;
        a->head = ch;
        a->used = 0;
        a->cap = cap;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

char *vfli_arena_strndup(vfl_ctx_t *c, const char *s, size_t n)
{
    char *p = vfli_arena_alloc(c, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
