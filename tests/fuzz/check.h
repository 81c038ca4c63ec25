// A failed property check in a fuzz target: abort, so libFuzzer keeps the
// input as a crash.
#ifndef SENDAS_FUZZ_CHECK_H
#define SENDAS_FUZZ_CHECK_H

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                       \
    do {                                                                                            \
        if (!(condition)) {                                                                         \
            std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                           \
        }                                                                                           \
    } while (0)

#endif
