/*
 * gen-isa-doc - print the generated part of docs/isa.md from the ISA table,
 * so the document cannot drift from opcodes.def.  ctest compares its output
 * with the section between the GENERATED markers in docs/isa.md.
 */
#include <stdio.h>
#include <string.h>

#include "vfm/isa.h"
#include "vfm/vfm.h"

static const char *errors_of(const vfm_opinfo_t *op)
{
    if (op->flags & VFM_F_PKT)
        return "VFM_ERROR_BOUNDS if the load ends past the captured length";
    if (op->flags & VFM_F_DIV)
        return "VFM_ERROR_DIVISION_BY_ZERO at run time; rejected by the verifier when "
               "the divisor is a PUSH of 0 just before";
    if (op->code == VFM_OP_CALL)
        return "rejected unless the helper is registered; the helper's own error "
               "(or VFM_ERROR_HELPER)";
    if (op->flags & VFM_F_JUMP)
        return "target must be an instruction start inside the program; backward: rejected "
               "unless loops are allowed, then VFM_ERROR_LIMIT past the loop limit";
    return "-";
}

int main(void)
{
    puts("| byte | mnemonic | operand | size | pops | pushes | semantics | errors |");
    puts("| ---: | --- | --- | ---: | ---: | ---: | --- | --- |");
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *op = vfm_opinfo((uint8_t)b);
        if (!op)
            continue;
        char pops[8] = "helper", pushes[8] = "helper";
        if (op->code != VFM_OP_CALL) {
            snprintf(pops, sizeof pops, "%u", op->pops);
            snprintf(pushes, sizeof pushes, "%u", op->pushes);
        }
        printf("| 0x%02x | `%s` | %s | %u | %s | %s | %s | %s |\n", op->code, op->name,
               vfm_operand_name((vfm_operand_t)op->operand), op->size, pops, pushes,
               op->summary, errors_of(op));
    }
    printf("\n%d opcodes. Operand kinds:\n\n", VFM_OPCODE_COUNT);
    for (unsigned k = 0; k < VFM_OPND_COUNT_; k++)
        printf("- `%s`: %u byte%s\n", vfm_operand_name((vfm_operand_t)k),
               vfm_operand_size((vfm_operand_t)k), vfm_operand_size((vfm_operand_t)k) == 1 ? "" : "s");
    return 0;
}
