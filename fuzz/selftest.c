/*
 * selftest.c - a fuzz target that violates its property on the input
 * "CRASH", so the tests can show the replay driver really runs every input
 * and reports the one that fails (fuzz/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 5 && memcmp(data, "CRASH", 5) == 0)
        abort();
    return 0;
}
