// Command-line parsing shared by the test tools and the load generators
// (milter-probe, milter-load, smtp-load).
#ifndef SENDAS_TEST_CLI_ARGS_H
#define SENDAS_TEST_CLI_ARGS_H

#include <cstddef>
#include <stdexcept>
#include <string>

// A bad command line: the tool prints its usage and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A whole number within [min, max] for --option, or UsageError.
inline long parse_number(const std::string &text, const char *option, long min, long max) {
    std::size_t used = 0;
    long value = 0;
    try {
        value = std::stol(text, &used);
    } catch (const std::exception &) {
    }
    if (used == 0 || used != text.size() || value < min || value > max)
        throw UsageError(std::string("bad value for --") + option + ": " + text);
    return value;
}

#endif
