// fuzz-audit-snapshot: whatever file `sendasctl audit --diff` is handed,
// the JSON reader and the snapshot reader refuse it or read holders that
// compare and print without undefined behaviour; a document the reader
// accepts is never refused for nesting it could not have.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/json_reader.h"
#include "base/string_util.h"
#include "check.h"
#include "ops/audit_diff.h"

using namespace sendas;

namespace {
std::string norm(const std::string &dn) { return lower(dn); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    JsonValue value;
    std::string error;
    if (!parse_json(input, value, error)) FUZZ_CHECK(!error.empty());
    std::vector<RightChange> holders;
    if (!read_audit_snapshot(input, holders, error)) return 0;
    AuditReport report;
    for (const auto &h : holders) report.mailboxes[h.mailbox][h.right].push_back({h.user, h.dn, {}, 0});
    const AuditDiff same = diff_audit(holders, report, norm);
    FUZZ_CHECK(same.granted.empty() && same.revoked.empty());
    const AuditDiff all = diff_audit(holders, AuditReport{}, norm);
    for (auto format : {ReportFormat::text, ReportFormat::csv, ReportFormat::json}) format_diff(all, format);
    return 0;
}
