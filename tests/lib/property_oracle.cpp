// The decision property and its oracle; see property_oracle.h.
//
// The oracle restates the address rule in the simplest terms it has and
// shares no code with the resolver or the policy beyond the parsed claims:
// canonical = ASCII-lower-cased domain, local part lower-cased unless
// case-sensitive; granted = own value, or a Send As / Send on Behalf group
// named exactly so with the user in it, or, for an address with a detail
// part that no group names and no entry has as a mail value, its base
// granted the same way.
#include "property_oracle.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "base/config.h"
#include "directory/directory.h"
#include "directory/resolver.h"
#include "policy/policy.h"

namespace sendas_test {
namespace {

using namespace sendas;

// Reads choices from the bytes; past the end every choice is 0.
class Bytes {
public:
    Bytes(const uint8_t *data, size_t size) : data_(data), size_(size) {}
    unsigned pick(unsigned n) { return n == 0 ? 0 : next() % n; }
    bool flag() { return pick(2) == 1; }
    std::string raw(size_t max) {
        const size_t n = pick(static_cast<unsigned>(max + 1));
        std::string out;
        for (size_t i = 0; i < n; ++i) out += static_cast<char>(next());
        return out;
    }

private:
    uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }
    const uint8_t *data_;
    size_t size_;
    size_t pos_ = 0;
};

const char *const locals[] = {"a",    "b",      "team",  "team+x", "team-x", "a+b", "a-b",   "A",
                              "Team", "TEAM+X", "team+", "+x",     "x",      "a.b", "\"a\"", "\"team+x\""};
const char *const domains[] = {"example.com", "Example.COM", "other.org", "EXAMPLE.COM"};
enum class Kind { send_as, send_on_behalf, full_access };

struct Group {
    std::string mailbox;  // as the directory spells it (cn)
    Kind kind;
    std::set<std::string> members;  // user DNs
};

struct Scenario {
    std::string config_text;
    std::vector<UserInfo> users;
    std::vector<Group> groups;
    MessageFacts facts;
    unsigned budget = 100;
};

std::string pick_address(Bytes &b) {
    std::string local = locals[b.pick(sizeof locals / sizeof *locals)];
    if (local.front() == '"') local = local.substr(1, local.size() - 2);  // directory values are unquoted
    return local + "@" + domains[b.pick(sizeof domains / sizeof *domains)];
}

// An address the directory knows (a group's or a user's), often changed a
// little (a detail added, the case changed), or one from the atoms.
std::string claimed_address(Bytes &b, const std::vector<std::string> &known) {
    if (known.empty() || b.pick(3) == 0)
        return std::string(locals[b.pick(sizeof locals / sizeof *locals)]) + "@" +
               domains[b.pick(sizeof domains / sizeof *domains)];
    std::string addr = known[b.pick(static_cast<unsigned>(known.size()))];
    const auto at = addr.rfind('@');
    switch (b.pick(5)) {
    case 0: return addr.substr(0, at) + "+tag" + addr.substr(at);
    case 1: return addr.substr(0, at) + "-tag" + addr.substr(at);
    case 2:
        for (size_t i = 0; i < at; ++i) addr[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(addr[i])));
        return addr;
    default: return addr;
    }
}

// One mailbox as a client might write it, or bytes as they come.
std::string render_mailbox(Bytes &b, const std::vector<std::string> &known) {
    const std::string addr = claimed_address(b, known);
    switch (b.pick(6)) {
    case 0: return addr;
    case 1: return "<" + addr + ">";
    case 2: return "Name <" + addr + ">";
    case 3: return "\"Q, R\" <" + addr + "> (c)";
    case 4: return "(c) " + addr;
    default: return b.raw(24);
    }
}

std::string render_list(Bytes &b, const std::vector<std::string> &known) {
    std::string out;
    for (unsigned i = 0, n = 1 + b.pick(3); i < n; ++i) out += (i ? ", " : "") + render_mailbox(b, known);
    return out;
}

