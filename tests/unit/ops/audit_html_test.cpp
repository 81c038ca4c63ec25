// sendasctl audit --format html (ops/audit_html): escaping of every value
// from the directory and the usage records, the summary counts, which
// findings a holder row shows, and the page's fixed parts (CSP, nonce,
// the filter box hidden until the script runs).
#include "ops/audit_html.h"

#include "text.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>

#include "base/string_util.h"
#include "ops/usage_audit.h"

using sendas::AuditReport;
using sendas::Holder;
using sendas::MailboxSelection;
using sendas::ReportFormat;
using sendas_test::contains;

namespace {

constexpr int64_t day = 86400, now = 20000 * day;

std::string norm(const std::string &dn) { return sendas::lower(dn); }

std::string page(const AuditReport &r, const std::string &only = "", const std::string &nonce = "N0NCE") {
    std::ostringstream out;
    sendas::write_html(r, MailboxSelection(only), nonce, out);
    return out.str();
}

size_t count(const std::string &text, const std::string &what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// Two mailboxes, alice on both, one finding of each kind a row can show.
AuditReport sample() {
    AuditReport r;
    r.mailboxes["support@example.com"]["send-as"] = {
        Holder{"alice@example.com", "uid=alice,dc=x", {"uid=alice,dc=x", "cn=team,dc=x", "cn=support,dc=x"}, 0}};
    r.mailboxes["support@example.com"]["send-on-behalf"] = {
        Holder{"alice@example.com", "uid=alice,dc=x", {"uid=alice,dc=x", "cn=support,dc=x"}, 0}};
    r.mailboxes["support@example.com"]["full-access"] = {
        Holder{"carol@example.com", "uid=carol,dc=x", {"uid=carol,dc=x", "cn=support,dc=x"}, 0}};
    r.mailboxes["sales@example.com"]["send-as"] = {
        Holder{"ALICE@example.com", "UID=Alice,dc=x", {"UID=Alice,dc=x", "cn=sales,dc=x"}, 0}};
    r.mailboxes["empty@example.com"]["send-as"] = {};
    r.findings.push_back(
        {"EMPTY_GROUP", "empty@example.com", "cn=empty,dc=x", "send-as group grants nobody", "send-as"});
    r.findings.push_back(
        {"FULL_ACCESS_WITHOUT_SEND", "support@example.com", "uid=carol,dc=x", "Full Access only", "full-access"});
    return r;
}

}  // namespace

class AuditHtmlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuditHtmlTest);
    CPPUNIT_TEST(testEscape);
    CPPUNIT_TEST(testHostileValuesAreText);
    CPPUNIT_TEST(testSummaryCounts);
    CPPUNIT_TEST(testSummaryOfOneMailbox);
    CPPUNIT_TEST(testSummaryOnThePage);
    CPPUNIT_TEST(testRowShowsItsOwnFindings);
    CPPUNIT_TEST(testLastUsed);
    CPPUNIT_TEST(testUsageNotRead);
    CPPUNIT_TEST(testGroupPathNames);
    CPPUNIT_TEST(testSelfContained);
    CPPUNIT_TEST(testThroughFormatReport);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEscape() {
        CPPUNIT_ASSERT_EQUAL(std::string("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"),
                             sendas::html_escape("<a href=\"x\" title='y'>&amp;</a>"));
        CPPUNIT_ASSERT_EQUAL(std::string("a\tb\nc\r\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
                             sendas::html_escape(std::string("a\tb\nc\r\0\x1b\x7f", 9)));
        CPPUNIT_ASSERT_EQUAL(std::string("J\xC3\xBCrgen"), sendas::html_escape("J\xC3\xBCrgen"));
        CPPUNIT_ASSERT_EQUAL(std::string(), sendas::html_escape(""));
    }

    // Every field a directory writer controls, with markup and quotes: none
    // of it reaches the page as markup, all of it as escaped text.
    void testHostileValuesAreText() {
        const std::string evil = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>";
        AuditReport r;
        r.usage_read = true;
        r.mailboxes["m" + evil + "@example.com"]["send-as"] = {
            Holder{"u" + evil, "uid=" + evil + ",dc=x", {"uid=" + evil + ",dc=x", "cn=" + evil + ",dc=x"}, 0}};
        r.mailboxes["quiet" + evil]["send-on-behalf"] = {};
        r.findings.push_back(
            {"UNUSED_RIGHT" + evil, "m" + evil + "@example.com", "uid=" + evil + ",dc=x", "detail" + evil, "send-as"});
        const std::string html = page(r);
        CPPUNIT_ASSERT_EQUAL(size_t(1), count(html, "<script"));  // the page's own
        CPPUNIT_ASSERT(!contains(html, "<img"));
        CPPUNIT_ASSERT(!contains(html, "\"'>"));
        CPPUNIT_ASSERT(!contains(html, "</script><"));
        const std::string escaped = sendas::html_escape(evil);
        CPPUNIT_ASSERT(contains(escaped, "&lt;script&gt;") && contains(escaped, "&quot;&#39;&gt;"));
        // mailbox (rights and findings tables, the nobody row), user, DN,
        // group name and DN (title), code (class, text and summary link), detail.
        CPPUNIT_ASSERT(count(html, escaped) >= 10);
        CPPUNIT_ASSERT(contains(html, "<td>detail" + escaped + "</td>"));
        CPPUNIT_ASSERT(contains(html, "<span class=\"user\">u" + escaped + "</span>"));
    }

    void testSummaryCounts() {
        AuditReport r = sample();
        r.findings.push_back({"UNUSED_RIGHT", "support@example.com", "uid=alice,dc=x", "not used", "send-as"});
        r.findings.push_back({"UNUSED_RIGHT", "sales@example.com", "UID=Alice,dc=x", "not used", "send-as"});
        const sendas::AuditSummary s = sendas::summarize(r, MailboxSelection(""));
        CPPUNIT_ASSERT_EQUAL(size_t(3), s.mailboxes);
        CPPUNIT_ASSERT_EQUAL(size_t(2), s.holders);  // alice (twice spelled) and carol
        CPPUNIT_ASSERT_EQUAL(size_t(4), s.rights);
        CPPUNIT_ASSERT_EQUAL(size_t(2), s.unused);
        CPPUNIT_ASSERT_EQUAL(size_t(4), s.findings);
        const std::map<std::string, size_t> codes{
            {"EMPTY_GROUP", 1}, {"FULL_ACCESS_WITHOUT_SEND", 1}, {"UNUSED_RIGHT", 2}};
        CPPUNIT_ASSERT(codes == s.by_code);
    }

    void testSummaryOfOneMailbox() {
        AuditReport r = sample();
        r.findings.push_back({"UNUSED_RIGHT", "sales@example.com", "UID=Alice,dc=x", "not used", "send-as"});
        const sendas::AuditSummary s = sendas::summarize(r, MailboxSelection("Sales@Example.com"));
        CPPUNIT_ASSERT_EQUAL(size_t(1), s.mailboxes);
        CPPUNIT_ASSERT_EQUAL(size_t(1), s.holders);
        CPPUNIT_ASSERT_EQUAL(size_t(1), s.rights);
        CPPUNIT_ASSERT_EQUAL(size_t(1), s.unused);
        CPPUNIT_ASSERT_EQUAL(size_t(1), s.findings);
        const std::string html = page(r, "sales@example.com");
        CPPUNIT_ASSERT(!contains(html, "support@example.com"));
        CPPUNIT_ASSERT(contains(html, "<td>sales@example.com</td>"));
    }

    void testSummaryOnThePage() {
        AuditReport r = sample();
        r.usage_read = true;
        const std::string html = page(r);
        CPPUNIT_ASSERT(contains(html, "id=\"sum-mailboxes\"><span class=\"n\">3</span>"));
        CPPUNIT_ASSERT(contains(html, "id=\"sum-holders\"><span class=\"n\">2</span>"));
        CPPUNIT_ASSERT(contains(html, "id=\"sum-rights\"><span class=\"n\">4</span>"));
        CPPUNIT_ASSERT(contains(html, "id=\"sum-unused\"><span class=\"n\">0</span>"));
        CPPUNIT_ASSERT(contains(html, "id=\"sum-findings\" class=\"warn\"><span class=\"n\">2</span>"));
        CPPUNIT_ASSERT(contains(html, "<a href=\"#filter=EMPTY_GROUP\">EMPTY_GROUP</a></td><td>1</td>"));
        // The mailbox whose group grants nobody still has its row.
        CPPUNIT_ASSERT(contains(html, "<tr class=\"nobody\"><td>empty@example.com</td>"));
        CPPUNIT_ASSERT_EQUAL(size_t(4), count(html, "<tr class=\"holder\">"));
        CPPUNIT_ASSERT_EQUAL(size_t(2), count(html, "<tr class=\"finding\">"));
    }

    // A finding about one right shows on that right's row only; one
    // without a right on every row of that holder and mailbox.
    void testRowShowsItsOwnFindings() {
        AuditReport r = sample();
        r.usage_read = true;
        sendas::add_usage(r, {}, now, 90 * day, norm);
        r.findings.push_back({"SEND_AS_AND_ON_BEHALF", "support@example.com", "uid=alice,dc=x", "both", ""});
        const std::string html = page(r);
        const auto row = [&html](const std::string &mailbox, const std::string &right) {
            const size_t at = html.find("<tr class=\"holder\"><td>" + mailbox + "</td><td class=\"right\">" + right);
            CPPUNIT_ASSERT(at != std::string::npos);
            return html.substr(at, html.find("</tr>", at) - at);
        };
        const std::string as = row("support@example.com", "send-as"), behalf = row("support@example.com", "send-on");
        CPPUNIT_ASSERT(contains(as, "title=\"send-as not used within 90d, no use recorded\">UNUSED_RIGHT</span>"));
        CPPUNIT_ASSERT(!contains(as, "send-on-behalf not used"));
        CPPUNIT_ASSERT(contains(behalf, "title=\"send-on-behalf not used within 90d"));
        CPPUNIT_ASSERT(contains(as, ">SEND_AS_AND_ON_BEHALF<") && contains(behalf, ">SEND_AS_AND_ON_BEHALF<"));
        CPPUNIT_ASSERT(contains(row("sales@example.com", "send-as"), ">UNUSED_RIGHT<"));  // DN case differs
        const std::string full = row("support@example.com", "full-access");
        CPPUNIT_ASSERT(contains(full, ">FULL_ACCESS_WITHOUT_SEND<") && !contains(full, "UNUSED_RIGHT"));
    }

    void testLastUsed() {
        AuditReport r = sample();
        r.usage_read = true;
        r.generated = now;
        r.mailboxes["support@example.com"]["send-as"][0].last_used = now - 3 * day - 60;
        const std::string html = page(r);
        const std::string when = sendas::time_text(now - 3 * day - 60);
        CPPUNIT_ASSERT(contains(html, "<td class=\"when\" data-sort=\"" + std::to_string(now - 3 * day - 60) +
                                          "\"><time datetime=\"" + when + "\">" + when +
                                          "</time> <span class=\"na\">(3 d ago)</span></td>"));
        CPPUNIT_ASSERT(contains(html, "<td data-sort=\"0\" class=\"never\">never</td>"));
        CPPUNIT_ASSERT(contains(html, "<td data-sort=\"-1\" class=\"na\">not recorded</td>"));  // Full Access
        CPPUNIT_ASSERT(contains(html, "read from the directory at " + sendas::time_text(now)));
    }

    void testUsageNotRead() {
        const std::string html = page(sample());
        CPPUNIT_ASSERT(contains(html, "The usage records were not read"));
        CPPUNIT_ASSERT(contains(html, "id=\"sum-unused\"><span class=\"n\">&ndash;</span>"));
        CPPUNIT_ASSERT_EQUAL(size_t(3), count(html, ">not read</td>"));
        CPPUNIT_ASSERT(!contains(html, ">never</td>"));
    }

    void testGroupPathNames() {
        AuditReport r;
        r.mailboxes["a@example.com"]["send-as"] = {
            Holder{"u@example.com",
                   "uid=u,dc=x",
                   {"uid=u,dc=x", "cn=R\\26D\\2C Berlin,ou=g,dc=x", "cn=a@example.com+ou=x,dc=x"},
                   0}};
        r.mailboxes["b@example.com"]["send-as"] = {
            Holder{"", "uid=v,dc=x", {"uid=v,dc=x", "cn=b@example.com,dc=x"}, 0}};
        const std::string html = page(r);
        CPPUNIT_ASSERT(contains(html,
                                "<span title=\"cn=R\\26D\\2C Berlin,ou=g,dc=x\">R&amp;D, Berlin</span> &rarr; "
                                "<span title=\"cn=a@example.com+ou=x,dc=x\">a@example.com</span>"));
        CPPUNIT_ASSERT(contains(html, "direct: <span title=\"cn=b@example.com,dc=x\">b@example.com</span>"));
        // A holder without an address is named by its DN alone.
        CPPUNIT_ASSERT(contains(html, "<td class=\"right\">send-as</td><td><span class=\"dn\">uid=v,<wbr>dc=x</span>"));
    }

    void testSelfContained() {
        const std::string html = page(sample(), "", "abc123");
        CPPUNIT_ASSERT(contains(html,
                                "content=\"default-src 'none'; style-src 'nonce-abc123'; "
                                "script-src 'nonce-abc123'; base-uri 'none'; form-action 'none'\""));
        CPPUNIT_ASSERT(contains(html, "<style nonce=\"abc123\">") && contains(html, "<script nonce=\"abc123\">"));
        CPPUNIT_ASSERT(!contains(html, "http:") && !contains(html, "https:") && !contains(html, "url("));
        CPPUNIT_ASSERT(!contains(html, " src=") && !contains(html, "<link"));
        CPPUNIT_ASSERT(contains(html, "<p id=\"filter-bar\" hidden>"));  // shown by the script
        CPPUNIT_ASSERT(!contains(html, "<tr hidden") && !contains(html, " onclick="));
    }

    void testThroughFormatReport() {
        const std::string a = sendas::format_report(sample(), ReportFormat::html),
                          b = sendas::format_report(sample(), ReportFormat::html);
        CPPUNIT_ASSERT(a.rfind("<!DOCTYPE html>\n", 0) == 0 && contains(a, "</html>\n"));
        const auto nonce = [](const std::string &html) {
            const size_t at = html.find("<script nonce=\"") + 15;
            return html.substr(at, html.find('"', at) - at);
        };
        CPPUNIT_ASSERT_EQUAL(size_t(32), nonce(a).size());
        CPPUNIT_ASSERT(nonce(a) != nonce(b));  // fresh for every page
        CPPUNIT_ASSERT(contains(a, "style-src 'nonce-" + nonce(a) + "'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuditHtmlTest);
