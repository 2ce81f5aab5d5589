/* rr_arena.c — the bump allocator behind heap-free decoding (see rr_arena.h). */
#include <stdint.h>
#include "rr_arena.h"

#define ARENA_ALIGN _Alignof(max_align_t)

void rr_arena_init(rr_arena_t *arena, void *mem, size_t cap)
{
    arena->base = mem;
    arena->cap = cap;
    arena->used = 0;
    arena->last = cap; /* no block to rewind */
    arena->overflow = 0;
}

void *rr_arena_alloc(rr_arena_t *arena, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0) rounded = ARENA_ALIGN; /* distinct, non-NULL pointers for empty blocks */
    if (rounded < size || rounded > arena->cap - arena->used) { /* (rounded < size: wrapped) */
        arena->overflow = 1;
        return NULL;
    }
    void *ptr = arena->base + arena->used;
    arena->last = arena->used;
    arena->used += rounded;
    return ptr;
}

void rr_arena_free(rr_arena_t *arena, void *ptr)
{
    if (ptr && arena->last < arena->used && ptr == arena->base + arena->last) {
        arena->used = arena->last;
        arena->last = arena->cap;
    }
}

int rr_arena_owns(const rr_arena_t *arena, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)arena->base;
    return p >= b && p < b + arena->cap;
}

static void *pb_alloc(void *data, size_t size)
{
    return rr_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    rr_arena_free(data, ptr);
}

ProtobufCAllocator rr_arena_pb_allocator(rr_arena_t *arena)
{
    ProtobufCAllocator allocator = {pb_alloc, pb_free, arena};
    return allocator;
}
