// fuzz-audit-snapshot: whatever file `sendasctl audit --diff` is handed,
// the JSON reader and the snapshot reader refuse it or read holders that
// compare and print without undefined behaviour; a document the reader
// accepts is never refused for nesting it could not have. The holders it
// reads, as a report in every format: the html page keeps whatever they
// hold as text (one <script>, its own; one row per holder).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/json_reader.h"
#include "base/string_util.h"
#include "check.h"
#include "ops/audit_diff.h"
#include "ops/audit_html.h"

using namespace sendas;

namespace {
std::string norm(const std::string &dn) { return lower(dn); }

size_t count(const std::string &text, const std::string &what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// The page for holders read from `holders`: markup only of its own.
bool check_page(const std::string &html, const std::vector<RightChange> &holders) {
    size_t rows = 0;  // the report shows the three rights it knows
    for (const auto &h : holders) {
        rows += h.right == "send-as" || h.right == "send-on-behalf" || h.right == "full-access";
        for (const auto *field : {&h.mailbox, &h.right, &h.user, &h.dn})
            if (html_escape(*field).find_first_of("<>\"'") != std::string::npos) return false;
    }
    return count(html, "<script") == 1 && count(html, "</script") == 1 && count(html, "<style") == 1 &&
           count(html, "<tr class=\"holder\">") == rows;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    JsonValue value;
    std::string error;
    if (!parse_json(input, value, error)) FUZZ_CHECK(!error.empty());
    std::vector<RightChange> holders;
    if (!read_audit_snapshot(input, holders, error)) return 0;
    AuditReport report;
    for (const auto &h : holders) report.mailboxes[h.mailbox][h.right].push_back({h.user, h.dn, {h.dn, h.user}, 0});
    const AuditDiff same = diff_audit(holders, report, norm);
    FUZZ_CHECK(same.granted.empty() && same.revoked.empty());
    const AuditDiff all = diff_audit(holders, AuditReport{}, norm);
    for (auto format : {ReportFormat::text, ReportFormat::csv, ReportFormat::json}) format_diff(all, format);
    for (const auto &h : holders) report.findings.push_back({h.right, h.mailbox, h.dn, h.user, h.right});
    report.usage_read = !holders.empty() && holders.front().user.size() % 2;
    for (auto format : {ReportFormat::text, ReportFormat::csv, ReportFormat::json}) format_report(report, format);
    FUZZ_CHECK(check_page(format_report(report, ReportFormat::html), holders));
    return 0;
}