Scenario build(Bytes &b) {
    Scenario s;
    static const char *const delimiters[] = {"+", "+-", "", "-"};
    std::ostringstream config;
    config << "local_domains = example.com\n"
           << "recipient_delimiter = " << delimiters[b.pick(4)] << "\n"
           << "local_part_case_sensitive = " << (b.flag() ? "yes" : "no") << "\n"
           << "foreign_from = " << (b.flag() ? "accept" : "reject") << "\n"
           << "missing_from = " << (b.flag() ? "accept" : "reject") << "\n"
           << "max_from_mailboxes = " << 1 + b.pick(4) << "\n"
           << "[rewrite]\nsend_as_envelope = " << (b.flag() ? "mailbox" : "keep") << "\n"
           << "send_as_remove_sender = " << (b.flag() ? "yes" : "no") << "\n";
    s.config_text = config.str();
    for (int i = 0; i < 3; ++i) {
        UserInfo u;
        u.dn = "uid=u" + std::to_string(i);
        u.display_name = "U" + std::to_string(i);
        for (unsigned k = 0, n = b.pick(3); k < n; ++k) u.addresses.push_back(pick_address(b));
        s.users.push_back(u);
    }
    for (unsigned i = 0, n = 1 + b.pick(6); i < n; ++i) {
        Group g{pick_address(b), static_cast<Kind>(b.pick(3)), {}};
        for (int k = 0; k < 3; ++k)
            if (b.flag()) g.members.insert("uid=u" + std::to_string(k));
        s.groups.push_back(g);
    }
    std::vector<std::string> known;
    for (const auto &g : s.groups) known.push_back(g.mailbox);
    for (const auto &u : s.users) known.insert(known.end(), u.addresses.begin(), u.addresses.end());
    static const char *const logins[] = {"u0", "u1", "u2", "u0", "u1", "nobody", ""};
    s.facts.queue_id = "P";
    s.facts.auth_user = logins[b.pick(7)];
    // One From: mostly; none and two now and then.
    const unsigned from_headers = std::min(b.pick(8), 3u);
    for (unsigned i = 0, n = from_headers == 3 ? 1 : from_headers == 0 ? 0 : 1 + (from_headers == 2); i < n; ++i)
        s.facts.from_values.push_back(b.pick(3) ? render_mailbox(b, known) : render_list(b, known));
    if (b.pick(3) == 0) s.facts.sender_values.push_back(render_mailbox(b, known));
    if (b.pick(4) == 0) s.facts.resent_from_values.push_back(render_list(b, known));
    if (b.pick(4) == 0) s.facts.resent_sender_values.push_back(render_mailbox(b, known));
    switch (b.pick(5)) {
    case 0: s.facts.envelope_from = b.raw(20); break;
    case 1: s.facts.envelope_from = "<" + claimed_address(b, known) + ">"; break;
    default: s.facts.envelope_from = "<>";
    }
    s.budget = 1 + b.pick(30);
    return s;
}

// The Directory contract, kept naively: users by login or (folding case,
// as LDAP does) by mail; rights groups that name the address exactly.
class ScenarioDirectory : public Directory {
public:
    ScenarioDirectory(const Scenario &s, bool case_sensitive) : s_(s), case_sensitive_(case_sensitive) {}

    Answer<UserInfo> find_user(const std::string &login, LookupContext &context) override {
        if (!context.charge()) return {LookupStatus::unavailable, {}};
        for (const auto &u : s_.users)
            if (u.dn == "uid=" + login) return {LookupStatus::found, u};
        return {LookupStatus::not_found, {}};
    }
    Answer<MailboxRights> find_rights(const std::string &, const UserInfo &user, const std::string &mailbox,
                                      LookupContext &context) override {
        if (!context.charge()) return {LookupStatus::unavailable, {}};
        Answer<MailboxRights> answer{LookupStatus::found, {}};
        MailboxRights &rights = answer.value;
        for (const auto &g : s_.groups) {
            if (canon(g.mailbox) != mailbox) continue;
            rights.is_mailbox = true;
            if (!g.members.count(user.dn)) continue;
            (g.kind == Kind::send_as          ? rights.send_as
             : g.kind == Kind::send_on_behalf ? rights.send_on_behalf
                                              : rights.full_access) = true;
        }
        for (const auto &u : s_.users)
            for (const auto &mail : u.addresses)
                if (canon(mail) == mailbox) rights.is_mailbox = true;
        return answer;
    }
    std::string probe() override { return ""; }
    std::map<std::string, unsigned long long> stats() const override { return {{"ldap_searches", 0}}; }

    std::string canon(const std::string &address) const {
        const auto at = address.rfind('@');
        std::string local = address.substr(0, at), domain = address.substr(at + 1);
        for (auto &c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!case_sensitive_)
            for (auto &c : local) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return local + "@" + domain;
    }

private:
    const Scenario &s_;
    const bool case_sensitive_;
};

class Oracle {
public:
    Oracle(const Scenario &s, const Config &config, const ScenarioDirectory &directory)
        : s_(s), config_(config), directory_(directory) {}

    bool local(const Mailbox &m) const { return config_.is_local_domain(lower_ascii(m.domain)); }

    // The address as the oracle compares it.
    std::string canon(const Mailbox &m) const { return directory_.canon(m.local + "@" + m.domain); }

    bool granted(const std::string &login, const std::string &address) const {
        if (granted_exactly(login, address)) return true;
        if (is_mailbox(address)) return false;
        const auto at = address.rfind('@');
        const auto cut = config_.recipient_delimiter.empty() ? std::string::npos
                                                             : address.find_first_of(config_.recipient_delimiter);
        if (cut == std::string::npos || cut == 0 || cut > at) return false;
        return granted_exactly(login, address.substr(0, cut) + address.substr(at));
    }

