// sendasctl audit; see ctl_audit.h.
#include "cmd/ctl_audit.h"

#include <sysexits.h>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/clock.h"
#include "base/duration.h"
#include "cmd/startup.h"
#include "directory/ad_directory.h"
#include "ops/audit_diff.h"
#include "ops/usage_audit.h"

namespace po = boost::program_options;

namespace sendas {
namespace {

// The usage records into `report`; false (after a message) when they
// cannot be read.
bool read_usage(const Config &config, int64_t unused, AuditReport &report) {
    const auto store = usage_store_for(config);
    UsageTable table;
    size_t bad = 0;
    std::string error;
    if (!store->read(table, bad, error)) {
        std::cerr << "sendasctl: usage records in " << store->where() << ": " << error
                  << ": the report has no last use and no UNUSED_RIGHT\n";
        return false;
    }
    if (bad) std::cerr << "sendasctl: " << bad << " usage records in " << store->where() << " are damaged, skipped\n";
    add_usage(report, table, system_clock_seconds(), unused, normalize_dn);
    return true;
}

int print_diff(const AuditRequest &request, const AuditReport &report) {
    std::ifstream in(request.diff_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::vector<RightChange> before;
    std::string error;
    if (!in) error = "cannot read it";
    if (error.empty() && !read_audit_snapshot(text.str(), before, error)) error = "not a snapshot: " + error;
    if (!error.empty()) {
        std::cerr << "sendasctl: --diff " << request.diff_file << ": " << error << "\n";
        return EX_DATAERR;
    }
    std::cout << format_diff(diff_audit(before, report, normalize_dn), request.format);
    return 0;
}

}  // namespace

void add_audit_options(po::options_description &options) {
    options.add_options()("unused", po::value<std::string>()->default_value("90d"),
                          "audit: UNUSED_RIGHT for a right not used within this period (0: usage not read)")(
        "diff", po::value<std::string>()->default_value(""),
        "audit: only the rights granted and revoked since this audit --format json file");
}

bool parse_audit_request(const po::variables_map &vm, AuditRequest &request, std::string &error) {
    const std::string format = vm["format"].as<std::string>(), unused = vm["unused"].as<std::string>();
    const std::pair<const char *, ReportFormat> formats[] = {{"text", ReportFormat::text},
                                                             {"csv", ReportFormat::csv},
                                                             {"json", ReportFormat::json},
                                                             {"html", ReportFormat::html}};
    bool known = false;
    for (const auto &[name, value] : formats)
        if (format == name) {
            request.format = value;
            known = true;
        }
    if (!known) {
        error = "--format is text, csv, json or html";
        return false;
    }
    request.diff_file = vm["diff"].as<std::string>();
    if (!request.diff_file.empty() && request.format == ReportFormat::html) {
        error = "--diff prints text, csv or json";
        return false;
    }
    if (unused == "0")
        request.unused = 0;
    else if (!parse_duration(unused, request.unused)) {
        error = "--unused expects a duration such as 90d (units s, m, h, d, w), or 0";
        return false;
    }
    request.mailbox = vm["mailbox"].as<std::string>();
    return true;
}

int run_audit(const Config &config, const AuditRequest &request) {
    // Straight from LDAP: an audit must not trust a cache.
    const auto directory = make_ldap_directory(config.ldap, address_rules(config));
    DirectorySnapshot snapshot;
    const std::string error = directory->snapshot(snapshot);
    if (!error.empty()) {
        std::cerr << "sendasctl: LDAP " << config.ldap.uri << ": " << error << "\n";
        return EX_UNAVAILABLE;
    }
    AuditReport report = audit_rights(snapshot, config.ldap.nested_depth, normalize_dn);
    report.generated = system_clock_seconds();
    if (!request.diff_file.empty()) return print_diff(request, report);
    const bool usage_ok = request.unused == 0 || read_usage(config, request.unused, report);
    write_report(report, request.format, std::cout, request.mailbox);
    return usage_ok ? 0 : EX_UNAVAILABLE;
}

}  // namespace sendas
