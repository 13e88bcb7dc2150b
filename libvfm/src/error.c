/* error.c - error strings (manual, Appendix B) and the version. */
#include "vfm/vfm.h"

const char *vfm_error_string(int error)
{
    switch (error) {
    case VFM_SUCCESS: return "Success";
    case VFM_ERROR_NO_MEMORY: return "Out of memory";
    case VFM_ERROR_INVALID_PROGRAM: return "Invalid program";
    case VFM_ERROR_INVALID_OPCODE: return "Invalid opcode";
    case VFM_ERROR_STACK_OVERFLOW: return "Stack overflow";
    case VFM_ERROR_STACK_UNDERFLOW: return "Stack underflow";
    case VFM_ERROR_BOUNDS: return "Packet bounds exceeded";
    case VFM_ERROR_DIVISION_BY_ZERO: return "Division by zero";
    case VFM_ERROR_LIMIT: return "Instruction limit exceeded";
    case VFM_ERROR_VERIFICATION_FAILED: return "Verification failed";
    case VFM_ERROR_IO: return "I/O error";
    case VFM_ERROR_UNSUPPORTED: return "Not supported";
    case VFM_ERROR_HELPER: return "Helper error";
    case VFM_ERROR_INVALID_ARGUMENT: return "Invalid argument";
    default: return "Unknown error";
    }
}

const char *vfm_version(void)
{
    return VFM_VERSION_STRING;
}
