// `sendasctl audit --format html`: the rights audit as one page for an
// access review. Self-contained (inline CSS and script, nothing fetched:
// its Content-Security-Policy forbids every outside source), readable as a
// plain table without JavaScript; with it, columns sort and a filter box
// narrows the rows (pre-filled from `#filter=TEXT` in the address). Every
// value from the directory or the usage records is HTML-escaped, and the
// page's own script and style carry a fresh nonce, so markup that slipped
// into a value would neither render nor run. Pure apart from the nonce.
#ifndef SENDAS_AUDIT_HTML_H
#define SENDAS_AUDIT_HTML_H

#include <map>
#include <ostream>
#include <string>

#include "ops/rights_audit.h"

namespace sendas {

// The summary at the top of the page, over the selected mailboxes.
struct AuditSummary {
    size_t mailboxes = 0;
    size_t holders = 0;  // distinct users (by DN, without regard to case) holding any right
    size_t rights = 0;   // holder rows: one per user, mailbox and right
    size_t unused = 0;   // UNUSED_RIGHT findings
    size_t findings = 0;
    std::map<std::string, size_t> by_code;
};

AuditSummary summarize(const AuditReport &report, const MailboxSelection &selected);

// `text` safe as HTML text and as a quoted attribute value: & < > " ' as
// character references, control characters other than tab and line breaks
// as U+FFFD.
std::string html_escape(const std::string &text);

// The page. `nonce` marks the page's own <style> and <script> (the CSP
// lets only those through); callers pass random_hex(16).
void write_html(const AuditReport &report, const MailboxSelection &selected, const std::string &nonce,
                std::ostream &out);

}  // namespace sendas

#endif
