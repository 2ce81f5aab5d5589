/* rr_arena.h — private to proto/: a bump allocator over caller memory (usually a decoder's stack
 * frame), so protobuf-c and cJSON can unpack a message without touching the heap. */
#ifndef RR_ARENA_H
#define RR_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

/* Stack bytes a decoder gives its arena. A flat event takes ~1 KiB; larger inputs with many
 * fields or long unknown fields can exceed it and are rejected (RR_ERR_TOO_LONG). */
#define RR_ARENA_STACK 16384

typedef struct rr_arena_s {
    unsigned char *base;
    size_t cap;
    size_t used;
    size_t last;  /* offset of the newest block, so freeing it can rewind */
    int overflow; /* an allocation did not fit */
} rr_arena_t;

/* mem must be aligned for any object (declare it _Alignas(max_align_t)). */
void rr_arena_init(rr_arena_t *arena, void *mem, size_t cap);
/* Aligned block or NULL (and arena->overflow set) when it does not fit. */
void *rr_arena_alloc(rr_arena_t *arena, size_t size);
/* Only the newest block is really released (protobuf-c frees a duplicated string field just
 * before allocating its replacement); other frees are no-ops until the arena goes away. */
void rr_arena_free(rr_arena_t *arena, void *ptr);
int rr_arena_owns(const rr_arena_t *arena, const void *ptr);

/* A protobuf-c allocator view of the arena, valid while the arena is. */
ProtobufCAllocator rr_arena_pb_allocator(rr_arena_t *arena);

#endif
