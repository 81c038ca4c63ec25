// sendasctl usage; see ctl_usage.h.
#include "cmd/ctl_usage.h"

#include <sysexits.h>
#include <iostream>

#include "base/clock.h"
#include "base/duration.h"
#include "cmd/startup.h"

namespace po = boost::program_options;

namespace sendas {

void add_usage_options(po::options_description &options) {
    options.add_options()("user", po::value<std::string>()->default_value(""), "usage of this user only")(
        "since", po::value<std::string>()->default_value("30d"), "usage within this period (e.g. 30d, 12h)");
}

bool parse_usage_query(const po::variables_map &vm, UsageQuery &query, std::string &error) {
    query.user = vm["user"].as<std::string>();
    query.mailbox = vm["mailbox"].as<std::string>();
    query.format = vm["format"].as<std::string>();
    if (query.format != "text" && query.format != "csv" && query.format != "json") {
        error = "--format is text, csv or json";
        return false;
    }
    if (!parse_duration(vm["since"].as<std::string>(), query.since)) {
        error = "--since expects a duration such as 30d (units s, m, h, d, w)";
        return false;
    }
    return true;
}

int run_usage(const Config &config, const UsageQuery &query) {
    const auto store = usage_store_for(config);
    UsageTable table;
    size_t bad = 0;
    std::string error;
    if (!store->read(table, bad, error)) {
        std::cerr << "sendasctl: usage records in " << store->where() << ": " << error << "\n";
        return EX_UNAVAILABLE;
    }
    if (bad) std::cerr << "sendasctl: " << bad << " usage records in " << store->where() << " are damaged, skipped\n";
    std::cout << format_usage(table, query, system_clock_seconds());
    return 0;
}

}  // namespace sendas
