// fuzz-config: any config text either loads or is refused with a
// ConfigError; any other exception escapes and is a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try {
        sendas::load_config_text(std::string(reinterpret_cast<const char *>(data), size), "fuzz");
    } catch (const sendas::ConfigError &) {
    }
    return 0;
}
