/*
 * internal.h - the VFLisp compiler's shared types.
 *
 * Pipeline (one file per stage):
 *   reader.c   text -> AST (S-expressions with source spans)
 *   check.c    AST -> typed IR (names, arity, types; constants folded)
 *   lower.c    IR -> VFM code (fields in fields.c, link layouts in link.c,
 *              the byte emitter in emit.c, path facts in facts.c)
 *   vflisp.c   the public API: run the stages, verify, write the file image
 * builtins.c holds the one table of operators and forms; fields.c the table
 * of packet fields; both are read by the checker and the lowering.
 * Everything is allocated from one arena per compilation (arena.c).
 */
#ifndef VFL_INTERNAL_H
#define VFL_INTERNAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfm/vflisp.h"

/* ---- arena ------------------------------------------------------------------ */

typedef struct arena_chunk arena_chunk_t;
typedef struct arena {
    arena_chunk_t *head;
    size_t used, cap; /* in the head chunk */
} arena_t;

struct vfl_ctx;
void vfli_arena_init(arena_t *a);
void vfli_arena_free(arena_t *a);
/** Zeroed memory; on failure the compilation stops with VFM_ERROR_NO_MEMORY. */
void *vfli_arena_alloc(struct vfl_ctx *c, size_t size);
char *vfli_arena_strndup(struct vfl_ctx *c, const char *s, size_t n);

/* ---- compilation context and errors ------------------------------------------ */

typedef struct span {
    uint32_t off, len; /* bytes into the source */
    uint32_t line, col;
} span_t;

typedef struct vfl_ctx {
    arena_t arena;
    const char *src;
    size_t src_len;
    const char *filename;
    int linktype;
    bool kernel_vlan; /* vfl_options_t.live: VLAN tags come as ancillary data */
    int (*app_resolve)(void *user, const char *name, uint64_t *app); /* NULL: no `app` */
    void *app_user;
    vfl_diag_t *diag; /* never NULL inside the compiler */
    jmp_buf fail;     /* error exit: everything lives in the arena */
} vfl_ctx_t;

