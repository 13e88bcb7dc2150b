/* errnames.c - the one table of VFM_* result codes and their names. */
#include <string.h>

#include "errnames.h"
#include "vfm/vfm.h"

#define E(macro) {#macro, macro}
static const vfmt_errname_t table[] = {
    E(VFM_SUCCESS),
    E(VFM_ERROR_NO_MEMORY),
    E(VFM_ERROR_INVALID_PROGRAM),
    E(VFM_ERROR_INVALID_OPCODE),
    E(VFM_ERROR_STACK_OVERFLOW),
    E(VFM_ERROR_STACK_UNDERFLOW),
    E(VFM_ERROR_BOUNDS),
    E(VFM_ERROR_DIVISION_BY_ZERO),
    E(VFM_ERROR_LIMIT),
    E(VFM_ERROR_VERIFICATION_FAILED),
    E(VFM_ERROR_IO),
    E(VFM_ERROR_UNSUPPORTED),
    E(VFM_ERROR_HELPER),
    E(VFM_ERROR_INVALID_ARGUMENT),
};
#undef E

const vfmt_errname_t *vfmt_errnames(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

const char *vfmt_errname(int code)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].code == code)
            return table[i].name;
    return NULL;
}

int vfmt_errcode(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
            return table[i].code;
    return 1;
}
