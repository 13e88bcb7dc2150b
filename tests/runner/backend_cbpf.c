/* backend_cbpf.c - the "cbpf" row of the case runner (see backend_cbpf.h). */
#include "backend_cbpf.h"

#ifdef VFMT_HAVE_PCAP
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/bpf.h"

typedef struct cbpf_state {
    vfm_bpf_insn_t *prog;
    uint32_t n;
    size_t next; /* index of the packet run() gets next: cases run them in order */
} cbpf_state_t;

int vfmt_cbpf_setup(vfmt_run_t *r)
{
    cbpf_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return VFM_ERROR_NO_MEMORY;
    r->state = s;
    vfm_diag_t d;
    int rc = vfm_to_bpf_ex(r->c->code, r->c->code_len, NULL, &s->prog, &s->n, &d);
    if (rc != VFM_SUCCESS) {
        snprintf(r->why, sizeof r->why, "vfm_to_bpf: %.240s", d.msg);
        /* Not expressible is a SKIP; anything else means the backend is wrong. */
        return rc == VFM_ERROR_UNSUPPORTED ? rc : VFMT_BACKEND_BROKEN;
    }
    for (uint32_t i = 0; i < s->n; i++)
        if (s->prog[i].code == (BPF_LD | BPF_W | BPF_ABS) && s->prog[i].k >= 0xfffff000u) {
            snprintf(r->why, sizeof r->why, "uses Linux ancillary data (kernel only)");
            return VFM_ERROR_UNSUPPORTED;
        }
    if (!bpf_validate((const struct bpf_insn *)s->prog, (int)s->n)) {
        snprintf(r->why, sizeof r->why, "bpf_validate refuses the %u-instruction program", s->n);
        return VFMT_BACKEND_BROKEN;
    }
    return VFM_SUCCESS;
}

int vfmt_cbpf_run(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result)
{
    cbpf_state_t *s = r->state;
    const vfmt_case_t *c = r->c;
    if (s->next >= c->npackets) {
        snprintf(r->why, sizeof r->why, "cbpf: more packets than the case has");
        return VFMT_BACKEND_BROKEN;
    }
    const vfmt_expect_t *e = &c->results[s->next++];
    bool want = e->code == VFM_SUCCESS && e->value != 0;
    u_int got = bpf_filter((const struct bpf_insn *)s->prog, pkt, (u_int)len, (u_int)len);
    if ((got != 0) != want || (got != 0 && got != VFM_BPF_DEFAULT_SNAPLEN)) {
        snprintf(r->why, sizeof r->why,
                 "cbpf: bpf_filter returns %u where the case expects %s (run with -v "
                 "and vfm-compile -d to see both programs)",
                 got, want ? "an accept (262144)" : "a reject (0)");
        return VFMT_BACKEND_BROKEN;
    }
    /* The verdicts agree: report the case's own result, which BPF cannot carry. */
    *result = e->value;
    if (r->verbose)
        printf("    cbpf: bpf_filter returns %u\n", got);
    return e->code;
}

void vfmt_cbpf_teardown(vfmt_run_t *r)
{
    cbpf_state_t *s = r->state;
    if (!s)
        return;
    free(s->prog);
    free(s);
    r->state = NULL;
}
#endif
