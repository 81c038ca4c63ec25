// sendasctl usage [--user U] [--mailbox M] [--since 30d] [--format text|csv|json]:
// who used which Send As or Send on Behalf right, how often, and when last,
// from the usage records the daemons keep (Redis, else this host's
// usage.state_file).
#ifndef SENDAS_CTL_USAGE_H
#define SENDAS_CTL_USAGE_H

#include <string>

#include <boost/program_options.hpp>

#include "base/config.h"
#include "ops/usage_report.h"

namespace sendas {

// --user and --since (--mailbox and --format are sendasctl's already).
void add_usage_options(boost::program_options::options_description &options);

// The query the options ask for; false and `error` for a bad value.
bool parse_usage_query(const boost::program_options::variables_map &vm, UsageQuery &query, std::string &error);

// Prints the report; EX_UNAVAILABLE when the records cannot be read.
int run_usage(const Config &config, const UsageQuery &query);

}  // namespace sendas

#endif
