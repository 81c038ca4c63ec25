// sendasctl audit [--format text|csv|json|html] [--mailbox ADDR] [--unused 90d]
// [--diff OLD.json]: who holds which right on every mailbox, with the
// findings, each holder's last use and UNUSED_RIGHT from the usage records;
// with --diff only the rights granted and revoked since OLD.json.
#ifndef SENDAS_CTL_AUDIT_H
#define SENDAS_CTL_AUDIT_H

#include <cstdint>
#include <string>

#include <boost/program_options.hpp>

#include "base/config.h"
#include "ops/rights_audit.h"

namespace sendas {

struct AuditRequest {
    ReportFormat format = ReportFormat::text;
    std::string mailbox;          // empty: every mailbox
    int64_t unused = 90 * 86400;  // UNUSED_RIGHT past this; 0: usage not read
    std::string diff_file;        // empty: the full report
};

// --unused and --diff (--mailbox and --format are sendasctl's already).
void add_audit_options(boost::program_options::options_description &options);

// The request the options ask for; false and `error` for a bad value.
bool parse_audit_request(const boost::program_options::variables_map &vm, AuditRequest &request, std::string &error);

// Prints the report or the diff. EX_UNAVAILABLE when LDAP cannot be read,
// or after the report when the usage records could not be (the report
// then has no UNUSED_RIGHT); EX_DATAERR when OLD.json is not a snapshot.
int run_audit(const Config &config, const AuditRequest &request);

}  // namespace sendas

#endif
