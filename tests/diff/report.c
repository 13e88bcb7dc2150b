/*
 * report.c - printing programs, packets and results (see report.h).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>

#include "tool_util.h"
#include "vfm/asm.h"

const char *vfmd_result_str(const vfmd_result_t *r, char *buf, size_t len)
{
    if (r->rc == VFM_SUCCESS)
        snprintf(buf, len, "%" PRIu64 " (0x%" PRIx64 ")", r->value, r->value);
    else
        snprintf(buf, len, "ERROR %s (%d)%s", tool_error_name(r->rc), r->rc,
                 r->value ? " with a non-zero result" : "");
    return buf;
}

void vfmd_print_program(FILE *fp, const vfmg_program_t *p)
{
    fprintf(fp, "  settings: loop limit %u, linktype %d, flow table %u entries; %u bytes, %u "
                "instructions\n",
            p->loop_limit, p->linktype, p->flow_size, p->len, p->ninsns);
    char *text = NULL;
    int rc = vfm_disassemble(p->code, p->len, VFM_DIS_ADDR | VFM_DIS_LABELS, &text);
    if (text)
        fputs(text, fp);
    if (rc != VFM_SUCCESS)
        fprintf(fp, "  (disassembly stopped: %s)\n", vfm_error_string(rc));
    free(text);
}

static void hex_lines(FILE *fp, const uint8_t *pkt, size_t from, size_t to)
{
    for (size_t i = from; i < to; i += 16) {
        fprintf(fp, "    %06zx ", i);
        for (size_t j = i; j < i + 16 && j < to; j++)
            fprintf(fp, " %02x", pkt[j]);
        fputc('\n', fp);
    }
}

void vfmd_print_packet(FILE *fp, const uint8_t *pkt, size_t len)
{
    if (len <= 2048) {
        hex_lines(fp, pkt, 0, len);
        return;
    }
    hex_lines(fp, pkt, 0, 256);
    fprintf(fp, "    ... (%zu bytes not shown)\n", len - 512);
    hex_lines(fp, pkt, (len - 256) & ~(size_t)15, len);
}
