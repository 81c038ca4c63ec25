// The option table: every config key once, with the Config field it
// fills, how its text is read and printed, and its help line. The default
// a key shows (--help, the sample config, conf(5)) is its field in a
// default-constructed Config, printed: defaults are written once, in
// config.h. config.cpp builds the file and command-line parsers from it.
#ifndef SENDAS_OPTIONS_H
#define SENDAS_OPTIONS_H

#include <functional>
#include <string>
#include <vector>

#include "base/config.h"

namespace sendas {

struct OptionSpec {
    const char *key;
    const char *help;
    // Reads the value into the config; throws std::invalid_argument
    // saying what was expected.
    std::function<void(Config &, const std::string &)> apply;
    // The field as config text.
    std::function<std::string(const Config &)> show;

    std::string default_value() const { return show(Config{}); }
};

const std::vector<OptionSpec> &option_table();

// Whether `key` is read only at start (the socket, the identity, the
// metrics endpoint, what libmilter was given): a reload cannot change it.
bool needs_restart(const std::string &key);

// The keys of needs_restart() whose value differs between the config the
// process started with and `next`, in table order.
std::vector<std::string> restart_keys_changed(const Config &started, const Config &next);

}  // namespace sendas

#endif