/** Report an error at @p sp (NULL = no location) and leave the compilation. */
_Noreturn void vfli_error(vfl_ctx_t *c, const span_t *sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Leave the compilation with @p code and an unlocated message. */
_Noreturn void vfli_fail(vfl_ctx_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- AST (reader.c) --------------------------------------------------------- */

typedef enum ast_kind {
    AST_LIST,
    AST_NUM,  /* integer literal */
    AST_SYM,  /* name or operator */
    AST_IP4,  /* dotted quad: num holds the address */
    AST_NET4, /* a.b.c.d/n: num = address, prefix = n */
    AST_IP6,  /* IPv6 address: ip6 */
    AST_NET6, /* IPv6 prefix: ip6, prefix */
    AST_STR,  /* "text": sym holds it (only application names, compared with app) */
} ast_kind_t;

typedef struct ast ast_t;
struct ast {
    ast_kind_t kind;
    span_t span; /* the whole node; for lists from '(' to ')' */
    uint32_t n;  /* list: number of elements */
    ast_t **kids;
    uint64_t num;
    const char *sym; /* AST_SYM: NUL-terminated name */
    uint8_t prefix;
    uint8_t ip6[16];
};

/** Read every top-level form of the source; *n gets their number. */
ast_t **vfli_read(vfl_ctx_t *c, uint32_t *n);

/* ---- types and IR (check.c) ---------------------------------------------------- */

typedef enum vtype {
    T_INT,   /* unsigned 64-bit number */
    T_BOOL,  /* truth value (comparisons, and/or/not) */
    T_NET4,  /* IPv4 prefix literal: only as the second argument of in-net */
    T_ADDR6, /* 128-bit IPv6 address field: only with = != in-net */
    T_NET6,  /* IPv6 address or prefix literal */
    T_WIDTH, /* u8/u16/u32/u64 keyword of the load forms */
} vtype_t;

const char *vfli_type_name(vtype_t t);

typedef enum ir_kind {
    IR_CONST, /* k (T_INT or T_BOOL) */
    IR_FIELD, /* packet field */
    IR_CALL,  /* builtin applied to kids */
    IR_NET6,  /* IPv6 literal: ip6, prefix (only under in-net / =) */
    IR_WIDTH, /* width keyword: k = bytes */
    IR_NET4,  /* IPv4 prefix literal: k = address, prefix (only under in-net) */
} ir_kind_t;

struct builtin;
struct field;
typedef struct ir ir_t;
struct ir {
    ir_kind_t kind;
    vtype_t type;
    bool pure; /* no side effects (no count-by below) */
    uint32_t n;
    ir_t **kids;
    uint64_t k;              /* IR_CONST/IR_NET4 value; IR_WIDTH bytes; in-net: 1 = != */
    const struct builtin *b; /* IR_CALL */
    const struct field *f;   /* IR_FIELD */
    uint8_t prefix;          /* IR_NET4, IR_NET6 */
    uint8_t ip6[16];
    span_t span;
};

/** Check the program (defines, then one expression) and return its IR. */
ir_t *vfli_check(vfl_ctx_t *c, ast_t **forms, uint32_t n);

ir_t *vfli_ir_new(vfl_ctx_t *c, ir_kind_t kind, vtype_t type, const span_t *sp);
ir_t *vfli_ir_const(vfl_ctx_t *c, vtype_t type, uint64_t k, const span_t *sp);
bool vfli_ir_equal(const ir_t *a, const ir_t *b);

/* ---- path facts (facts.c) ------------------------------------------------------ */

/* Layer-3 families a packet may be (bit set = still possible). */
#define FAM_V4 0x1u
#define FAM_V6 0x2u
#define FAM_OTHER 0x4u
#define FAM_ALL 0x7u

/* Boolean facts. */
#define FACT_ETYPE 0x1u   /* etype holds the link ethertype */
#define FACT_NOFRAG4 0x2u /* if IPv4: fragment offset is 0 */

/* What is known about the packet on a path (set: 256 possible values). */
typedef struct facts {
    uint8_t fam;       /* FAM_* still possible */
    uint8_t flags;     /* FACT_* */
    uint16_t etype;    /* with FACT_ETYPE */
    uint64_t proto[4]; /* if IPv4: possible protocol numbers */
    uint64_t nh6[4];   /* if IPv6: possible next headers */
} facts_t;

void vfli_facts_top(facts_t *f);                           /* nothing known */
void vfli_facts_meet(facts_t *into, const facts_t *other); /* what holds on both paths */
bool vfli_set_has(const uint64_t s[4], unsigned v);
void vfli_set_only(uint64_t s[4], unsigned v);
void vfli_set_del(uint64_t s[4], unsigned v);
void vfli_set_and(uint64_t s[4], const uint64_t t[4]);
bool vfli_set_subset(const uint64_t s[4], const uint64_t t[4]);
unsigned vfli_set_count(const uint64_t s[4]);
int vfli_set_single(const uint64_t s[4]); /* the one member, or -1 */

/* ---- emitter (emit.c) ---------------------------------------------------------- */

typedef struct label {
    uint32_t pos;  /* bound position, LABEL_UNBOUND before */
    int depth;     /* smallest incoming stack depth, -1 = no incoming edge */
    bool used;     /* some jump targets it */
    facts_t facts; /* meet of the facts on the incoming jumps */
} label_t;
#define LABEL_UNBOUND UINT32_MAX

typedef struct fixup {
    uint32_t at; /* operand position */
    uint32_t label;
} fixup_t;

typedef struct emitter {
    vfl_ctx_t *c;
    uint8_t *code;
    uint32_t len, cap;
    label_t *labels;
    uint32_t nlabels, labels_cap;
    fixup_t *fix;
    uint32_t nfix, fix_cap;
    bool live;           /* the current position is reachable */
    int depth;           /* stack depth here (when live) */
    facts_t facts;       /* what is known here (when live) */
    uint32_t last_insn;  /* start of the last instruction emitted */
    uint32_t prev_insn;  /* start of the one before it (UINT32_MAX if unknown) */
    int last_jmp;        /* label of that instruction if it is a JMP, else -1 */
    const span_t *where; /* source of the code being emitted, for limit errors */
} emitter_t;

void vfli_emit_init(emitter_t *e, vfl_ctx_t *c);
int vfli_emit_label(emitter_t *e);
void vfli_emit_bind(emitter_t *e, int label);
/** An instruction without a jump operand; @p k its immediate/offset. */
void vfli_emit_op(emitter_t *e, uint8_t opcode, uint64_t k);
/** CALL helper @p id, which pops @p pops values and pushes @p pushes. */
void vfli_emit_call(emitter_t *e, uint16_t id, int pops, int pushes);
/** The shortest PUSH for @p k. */
void vfli_emit_push(emitter_t *e, uint64_t k);
/** A jump to @p label; @p taken = facts on the taken edge (NULL = current). */
void vfli_emit_jump(emitter_t *e, uint8_t opcode, int label, const facts_t *taken);
bool vfli_emit_label_used(const emitter_t *e, int label);
/** Is the value on top a PUSH of 0 just before here, with no jump landing here? */
bool vfli_emit_pushed_zero(const emitter_t *e);
/** Resolve jumps; the code stays in e->code (arena). */
void vfli_emit_finish(emitter_t *e);

/* ---- link layouts (link.c) ----------------------------------------------------- */

typedef enum link_kind {
    LK_ETHER, /* a 16-bit ethertype at etype_off (Ethernet, SLL, SLL2) */
    LK_RAW,   /* raw IP: the version nibble says 4 or 6 */
    LK_RAW4,  /* raw IPv4 only */
    LK_RAW6,  /* raw IPv6 only */
    LK_NULL,  /* BSD loopback, AF in host (little-endian) order */
    LK_LOOP,  /* OpenBSD loopback, AF in network order */
} link_kind_t;

typedef struct linkinfo {
    int linktype;
    const char *name;
    link_kind_t kind;
    uint16_t etype_off; /* LK_ETHER */
    uint16_t l3;        /* offset of the IP header */
} linkinfo_t;

const linkinfo_t *vfli_link(int linktype);

/* ---- lowering (lower.c, fields.c) --------------------------------------------- */

typedef struct lower {
    vfl_ctx_t *c;
    emitter_t e;
    const linkinfo_t *link;
} lower_t;

/** Compile @p root to code in L->e. */
void vfli_lower(lower_t *L, const ir_t *root);

/* Code-generation entry points the builtin and field tables use. */
void vfli_gen_value(lower_t *L, const ir_t *n, int fail);
void vfli_gen_branch(lower_t *L, const ir_t *n, bool sense, int label);
/** Jump to @p label when the packet's family is (@p is) / is not (!@p is) @p fam. */
void vfli_gen_fam_test(lower_t *L, unsigned fam, bool is, int label);
/** Jump to @p label when the link ethertype is (eq) / is not (!eq) @p k. */
void vfli_gen_etype_test(lower_t *L, uint16_t k, bool eq, int label);
/** Guards: continue only if IPv4 / IPv6, else jump to @p fail. False if statically absent. */
bool vfli_need_v4(lower_t *L, int fail);
bool vfli_need_v6(lower_t *L, int fail);
/** Continue only if the IPv4 protocol (IPv6 next header) is in @p set. */
bool vfli_need_proto4(lower_t *L, const uint64_t set[4], int fail);
bool vfli_need_nh6(lower_t *L, const uint64_t set[4], int fail);
bool vfli_need_nofrag4(lower_t *L, int fail);
/** Push the IPv4 header length in bytes (IHL * 4). */
void vfli_gen_ihl(lower_t *L);

/* ---- builtins (builtins.c) ------------------------------------------------------- */

#define ARGS_MANY 255

/* Argument kinds. */
typedef enum argkind {
    A_INT,     /* number */
    A_TRUTH,   /* number or boolean (tested for non-zero) */
    A_ANY,     /* number or boolean (if arms) */
    A_WIDTH,   /* u8 u16 u32 u64 */
    A_NET,     /* an IPv4 prefix literal, or an IPv6 address/prefix literal */
    A_SPECIAL, /* checked by the form's own check function (let, define) */
} argkind_t;

typedef enum result {
    R_INT,
    R_BOOL,
    R_ARMS, /* if: bool when both arms are, else int */
} result_t;

typedef enum rel { REL_EQ, REL_NE, REL_GT, REL_LT, REL_GE, REL_LE } rel_t;
bool vfli_rel_holds(rel_t rel, uint64_t a, uint64_t b);

typedef void (*lower_value_fn)(lower_t *L, const ir_t *n, int fail);
typedef void (*lower_branch_fn)(lower_t *L, const ir_t *n, bool sense, int label);

typedef struct builtin {
    const char *name;
    uint8_t min_args, max_args;
    argkind_t args[3]; /* kind of argument i; the last one repeats */
    result_t result;
    uint8_t opcode;         /* VFM opcode (arithmetic, value comparisons), 0 if none */
    uint8_t sel;            /* rel_t for comparisons; LAYER_* for loads */
    uint8_t flags;          /* B_* */
    const char *doc;        /* one line, for messages and docs */
    lower_value_fn value;   /* push the value; jump to fail if a field is absent */
    lower_branch_fn branch; /* NULL: value, then test for non-zero */
} builtin_t;

#define B_CMP 0x1u      /* comparison (rel) */
#define B_ARITH 0x2u    /* binary arithmetic/bitwise, multi-argument, left to right */
#define B_EFFECT 0x4u   /* has side effects (count-by) */
#define B_TOPLEVEL 0x8u /* only at the top level (define) */
#define B_LOAD 0x10u    /* raw packet load */

/* Where a load form's offset counts from. */
enum { LAYER_LINK, LAYER_IP, LAYER_IP6, LAYER_TCP, LAYER_UDP, LAYER_ICMP };

const builtin_t *vfli_builtin(const char *name);
const builtin_t *vfli_builtin_at(unsigned i); /* NULL past the end */

/* ---- fields (fields.c) ----------------------------------------------------------- */

typedef struct field {
    const char *name;
    vtype_t type;        /* T_INT (or T_ADDR6) */
    uint8_t bits;        /* value width */
    const char *tcpdump; /* the tcpdump expression it equals (Ethernet) */
    const char *doc;
    /* Push the value; jump to fail when the packet does not have the field. */
    void (*gen)(lower_t *L, const struct field *f, int fail);
    uint16_t arg;      /* offset used by gen */
    uint8_t l4proto;   /* transport fields: the IPv4 protocol they need */
    uint8_t set_field; /* SETF_*: value tracked in the path facts */
} field_t;

#define SETF_NONE 0
#define SETF_PROTO4 1
#define SETF_NH6 2
#define SETF_ETYPE 3

const field_t *vfli_field(const char *name);
const field_t *vfli_field_at(unsigned i);

/* Named constants (tcp, syn, ipv4, ...). */
typedef struct vconst {
    const char *name;
    uint64_t value;
    const char *doc;
} vconst_t;

const vconst_t *vfli_const(const char *name);
const vconst_t *vfli_const_at(unsigned i);

/* ---- lowering helpers the builtins use (lower.c) -------------------------------- */

void vfli_lower_arith(lower_t *L, const ir_t *n, int fail);
void vfli_lower_not_bits(lower_t *L, const ir_t *n, int fail);
void vfli_lower_cmp_value(lower_t *L, const ir_t *n, int fail);
void vfli_lower_cmp_branch(lower_t *L, const ir_t *n, bool sense, int label);
void vfli_lower_bool_value(lower_t *L, const ir_t *n, int fail);
void vfli_lower_and_branch(lower_t *L, const ir_t *n, bool sense, int label);
void vfli_lower_or_branch(lower_t *L, const ir_t *n, bool sense, int label);
void vfli_lower_not_branch(lower_t *L, const ir_t *n, bool sense, int label);
void vfli_lower_if_value(lower_t *L, const ir_t *n, int fail);
void vfli_lower_if_branch(lower_t *L, const ir_t *n, bool sense, int label);
void vfli_lower_count_value(lower_t *L, const ir_t *n, int fail);
void vfli_lower_load_value(lower_t *L, const ir_t *n, int fail);
void vfli_lower_in6_branch(lower_t *L, const ir_t *n, bool sense, int label);

#endif /* VFL_INTERNAL_H */
