// The access-review page; see audit_html.h.
#include "ops/audit_html.h"

#include <cctype>
#include <set>
#include <tuple>
#include <vector>

#include "base/string_util.h"
#include "ops/usage_record.h"

namespace sendas {
namespace {

const char *const style = R"CSS(
body { font: 14px/1.4 "DejaVu Sans", sans-serif; margin: 1.5em 2em; color: #1d2733; }
h1 { font-size: 1.5em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .5em; }
.meta { color: #586574; margin: 0 0 1em; }
.stats { display: flex; flex-wrap: wrap; gap: .8em; margin: 0 0 1em; padding: 0; list-style: none; }
.stats li { border: 1px solid #cfd6de; border-radius: 6px; padding: .4em 1em; min-width: 7em; background: #f6f8fa; }
.stats .n { display: block; font-size: 1.6em; font-weight: bold; }
.stats .warn .n { color: #b35900; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #dde3e9; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #eef2f6; white-space: nowrap; }
th button { font: inherit; font-weight: bold; border: 0; background: none; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " \25B2"; }
th[aria-sort=descending] button::after { content: " \25BC"; }
table.codes { width: auto; }
.dn, .path { color: #586574; font-size: .85em; overflow-wrap: anywhere; }
td.right, td.when { white-space: nowrap; }
.code { display: inline-block; border-radius: 4px; padding: 0 .4em; margin: 0 .2em .2em 0; font-size: .8em;
        font-family: "DejaVu Sans Mono", monospace; background: #fde8d8; color: #8a3b00; }
.code.UNUSED_RIGHT { background: #fff3c4; color: #6b5400; }
.never { color: #b35900; }
.na { color: #8a96a3; }
#filter-bar { margin: .5em 0; }
#filter { font: inherit; padding: .25em .5em; width: 22em; }
.shown { color: #586574; margin-left: 1em; }
@media print { #filter-bar { display: none; } tr[hidden] { display: table-row; } }
)CSS";

// Sorting by a column header, the filter box and its address fragment
// (#filter=TEXT&sort=KEY&order=desc). Values are only read from the DOM.
const char *const script = R"JS(
(function () {
  'use strict';
  var tables = Array.prototype.slice.call(document.querySelectorAll('table.data'));
  var box = document.getElementById('filter');
  function apply() {
    var terms = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    tables.forEach(function (table) {
      var rows = table.tBodies[0].rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var text = rows[i].textContent.toLowerCase();
        rows[i].hidden = !terms.every(function (t) { return text.indexOf(t) !== -1; });
        if (!rows[i].hidden) shown++;
      }
      document.getElementById(table.id + '-shown').textContent = shown + ' of ' + rows.length + ' shown';
    });
  }
  function key(cell) {
    var k = cell.getAttribute('data-sort');
    return k !== null ? k : cell.textContent.trim().toLowerCase();
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== '' && b !== '' && !isNaN(x) && !isNaN(y)) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sort(table, th, dir) {
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    Array.prototype.map.call(body.rows, function (r, i) { return [key(r.cells[th.cellIndex]), i, r]; })
      .sort(function (p, q) { return dir * compare(p[0], q[0]) || p[1] - q[1]; })
      .forEach(function (p) { body.appendChild(p[2]); });
  }
  tables.forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = th.textContent;
      th.textContent = '';
      th.appendChild(button);
      button.addEventListener('click', function () {
        sort(table, th, th.getAttribute('aria-sort') === 'ascending' ? -1 : 1);
      });
    });
  });
  function fromAddress() {
    var p = new URLSearchParams(location.hash.slice(1)), q = new URLSearchParams(location.search);
    box.value = p.get('filter') || q.get('filter') || '';
    var by = p.get('sort') || q.get('sort'), desc = (p.get('order') || q.get('order')) === 'desc';
    tables.forEach(function (table) {
      var th = by && table.tHead.querySelector('th[data-key="' + by.replace(/[^a-z-]/g, '') + '"]');
      if (th) sort(table, th, desc ? -1 : 1);
    });
    apply();
  }
  box.addEventListener('input', function () {
    apply();
    try { history.replaceState(null, '', '#filter=' + encodeURIComponent(box.value)); } catch (e) { }
  });
  window.addEventListener('hashchange', fromAddress);
  document.getElementById('filter-bar').hidden = false;
  fromAddress();
})();
)JS";

// The value of a DN's first RDN, its RFC 4514 escapes undone ("a,b" of
// cn=a\2Cb,ou=...), to name a group; the DN itself when it has no '='.
std::string first_rdn_value(const std::string &dn) {
    size_t i = dn.find('=');
    if (i == std::string::npos) return dn;
    std::string value;
    for (++i; i < dn.size() && dn[i] != ',' && dn[i] != '+'; ++i) {
        if (dn[i] != '\\' || i + 1 == dn.size()) {
            value += dn[i];
        } else if (i + 2 < dn.size() && std::isxdigit(static_cast<unsigned char>(dn[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(dn[i + 2]))) {
            value += static_cast<char>(std::stoi(dn.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            value += dn[++i];
        }
    }
    return value;
}

// A DN escaped, with a line-break opportunity after each comma.
std::string dn_html(const std::string &dn) {
    std::string out;
    for (const auto c : html_escape(dn)) out += c == ',' ? std::string(",<wbr>") : std::string(1, c);
    return out;
}

// Findings by (mailbox, DN) without regard to case: those a holder row shows.
using FindingIndex = std::multimap<std::pair<std::string, std::string>, const Finding *>;

FindingIndex index_findings(const AuditReport &report) {
    FindingIndex index;
    for (const auto &f : report.findings) index.emplace(std::make_pair(lower(f.mailbox), lower(f.dn)), &f);
    return index;
}

void write_code(const Finding &f, std::ostream &out) {
    out << "<span class=\"code " << html_escape(f.code) << "\" title=\"" << html_escape(f.detail) << "\">"
        << html_escape(f.code) << "</span>";
}

void write_last_used(const AuditReport &report, const std::string &right, const Holder &h, std::ostream &out) {
    if (right == "full-access") {
        out << "<td data-sort=\"-1\" class=\"na\">not recorded</td>";
    } else if (!report.usage_read) {
        out << "<td data-sort=\"-1\" class=\"na\">not read</td>";
    } else if (!h.last_used) {
        out << "<td data-sort=\"0\" class=\"never\">never</td>";
    } else {
        out << "<td class=\"when\" data-sort=\"" << h.last_used << "\"><time datetime=\"" << time_text(h.last_used)
            << "\">" << time_text(h.last_used) << "</time>";
        if (report.generated >= h.last_used)
            out << " <span class=\"na\">(" << (report.generated - h.last_used) / 86400 << " d ago)</span>";
        out << "</td>";
    }
}

// The group path after the user: each group by its name, the DN as a tooltip.
void write_path(const Holder &h, std::ostream &out) {
    out << "<td class=\"path\">";
    if (h.path.size() <= 2) out << "direct: ";
    for (size_t i = 1; i < h.path.size(); ++i)
        out << (i > 1 ? " &rarr; " : "") << "<span title=\"" << html_escape(h.path[i]) << "\">"
            << html_escape(first_rdn_value(h.path[i])) << "</span>";
    out << "</td>";
}

void write_holder_row(const AuditReport &report, const FindingIndex &index, const std::string &mailbox,
                      const std::string &right, const Holder &h, std::ostream &out) {
    out << "<tr class=\"holder\"><td>" << html_escape(mailbox)
        << (is_domain_grant(mailbox) ? " <span class=\"na\">(domain grant)</span>" : "") << "</td><td class=\"right\">"
        << right << "</td><td>" << (h.user.empty() ? "" : "<span class=\"user\">" + html_escape(h.user) + "</span><br>")
        << "<span class=\"dn\">" << dn_html(h.dn) << "</span></td>";
    write_path(h, out);
    write_last_used(report, right, h, out);
    out << "<td>";
    const auto range = index.equal_range({lower(mailbox), lower(h.dn)});
    const char *separator = "";  // codes apart in the row's text too, for the filter
    for (auto it = range.first; it != range.second; ++it) {
        if (!it->second->right.empty() && it->second->right != right) continue;
        out << separator;
        write_code(*it->second, out);
        separator = " ";
    }
    out << "</td></tr>\n";
}

void write_rights_table(const AuditReport &report, const MailboxSelection &selected, std::ostream &out) {
    out << "<h2 id=\"rights-title\">Rights by mailbox <span class=\"shown\" id=\"rights-shown\"></span></h2>\n"
           "<table class=\"data\" id=\"rights\" aria-labelledby=\"rights-title\"><thead><tr>"
           "<th data-key=\"mailbox\">Mailbox</th><th data-key=\"right\">Right</th><th data-key=\"holder\">Holder</th>"
           "<th data-key=\"path\">Group path</th><th data-key=\"last-used\">Last used</th>"
           "<th data-key=\"findings\">Findings</th></tr></thead>\n<tbody>\n";
    const FindingIndex index = index_findings(report);
    for (const auto &entry : report.mailboxes) {
        const std::string &mailbox = entry.first;  // a lambda may not capture a structured binding in C++17
        if (!selected(mailbox)) continue;
        bool any = false;
        for_each_right(entry.second, [&](const char *right, const std::vector<Holder> &holders) {
            for (const auto &h : holders) write_holder_row(report, index, mailbox, right, h, out);
            any = any || !holders.empty();
        });
        if (!any)
            out << "<tr class=\"nobody\"><td>" << html_escape(mailbox)
                << "</td><td></td><td class=\"na\">nobody</td><td></td><td></td><td></td></tr>\n";
    }
    out << "</tbody></table>\n";
}

void write_findings_table(const AuditReport &report, const MailboxSelection &selected, std::ostream &out) {
    out << "<h2 id=\"findings-title\">Findings <span class=\"shown\" id=\"findings-shown\"></span></h2>\n"
           "<table class=\"data\" id=\"findings\" aria-labelledby=\"findings-title\"><thead><tr>"
           "<th data-key=\"code\">Code</th><th data-key=\"mailbox\">Mailbox</th><th data-key=\"right\">Right</th>"
           "<th data-key=\"entry\">Entry</th><th data-key=\"detail\">Detail</th></tr></thead>\n<tbody>\n";
    for (const auto &f : report.findings) {
        if (!selected(f.mailbox)) continue;
        out << "<tr class=\"finding\"><td>";
        write_code(f, out);
        out << "</td><td>" << html_escape(f.mailbox) << "</td><td class=\"right\">" << html_escape(f.right)
            << "</td><td class=\"dn\">" << dn_html(f.dn) << "</td><td>" << html_escape(f.detail) << "</td></tr>\n";
    }
    out << "</tbody></table>\n";
}

void write_summary(const AuditReport &report, const MailboxSelection &selected, std::ostream &out) {
    const AuditSummary s = summarize(report, selected);
    out << "<ul class=\"stats\" id=\"summary\">"
        << "<li id=\"sum-mailboxes\"><span class=\"n\">" << s.mailboxes << "</span>mailboxes</li>"
        << "<li id=\"sum-holders\"><span class=\"n\">" << s.holders << "</span>holders</li>"
        << "<li id=\"sum-rights\"><span class=\"n\">" << s.rights << "</span>rights held</li>"
        << "<li id=\"sum-unused\"" << (s.unused ? " class=\"warn\"" : "") << "><span class=\"n\">"
        << (report.usage_read ? std::to_string(s.unused) : "&ndash;") << "</span>unused rights</li>"
        << "<li id=\"sum-findings\"" << (s.findings ? " class=\"warn\"" : "") << "><span class=\"n\">" << s.findings
        << "</span>findings</li></ul>\n";
    if (s.by_code.empty()) return;
    out << "<table class=\"codes\" id=\"by-code\"><thead><tr><th>Finding</th><th>Count</th></tr></thead><tbody>\n";
    for (const auto &[code, n] : s.by_code)
        out << "<tr><td><a href=\"#filter=" << html_escape(code) << "\">" << html_escape(code) << "</a></td><td>" << n
            << "</td></tr>\n";
    out << "</tbody></table>\n";
}

void write_head(const std::string &nonce, std::ostream &out) {
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'nonce-"
        << nonce << "'; script-src 'nonce-" << nonce
        << "'; base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Access review: Send As, Send on Behalf, Full Access</title>\n"
           "<style nonce=\""
        << nonce << "\">" << style << "</style></head>\n<body>\n";
}

}  // namespace

std::string html_escape(const std::string &text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                out += "\xEF\xBF\xBD";
            else
                out += c == '\x7f' ? std::string("\xEF\xBF\xBD") : std::string(1, c);
        }
    }
    return out;
}

AuditSummary summarize(const AuditReport &report, const MailboxSelection &selected) {
    AuditSummary s;
    std::set<std::string> holders;
    for (const auto &[mailbox, rights] : report.mailboxes) {
        if (!selected(mailbox)) continue;
        ++s.mailboxes;
        for (const auto &[right, list] : rights) {
            s.rights += list.size();
            for (const auto &h : list) holders.insert(lower(h.dn));
        }
    }
    s.holders = holders.size();
    for (const auto &f : report.findings) {
        if (!selected(f.mailbox)) continue;
        ++s.findings;
        ++s.by_code[f.code];
        if (f.code == "UNUSED_RIGHT") ++s.unused;
    }
    return s;
}

void write_html(const AuditReport &report, const MailboxSelection &selected, const std::string &nonce,
                std::ostream &out) {
    write_head(nonce, out);
    out << "<h1>Access review</h1>\n<p class=\"meta\">Who holds Send As, Send on Behalf and Full Access on each "
           "mailbox, read from the directory";
    if (report.generated) out << " at " << time_text(report.generated);
    out << (report.usage_read ? ", with each holder&#39;s last use from the usage records."
                              : ". The usage records were not read: no last use, no UNUSED_RIGHT.")
        << "</p>\n";
    write_summary(report, selected, out);
    out << "<p id=\"filter-bar\" hidden><label for=\"filter\">Filter</label> <input id=\"filter\" type=\"search\" "
           "placeholder=\"mailbox, user, group, code...\" autocomplete=\"off\"></p>\n";
    write_rights_table(report, selected, out);
    write_findings_table(report, selected, out);
    out << "<script nonce=\"" << nonce << "\">" << script << "</script>\n</body></html>\n";
}

}  // namespace sendas