    bool owns(const std::string &login, const std::string &address) const {
        for (const auto &u : s_.users)
            if (u.dn == "uid=" + login)
                for (const auto &mail : u.addresses)
                    if (directory_.canon(mail) == address) return true;
        return false;
    }

private:
    bool granted_exactly(const std::string &login, const std::string &address) const {
        if (owns(login, address)) return true;
        for (const auto &g : s_.groups)
            if (directory_.canon(g.mailbox) == address && g.kind != Kind::full_access &&
                g.members.count("uid=" + login))
                return true;
        return false;
    }
    bool is_mailbox(const std::string &address) const {
        for (const auto &g : s_.groups)
            if (directory_.canon(g.mailbox) == address) return true;
        for (const auto &u : s_.users)
            for (const auto &mail : u.addresses)
                if (directory_.canon(mail) == address) return true;
        return false;
    }
    static std::string lower_ascii(std::string s) {
        for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

    const Scenario &s_;
    const Config &config_;
    const ScenarioDirectory &directory_;
};

std::string describe(const Scenario &s, const Decision &d) {
    std::ostringstream out;
    out << "config:\n" << s.config_text << "login: " << s.facts.auth_user << "\nenvelope: " << s.facts.envelope_from;
    for (const auto &v : s.facts.from_values) out << "\nFrom: " << v;
    for (const auto &v : s.facts.sender_values) out << "\nSender: " << v;
    for (const auto &v : s.facts.resent_from_values) out << "\nResent-From: " << v;
    for (const auto &v : s.facts.resent_sender_values) out << "\nResent-Sender: " << v;
    for (const auto &u : s.users) {
        out << "\nuser " << u.dn << ":";
        for (const auto &a : u.addresses) out << " " << a;
    }
    for (const auto &g : s.groups) {
        out << "\ngroup " << g.mailbox << " kind " << static_cast<int>(g.kind) << ":";
        for (const auto &m : g.members) out << " " << m;
    }
    out << "\ndecision: verdict " << static_cast<int>(d.verdict) << " right " << right_name(d.right) << " reason "
        << reason_name(d.reason);
    for (const auto &c : d.checked) out << "\nchecked " << role_name(c.role) << " " << c.address << " base " << c.base;
    return out.str();
}

}  // namespace

std::string check_decision_property(const uint8_t *data, size_t size, PropertyCoverage *coverage) {
    Bytes bytes(data, size);
    const Scenario s = build(bytes);
    // A few hundred configs in all: load each once (Boost is slow at it).
    static std::map<std::string, std::shared_ptr<const Config>> configs;
    auto &config = configs[s.config_text];
    try {
        if (!config) config = load_config_text(s.config_text, "property");
    } catch (const ConfigError &e) {
        return std::string("the scenario's config does not load: ") + e.what();
    }
    ScenarioDirectory directory(s, config->local_part_case_sensitive);
    LookupContext context(s.budget);
    const Claims claims = parse_claims(s.facts);
    const DirectoryAnswers answers = gather_answers(s.facts, claims, directory, *config, context);
    const Decision d = decide(s.facts, claims, answers, *config);
    if (coverage) {
        ++coverage->scenarios;
        if (d.verdict == Verdict::reject) ++coverage->rejected;
        if (d.verdict == Verdict::accept && !s.facts.auth_user.empty()) {
            ++coverage->accepted;
            if (d.right == Right::send_as || d.right == Right::send_on_behalf) ++coverage->accepted_with_right;
            if (std::any_of(d.checked.begin(), d.checked.end(),
                            [](const CheckedAddress &c) { return !c.base.empty(); }))
                ++coverage->decided_by_base;
        }
    }
    if (d.verdict != Verdict::accept || s.facts.auth_user.empty()) return "";

    const Oracle oracle(s, *config, directory);
    const std::string &login = s.facts.auth_user;
    std::string violation;
    auto require = [&](const char *what, const Mailbox &m) {
        if (!violation.empty() || !oracle.local(m)) return;
        if (!oracle.granted(login, oracle.canon(m)))
            violation = std::string("accepted ") + what + " <" + m.address() + "> that is not granted";
    };
    for (const auto &m : claims.authors) require("From:", m);
    for (const auto &m : claims.resent_authors) require("Resent-From:", m);
    if (claims.resent_sender) require("Resent-Sender:", *claims.resent_sender);
    if (claims.envelope) require("envelope sender", *claims.envelope);
    // A Sender: is either replaced, removed, or itself granted.
    if (claims.sender && !d.set_sender && !d.remove_sender) require("Sender:", *claims.sender);
    if (d.set_sender) {
        const auto parsed = parse_mailbox_list(*d.set_sender);
        if (!parsed.ok() || parsed.mailboxes.size() != 1 || !oracle.owns(login, oracle.canon(parsed.mailboxes[0])))
            violation = "Sender: set to " + *d.set_sender + ", not an own address";
    }
    if (d.envelope_from) {
        Mailbox m;
        if (!parse_envelope_address(*d.envelope_from, m) ||
            (oracle.local(m) && !oracle.granted(login, oracle.canon(m))))
            violation = "envelope sender set to " + *d.envelope_from + ", not granted";
    }
    return violation.empty() ? "" : violation + "\n" + describe(s, d);
}

}  // namespace sendas_test
