// fuzz-property: the decision's security property with its own oracle
// (tests/lib/property_oracle.h): whatever login, headers, envelope, config
// and directory the bytes describe, nothing ungranted is accepted.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "property_oracle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string violation = sendas_test::check_decision_property(data, size);
    if (!violation.empty()) {
        std::fprintf(stderr, "property violated: %s\n", violation.c_str());
        std::abort();
    }
    return 0;
}
