// Unit tests for config.cpp: the option table behind the config file, the
// long options, --help and validation (sendas-milter.conf(5)).
#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/duration.h"
#include "base/options.h"
#include "text.h"

using namespace std::string_literals;
using sendas::CommandLine;
using sendas::Config;
using sendas::ConfigError;
using sendas_test::contains;
using sendas_test::join;

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string words(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &w : v) out += (out.empty() ? "" : " ") + w;
    return out;
}

std::string name_of(sendas::ForeignFrom v) { return v == sendas::ForeignFrom::reject ? "reject" : "accept"; }
std::string name_of(sendas::UnauthLocalFrom v) { return v == sendas::UnauthLocalFrom::reject ? "reject" : "accept"; }
std::string name_of(sendas::MissingFrom v) { return v == sendas::MissingFrom::reject ? "reject" : "accept"; }
std::string name_of(sendas::SendAsEnvelope v) { return v == sendas::SendAsEnvelope::keep ? "keep" : "mailbox"; }
std::string name_of(sendas::SentCopyTarget v) {
    switch (v) {
    case sendas::SentCopyTarget::owner: return "owner";
    case sendas::SentCopyTarget::sender: return "sender";
    case sendas::SentCopyTarget::both: return "both";
    case sendas::SentCopyTarget::none: return "none";
    }
    return "?";
}
std::string name_of(sendas::LdapLayout v) { return v == sendas::LdapLayout::groups ? "groups" : "ad"; }
std::string name_of(sendas::DirectoryErrorAction v) {
    switch (v) {
    case sendas::DirectoryErrorAction::tempfail: return "tempfail";
    case sendas::DirectoryErrorAction::accept: return "accept";
    case sendas::DirectoryErrorAction::reject: return "reject";
    }
    return "?";
}

// Message of the ConfigError `load` throws, or "(no error)".
std::string error_of(const std::function<void()> &load) {
    try {
        load();
    } catch (const ConfigError &e) {
        return e.what();
    }
    return "(no error)";
}

// "ldap.uri" -> "[ldap]\nuri = VALUE\n"; "socket" -> "socket = VALUE\n".
std::string ini_line(const std::string &key, const std::string &value) {
    const auto dot = key.find('.');
    if (dot == std::string::npos) return key + " = " + value + "\n";
    return "[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) + " = " + value + "\n";
}

std::shared_ptr<const Config> load(const std::string &text, const std::vector<std::string> &overrides = {}) {
    return sendas::load_config_text(text, "test.conf", overrides);
}

// One row per key: its default, a valid other value, and how to read it back.
struct KeyCase {
    const char *key;
    const char *expected_default;
    const char *other_value;  // nullptr: cannot be set alone (tested separately)
    const char *other_read_back;
    std::function<std::string(const Config &)> get;
};

const std::vector<KeyCase> &key_cases() {
    static const std::vector<KeyCase> table = {
        {"socket", "unix:/run/sendas-milter/milter.sock", "inet:8891@127.0.0.1", "inet:8891@127.0.0.1",
         [](const Config &c) { return c.socket; }},
        {"user", "sendas-milter", "milter", "milter", [](const Config &c) { return c.user; }},
        {"group", "sendas-milter", "postfix", "postfix", [](const Config &c) { return c.group; }},
        {"pidfile", "", "/run/sendas-milter/pid", "/run/sendas-milter/pid", [](const Config &c) { return c.pidfile; }},
        {"local_domains", "", "Example.COM  example.org", "example.com example.org",
         [](const Config &c) { return words(c.local_domains); }},
        {"foreign_from", "reject", "accept", "accept", [](const Config &c) { return name_of(c.foreign_from); }},
        {"unauthenticated_local_from", "accept", "reject", "reject",
         [](const Config &c) { return name_of(c.unauthenticated_local_from); }},
        {"missing_from", "accept", "reject", "reject", [](const Config &c) { return name_of(c.missing_from); }},
        {"on_directory_error", "tempfail", "reject", "reject",
         [](const Config &c) { return name_of(c.on_directory_error); }},
        {"recipient_delimiter", "+", "-", "-", [](const Config &c) { return c.recipient_delimiter; }},
        {"local_part_case_sensitive", "no", "yes", "yes",
         [](const Config &c) { return yes_no(c.local_part_case_sensitive); }},
        {"ldap.uri", "ldap://127.0.0.1/", "ldap://a.example/ ldap://b.example/", "ldap://a.example/ ldap://b.example/",
         [](const Config &c) { return c.ldap.uri; }},
        {"ldap.bind_dn", "", nullptr, nullptr, [](const Config &c) { return c.ldap.bind_dn; }},
        {"ldap.bind_password_file", "", nullptr, nullptr, [](const Config &c) { return c.ldap.bind_password_file; }},
        {"ldap.base", "dc=example,dc=com", "dc=corp,dc=example", "dc=corp,dc=example",
         [](const Config &c) { return c.ldap.base; }},
        {"ldap.user_filter", "(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)))", "(uid=%u)", "(uid=%u)",
         [](const Config &c) { return c.ldap.user_filter; }},
        {"ldap.send_as_base", "ou=send-as,ou=mailbox-rights,dc=example,dc=com", "ou=sa,dc=corp", "ou=sa,dc=corp",
         [](const Config &c) { return c.ldap.send_as_base; }},
        {"ldap.send_on_behalf_base", "ou=send-on-behalf,ou=mailbox-rights,dc=example,dc=com", "ou=sob,dc=corp",
         "ou=sob,dc=corp", [](const Config &c) { return c.ldap.send_on_behalf_base; }},
        {"ldap.full_access_base", "ou=full-access,ou=mailbox-rights,dc=example,dc=com", "ou=fa,dc=corp",
         "ou=fa,dc=corp", [](const Config &c) { return c.ldap.full_access_base; }},
        {"ldap.group_filter", "(&(objectClass=groupOfNames)(cn=%m))", "(&(cn=%m)(member=%D))", "(&(cn=%m)(member=%D))",
         [](const Config &c) { return c.ldap.group_filter; }},
        {"ldap.sent_copy_owner_base", "", "ou=to-owner,dc=corp", "ou=to-owner,dc=corp",
         [](const Config &c) { return c.ldap.sent_copy_owner_base; }},
        {"ldap.sent_copy_sender_base", "", "ou=to-sender,dc=corp", "ou=to-sender,dc=corp",
         [](const Config &c) { return c.ldap.sent_copy_sender_base; }},
        {"ldap.sent_copy_both_base", "", "ou=to-both,dc=corp", "ou=to-both,dc=corp",
         [](const Config &c) { return c.ldap.sent_copy_both_base; }},
        {"ldap.member_attribute", "member", "uniqueMember", "uniqueMember",
         [](const Config &c) { return c.ldap.member_attribute; }},
        // The struct's own default: the option table must agree with it.
        {"ldap.display_name_attribute", nullptr, "displayName", "displayName",
         [](const Config &c) { return c.ldap.display_name_attribute; }},
        {"ldap.mail_attribute", "mail", "proxyAddresses", "proxyAddresses",
         [](const Config &c) { return c.ldap.mail_attribute; }},
        {"ldap.nested_depth", "5", "0", "0", [](const Config &c) { return std::to_string(c.ldap.nested_depth); }},
        {"ldap.timeout", "5", "10", "10", [](const Config &c) { return std::to_string(c.ldap.timeout); }},
        {"ldap.pool_size", "8", "2", "2", [](const Config &c) { return std::to_string(c.ldap.pool_size); }},
        {"ldap.max_searches_per_message", "200", "30", "30",
         [](const Config &c) { return std::to_string(c.ldap.max_searches_per_message); }},
        {"max_from_mailboxes", "10", "3", "3", [](const Config &c) { return std::to_string(c.max_from_mailboxes); }},
        {"ldap.starttls", "no", "yes", "yes", [](const Config &c) { return yes_no(c.ldap.starttls); }},
        {"ldap.ca_file", "", "/etc/ssl/certs/ca.pem", "/etc/ssl/certs/ca.pem",
         [](const Config &c) { return c.ldap.ca_file; }},
        {"ldap.watch", "auto", "poll", "poll",
         [](const Config &c) {
             switch (c.ldap.watch) {
             case sendas::WatchMode::automatic: return "auto"s;
             case sendas::WatchMode::syncrepl: return "syncrepl"s;
             case sendas::WatchMode::poll: return "poll"s;
             case sendas::WatchMode::off: return "off"s;
             }
             return "?"s;
         }},
        {"ldap.change_poll", "2", "30", "30", [](const Config &c) { return std::to_string(c.ldap.change_poll); }},
        {"ldap.layout", "groups", "ad", "ad", [](const Config &c) { return name_of(c.ldap.layout); }},
        {"ldap.allow_plaintext_bind", "no", "yes", "yes",
         [](const Config &c) { return yes_no(c.ldap.allow_plaintext_bind); }},
        {"ldap.sasl_mech", "", "EXTERNAL", "EXTERNAL", [](const Config &c) { return c.ldap.sasl_mech; }},
        {"ldap.keytab", "", "/etc/sendas-milter/ldap.keytab", "/etc/sendas-milter/ldap.keytab",
         [](const Config &c) { return c.ldap.keytab; }},
        {"ldap.send_as_full_control", "no", "yes", "yes",
         [](const Config &c) { return yes_no(c.ldap.send_as_full_control); }},
        {"redis.address", "", "[::1]:6379", "[::1]:6379", [](const Config &c) { return c.redis.address; }},
        {"redis.hmac_key_file", "", nullptr, nullptr, [](const Config &c) { return c.redis.hmac_key_file; }},
        {"redis.user", "", "sendas", "sendas", [](const Config &c) { return c.redis.user; }},
        {"rewrite.send_as_remove_sender", "yes", "no", "no",
         [](const Config &c) { return yes_no(c.rewrite.send_as_remove_sender); }},
        {"rewrite.send_as_envelope", "keep", "mailbox", "mailbox",
         [](const Config &c) { return name_of(c.rewrite.send_as_envelope); }},
        {"sent_copy.send_as", "yes", "no", "no", [](const Config &c) { return yes_no(c.sent_copy.send_as); }},
        {"sent_copy.send_on_behalf", "yes", "no", "no",
         [](const Config &c) { return yes_no(c.sent_copy.send_on_behalf); }},
        {"sent_copy.target", "owner", "both", "both", [](const Config &c) { return name_of(c.sent_copy.target); }},
        {"log_level", "info", "debug", "debug",
         [](const Config &c) { return c.log_level == sendas::LogLevel::debug ? "debug" : "info"; }},
        {"milter.timeout", "7210", "30", "30", [](const Config &c) { return std::to_string(c.milter.timeout); }},
        {"milter.backlog", "4096", "64", "64", [](const Config &c) { return std::to_string(c.milter.backlog); }},
        {"sent_copy.address", "%l+Sent@%d", "archive+%m@example.net", "archive+%m@example.net",
         [](const Config &c) { return c.sent_copy.address; }},
        {"usage.record", "yes", "no", "no", [](const Config &c) { return yes_no(c.usage.record); }},
        {"usage.state_file", "/var/lib/sendas-milter/usage", "/srv/usage", "/srv/usage",
         [](const Config &c) { return c.usage.state_file; }},
        {"usage.retention", "180d", "2592000m", "1800d",
         [](const Config &c) { return sendas::format_duration(c.usage.retention); }},
        {"alerts.daily_threshold", "0", "500", "500",
         [](const Config &c) { return std::to_string(c.alerts.daily_threshold); }},
        {"alerts.median_factor", "0", "10", "10",
         [](const Config &c) { return std::to_string(c.alerts.median_factor); }},
    };
    return table;
}

// A temporary file removed when the test ends.
class TempFile {
public:
    explicit TempFile(const std::string &content) {
        char name[] = "/tmp/sendas-config-test-XXXXXX";
        const int fd = mkstemp(name);
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        path_ = name;
        const ssize_t written = write(fd, content.data(), content.size());
        close(fd);
        if (written != static_cast<ssize_t>(content.size())) throw std::runtime_error("write failed");
    }
    ~TempFile() { unlink(path_.c_str()); }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

CommandLine parse(std::vector<const char *> args) {
    args.insert(args.begin(), "sendas-milter");
    return sendas::parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

class ConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigTest);
    CPPUNIT_TEST(testDefaults);
    CPPUNIT_TEST(testEveryKeyInItsSection);
    CPPUNIT_TEST(testEveryKeyAsLongOption);
    CPPUNIT_TEST(testFileSyntax);
    CPPUNIT_TEST(testMalformedLinesNameFileLine);
    CPPUNIT_TEST(testUnknownKeyRefused);
    CPPUNIT_TEST(testUnknownKeyWithHyphen);
    CPPUNIT_TEST(testBadValuesNameFileLineKey);
    CPPUNIT_TEST(testBooleansAreYesNo);
    CPPUNIT_TEST(testDuplicateKeyRefused);
    CPPUNIT_TEST(testOverridesWinOverFile);
    CPPUNIT_TEST(testOverrideErrors);
    CPPUNIT_TEST(testOverrideErrorDoesNotBlameTheFile);
    CPPUNIT_TEST(testNoSecretOnCommandLine);
    CPPUNIT_TEST(testBindDnNeedsPasswordFile);
    CPPUNIT_TEST(testBindPasswordFileRead);
    CPPUNIT_TEST(testPlaintextBindRefused);
    CPPUNIT_TEST(testSaslMechanisms);
    CPPUNIT_TEST(testAdLayoutDefaults);
    CPPUNIT_TEST(testUnreadablePasswordFile);
    CPPUNIT_TEST(testHmacKeyFileRead);
    CPPUNIT_TEST(testHmacKeyFileRefused);
    CPPUNIT_TEST(testRedisAddressPorts);
    CPPUNIT_TEST(testRedisSentinels);
    CPPUNIT_TEST(testRedisIntegrityWarning);
    CPPUNIT_TEST(testParseCommandLine);
    CPPUNIT_TEST(testParseCommandLineErrors);
    CPPUNIT_TEST(testSyntaxOnly);
    CPPUNIT_TEST(testStrayArgumentsRefused);
    CPPUNIT_TEST(testRestartKeys);
    CPPUNIT_TEST(testCommandLineRoundTrip);
    CPPUNIT_TEST(testLoadConfigFile);
    CPPUNIT_TEST(testHelpListsEveryKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDefaults() {
        auto config = load("");
        const Config plain;
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf"), config->source);
        for (const auto &k : key_cases()) {
            const std::string expected = k.expected_default ? k.expected_default : k.get(plain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(k.key) + " default", expected, k.get(*config));
            // The option table and the struct's initialisers must agree.
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(k.key) + " struct default", expected, k.get(plain));
        }
        CPPUNIT_ASSERT_MESSAGE("display name attribute is cn or displayName (sendas-milter.conf(5))",
                               contains(config->ldap.display_name_attribute, "cn") ||
                                   contains(config->ldap.display_name_attribute, "displayName"));
        CPPUNIT_ASSERT_EQUAL(std::string(), config->ldap.bind_password);
    }

    void testEveryKeyInItsSection() {
        for (const auto &k : key_cases()) {
            if (!k.other_value) continue;
            const std::string text = "# a comment\n" + ini_line(k.key, k.other_value);
            std::shared_ptr<const Config> config;
            const std::string error = error_of([&] { config = load(text); });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("(no error)"), error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string(k.other_read_back), k.get(*config));
        }
    }

    void testEveryKeyAsLongOption() {
        for (const auto &k : key_cases()) {
            if (!k.other_value) continue;
            const std::vector<std::string> overrides = {"--" + std::string(k.key), k.other_value};
            std::shared_ptr<const Config> config;
            const std::string error = error_of([&] { config = load("", overrides); });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(k.key, std::string("(no error)"), error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(k.key, std::string(k.other_read_back), k.get(*config));
        }
    }

    void testFileSyntax() {
        auto config = load(
            "# sample\n"
            "local_domains = example.com example.org\n"
            "foreign_from = accept\n"
            "\n"
            "[ldap]\n"
            "# failover\n"
            "uri = ldap://a.example/ ldap://b.example/\n"
            "  timeout = 3\n"
            "[rewrite]\n"
            "send_as_envelope = mailbox\n"
            "[sent_copy]\n"
            "send_on_behalf = no\n");
        CPPUNIT_ASSERT_EQUAL(std::string("example.com example.org"), words(config->local_domains));
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), name_of(config->foreign_from));
        CPPUNIT_ASSERT_EQUAL(std::string("ldap://a.example/ ldap://b.example/"), config->ldap.uri);
        CPPUNIT_ASSERT_EQUAL(3u, config->ldap.timeout);
        CPPUNIT_ASSERT_EQUAL(std::string("mailbox"), name_of(config->rewrite.send_as_envelope));
        CPPUNIT_ASSERT_EQUAL(false, config->sent_copy.send_on_behalf);
        CPPUNIT_ASSERT_EQUAL(true, config->sent_copy.send_as);
        CPPUNIT_ASSERT(config->is_local_domain("example.org"));
        CPPUNIT_ASSERT(!config->is_local_domain("other.example"));
        CPPUNIT_ASSERT(!config->is_local_domain("sub.example.com"));
    }

    // Each shape once aborted the loader with std::out_of_range.
    void testMalformedLinesNameFileLine() {
        const std::pair<const char *, const char *> cases[] = {
            {"[ldap\nuri = ldap://x/\n", "test.conf:1: section header without closing ']'"},
            {"# c\nsocket\n", "test.conf:2: expected 'key = value' or '[section]', got 'socket'"},
            {"= value\n", "test.conf:1: expected a key name before '='"},
            {"[]\n", "test.conf:1: expected a section name such as [ldap]"},
            {"[ldap]\nuri ldap://x/ more words\n", "test.conf:2: expected 'key = value' or '[section]'"},
            {"[ ]\n", "test.conf:1: expected a section name such as [ldap]"},
            {"bad key = 1\n", "test.conf:1: expected a key name before '='"},
            {"--- = 1\n", "test.conf:1: expected a key name before '='"},
            {"%canonical_option% = 1\n", "test.conf:1: expected a key name before '='"},
        };
        for (const auto &[text, expected] : cases) {
            const std::string error = error_of([&] { load(text); });
            CPPUNIT_ASSERT_MESSAGE(text + (" -> " + error), error.rfind(expected, 0) == 0);
        }
        // A trailing comment is fine, as Boost strips it.
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"),
                             error_of([&] { load("[ldap] # the directory\ntimeout = 3 # seconds\n"); }));
    }

    void testUnknownKeyRefused() {
        struct UnknownCase {
            const char *text;
            const char *location;  // FILE:LINE
            const char *key;
        };
        const UnknownCase unknown_cases[] = {
            {"local_domains = example.com\n[ldap]\nurii = ldap://x/\n", "test.conf:3", "ldap.urii"},
            {"# c\n\nurii = x\n", "test.conf:3", "urii"},
            {"[ldapp]\nuri = ldap://x/\n", "test.conf:2", "ldapp.uri"},
            {"[ldap]\nbind_password = secret\n", "test.conf:2", "ldap.bind_password"},
            {"[ldap]\nur = ldap://x/\n", "test.conf:2", "ldap.ur"},
        };
        for (const auto &c : unknown_cases) {
            const std::string error = error_of([&] { load(c.text); });
            CPPUNIT_ASSERT_MESSAGE(std::string(c.text) + " -> " + error,
                                   contains(error, std::string(c.location) + ": " + c.key));
        }
    }

    // A key spelled with '-' instead of '_' (send-as, bind-dn) is unknown and
    // must be named like any other.
    void testUnknownKeyWithHyphen() {
        struct UnknownCase {
            const char *text;
            const char *expected;
        };
        const UnknownCase unknown_cases[] = {
            {"[sent_copy]\nsend-as = no\n", "test.conf:2: sent_copy.send-as"},
            {"\non-directory-error = accept\n", "test.conf:2: on-directory-error"},
        };
        for (const auto &c : unknown_cases) {
            const std::string error = error_of([&] { load(c.text); });
            CPPUNIT_ASSERT_MESSAGE(std::string(c.text) + " -> " + error, contains(error, c.expected));
        }
    }

    void testBadValuesNameFileLineKey() {
        struct BadCase {
            std::string text;
            const char *location;  // "FILE:LINE: key"
            const char *value;     // the refused value, quoted in the message
        };
        const BadCase bad_cases[] = {
            {"[ldap]\nstarttls = true\n", "test.conf:2: ldap.starttls", "true"},
            {"local_part_case_sensitive = Yes\n", "test.conf:1: local_part_case_sensitive", "Yes"},
            {"[rewrite]\nsend_as_remove_sender = 1\n", "test.conf:2: rewrite.send_as_remove_sender", "1"},
            {"foreign_from = maybe\n", "test.conf:1: foreign_from", "maybe"},
            {"max_from_mailboxes = 0\n", "test.conf:1: max_from_mailboxes", "0"},
            {"[ldap]\nmax_searches_per_message = 0\n", "test.conf:2: ldap.max_searches_per_message", "0"},
            {"[ldap]\nwatch = yes\n", "test.conf:2: ldap.watch", "yes"},
            {"[ldap]\nchange_poll = 0\n", "test.conf:2: ldap.change_poll", "0"},
            {"[ldap]\nchange_poll = 3601\n", "test.conf:2: ldap.change_poll", "3601"},
            {"\nunauthenticated_local_from = REJECT\n", "test.conf:2: unauthenticated_local_from", "REJECT"},
            {"missing_from = ignore\n", "test.conf:1: missing_from", "ignore"},
            {"on_directory_error = retry\n", "test.conf:1: on_directory_error", "retry"},
            {"[rewrite]\nsend_as_envelope = sender\n", "test.conf:2: rewrite.send_as_envelope", "sender"},
            {"[ldap]\ntimeout = 5s\n", "test.conf:2: ldap.timeout", "5s"},
            {"[ldap]\ntimeout = -1\n", "test.conf:2: ldap.timeout", "-1"},
            {"[ldap]\ntimeout = 0\n", "test.conf:2: ldap.timeout", "0"},
            {"[ldap]\ntimeout = 99999999999\n", "test.conf:2: ldap.timeout", "99999999999"},
            {"[ldap]\nnested_depth = 65\n", "test.conf:2: ldap.nested_depth", "65"},
            {"[ldap]\nnested_depth = five\n", "test.conf:2: ldap.nested_depth", "five"},
            {"[ldap]\npool_size = 0\n", "test.conf:2: ldap.pool_size", "0"},
            {"[ldap]\nuser_filter = uid=%u\n", "test.conf:2: ldap.user_filter", "uid=%u"},
            {"[ldap]\ngroup_filter = cn=%m\n", "test.conf:2: ldap.group_filter", "cn=%m"},
            {"[ldap]\nuri =\n", "test.conf:2: ldap.uri", "''"},
            {"socket =\n", "test.conf:1: socket", "''"},
            {"[sent_copy]\naddress = Sent\n", "test.conf:2: sent_copy.address", "Sent"},
            {"[sent_copy]\ntarget = user\n", "test.conf:2: sent_copy.target", "user"},
            {"[sent_copy]\ntarget = Both\n", "test.conf:2: sent_copy.target", "Both"},
            {"[redis]\naddress = 127.0.0.1:99999999999\n", "test.conf:2: redis.address", "99999999999"},
            {"[redis]\naddress = 127.0.0.1:65536\n", "test.conf:2: redis.address", "65536"},
            {"[redis]\naddress = 127.0.0.1:0\n", "test.conf:2: redis.address", "127.0.0.1:0"},
            {"[redis]\naddress = 127.0.0.1:\n", "test.conf:2: redis.address", "127.0.0.1:"},
            {"[redis]\naddress = :6379\n", "test.conf:2: redis.address", ":6379"},
            {"[redis]\naddress = 6379\n", "test.conf:2: redis.address", "6379"},
            {"[redis]\naddress = redis.example:-1\n", "test.conf:2: redis.address", "-1"},
            {"[usage]\nretention = 30d\n", "test.conf:2: usage.retention", "31d"},
            {"[usage]\nretention = 180x\n", "test.conf:2: usage.retention", "180x"},
            {"[usage]\nretention = -5d\n", "test.conf:2: usage.retention", "-5d"},
            {"[usage]\nstate_file =\n", "test.conf:2: usage.state_file", "''"},
            {"[alerts]\ndaily_threshold = -1\n", "test.conf:2: alerts.daily_threshold", "-1"},
            {"[alerts]\nmedian_factor = 10001\n", "test.conf:2: alerts.median_factor", "10001"},
            {"log_level = verbose\n", "test.conf:1: log_level", "verbose"},
            {"log_level = DEBUG\n", "test.conf:1: log_level", "DEBUG"},
            {"[milter]\ntimeout = 0\n", "test.conf:2: milter.timeout", "0"},
            {"[milter]\ntimeout = 86401\n", "test.conf:2: milter.timeout", "86401"},
            {"[milter]\nbacklog = 0\n", "test.conf:2: milter.backlog", "0"},
            {"[milter]\nbacklog = 65536\n", "test.conf:2: milter.backlog", "65536"},
        };
        for (const auto &c : bad_cases) {
            const std::string error = error_of([&] { load(c.text); });
            CPPUNIT_ASSERT_MESSAGE(c.text + " -> " + error, contains(error, std::string(c.location) + ": "));
            CPPUNIT_ASSERT_MESSAGE(c.text + " -> " + error, contains(error, c.value));
        }
    }

    void testBooleansAreYesNo() {
        const char *const keys[] = {"local_part_case_sensitive", "ldap.starttls", "rewrite.send_as_remove_sender",
                                    "sent_copy.send_as", "sent_copy.send_on_behalf"};
        const char *const refused[] = {"true", "false", "on", "off", "1", "0", "YES", "No", "y", ""};
        for (const char *key : keys) {
            for (const char *value : {"yes", "no"})
                CPPUNIT_ASSERT_EQUAL_MESSAGE(ini_line(key, value), std::string("(no error)"),
                                             error_of([&] { load(ini_line(key, value)); }));
            for (const char *value : refused) {
                const std::string error = error_of([&] { load(ini_line(key, value)); });
                CPPUNIT_ASSERT_MESSAGE(ini_line(key, value) + " -> " + error,
                                       contains(error, "test.conf:") && contains(error, key));
            }
        }
    }

    void testDuplicateKeyRefused() {
        struct DupCase {
            const char *text;
            const char *key;
        };
        const DupCase dup_cases[] = {
            {"[ldap]\nuri = ldap://a/\nuri = ldap://b/\n", "ldap.uri"},
            {"foreign_from = reject\nforeign_from = accept\n", "foreign_from"},
            {"[ldap]\nuri = ldap://a/\n[sent_copy]\nsend_as = no\n[ldap]\nuri = ldap://b/\n", "ldap.uri"},
        };
        for (const auto &c : dup_cases) {
            const std::string error = error_of([&] { load(c.text); });
            CPPUNIT_ASSERT_MESSAGE(std::string(c.text) + " -> " + error,
                                   contains(error, "test.conf:") && contains(error, c.key));
        }
    }

    void testOverridesWinOverFile() {
        const std::string text = "foreign_from = reject\n[ldap]\nuri = ldap://file.example/\ntimeout = 3\n";
        auto config =
            load(text, {"--ldap.uri", "ldap://cmdline.example/", "--foreign_from", "accept", "--sent_copy.send_as=no"});
        CPPUNIT_ASSERT_EQUAL(std::string("ldap://cmdline.example/"), config->ldap.uri);
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), name_of(config->foreign_from));
        CPPUNIT_ASSERT_EQUAL(false, config->sent_copy.send_as);
        // Keys not overridden keep the file's value.
        CPPUNIT_ASSERT_EQUAL(3u, config->ldap.timeout);
        // Overriding a key the file does not set is not a duplicate either.
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"), error_of([&] { load(text, {"--missing_from", "reject"}); }));
    }

    void testOverrideErrors() {
        struct OverrideCase {
            std::vector<std::string> overrides;
            const char *must_contain;
        };
        const OverrideCase override_cases[] = {
            {{"--ldap.urii", "x"}, "ldap.urii"},
            {{"--ldap.starttls", "true"}, "ldap.starttls"},
            {{"--foreign_from", "maybe"}, "foreign_from"},
            {{"--ldap.timeout", "x"}, "ldap.timeout"},
            {{"--ldap.uri"}, "ldap.uri"},
        };
        for (const auto &c : override_cases) {
            const std::string error = error_of([&] { load("", c.overrides); });
            CPPUNIT_ASSERT_MESSAGE(words(c.overrides) + " -> " + error,
                                   error != "(no error)" && contains(error, c.must_contain));
        }
    }

    // A bad value given on the command line is not the file's fault: the
    // message must not point at the file's line for the same key.
    void testOverrideErrorDoesNotBlameTheFile() {
        const std::string error = error_of([] { load("[ldap]\ntimeout = 3\n", {"--ldap.timeout", "0"}); });
        CPPUNIT_ASSERT_MESSAGE(error, error != "(no error)" && contains(error, "ldap.timeout"));
        CPPUNIT_ASSERT_MESSAGE("blames test.conf:2 for a command-line value: " + error,
                               !contains(error, "test.conf:2"));
    }

    // Secrets are read from files, never from the command line; a
    // secret is never logged. There is no bind_password key; a prefix of
    // bind_password_file must not be taken for it.
    void testNoSecretOnCommandLine() {
        const std::string error = error_of([] { load("", {"--ldap.bind_password", "s3cret"}); });
        CPPUNIT_ASSERT_MESSAGE(error, error != "(no error)");
        CPPUNIT_ASSERT_MESSAGE("the secret is echoed: " + error, !contains(error, "s3cret"));
        CPPUNIT_ASSERT_MESSAGE("--ldap.bind_password accepted as --ldap.bind_password_file: " + error,
                               !contains(error, "bind_password_file"));

        const std::string cmd_error = error_of([] { parse({"--ldap.bind_password", "s3cret"}); });
        CPPUNIT_ASSERT_MESSAGE("parse_command_line took --ldap.bind_password: " + cmd_error,
                               cmd_error != "(no error)" && !contains(cmd_error, "s3cret"));
    }

    void testBindDnNeedsPasswordFile() {
        const std::string error =
            error_of([] { load("[ldap]\nuri = ldap://x/\nbind_dn = cn=milter,dc=example,dc=com\n"); });
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "test.conf:3: ldap.bind_dn: "));
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "bind_password_file"));
    }

    void testBindPasswordFileRead() {
        struct SecretCase {
            const char *content;
            const char *expected;
        };
        const SecretCase secret_cases[] = {
            {"s3cret\n", "s3cret"},
            {"s3cret", "s3cret"},
            {"with space and # hash\n", "with space and # hash"},
        };
        for (const auto &c : secret_cases) {
            TempFile file(c.content);
            auto config =
                load("[ldap]\nbind_dn = cn=milter,dc=example,dc=com\nbind_password_file = " + file.path() + "\n");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.content, std::string(c.expected), config->ldap.bind_password);
            CPPUNIT_ASSERT_EQUAL(std::string("cn=milter,dc=example,dc=com"), config->ldap.bind_dn);
            CPPUNIT_ASSERT_EQUAL(file.path(), config->ldap.bind_password_file);
        }
    }

    // A password never crosses the network in clear unless the admin says so.
    void testPlaintextBindRefused() {
        TempFile password("s3cret\n");
        const std::string bind =
            "bind_dn = cn=milter,dc=example,dc=com\nbind_password_file = " + password.path() + "\n";
        for (const char *uri : {"ldap://dc1.example.com/", "LDAP://192.0.2.7:389/",
                                "ldap://127.0.0.1/ ldap://[2001:db8::1]/", "ldap://dc1.example.com"}) {
            const std::string error = error_of([&] { load("[ldap]\nuri = " + std::string(uri) + "\n" + bind); });
            CPPUNIT_ASSERT_MESSAGE(uri + (": " + error), contains(error, "test.conf:2: ldap.uri: "));
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "in clear") && contains(error, "ldap.allow_plaintext_bind"));
        }
        const char *const fine[][2] = {
            {"ldap://127.0.0.2/", ""},
            {"ldap://[::1]:3389/ ldap://localhost/", ""},
            {"ldap:///", ""},
            {"ldaps://dc1.example.com/", ""},
            {"ldapi://%2Frun%2Fslapd%2Fldapi/", ""},
            {"ldap://dc1.example.com/", "starttls = yes\n"},
            {"ldap://dc1.example.com/", "allow_plaintext_bind = yes\n"},
        };
        for (const auto &c : fine) {
            const std::string text = "[ldap]\nuri = " + std::string(c[0]) + "\n" + c[1] + bind;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("(no error)"), error_of([&] { load(text); }));
        }
        // Anonymous and SASL binds send no password.
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"),
                             error_of([] { load("[ldap]\nuri = ldap://dc1.example.com/\n"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"),
                             error_of([] { load("[ldap]\nuri = ldap://dc1.example.com/\nsasl_mech = GSSAPI\n"); }));
    }

    void testSaslMechanisms() {
        const std::string error = error_of([] { load("[ldap]\nsasl_mech = PLAIN\n"); });
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "test.conf:2: ldap.sasl_mech: ") && contains(error, "GSSAPI"));
        TempFile password("s3cret\n");
        const std::string gssapi_with_password = error_of([&] {
            load("[ldap]\nsasl_mech = GSSAPI\nbind_dn = cn=m\nbind_password_file = " + password.path() + "\n");
        });
        CPPUNIT_ASSERT_MESSAGE(gssapi_with_password, contains(gssapi_with_password, "ldap.keytab"));
    }

    // ldap.layout = ad brings AD's filters for the keys left at their default.
    void testAdLayoutDefaults() {
        auto ad = load("[ldap]\nlayout = ad\n");
        CPPUNIT_ASSERT_EQUAL(std::string(sendas::AdDefaults::user_filter), ad->ldap.user_filter);
        CPPUNIT_ASSERT_EQUAL(std::string(sendas::AdDefaults::group_filter), ad->ldap.group_filter);
        CPPUNIT_ASSERT_EQUAL(std::string(sendas::AdDefaults::audit_user_filter), ad->ldap.audit_user_filter);
        CPPUNIT_ASSERT_EQUAL(std::string(sendas::AdDefaults::audit_disabled_filter), ad->ldap.audit_disabled_filter);
        CPPUNIT_ASSERT(contains(ad->ldap.user_filter, "(sAMAccountName=%u)") &&
                       contains(ad->ldap.user_filter, "(userPrincipalName=%u)"));
        auto own = load("[ldap]\nlayout = ad\nuser_filter = (mail=%u)\n", {"--audit.disabled_filter", ""});
        CPPUNIT_ASSERT_EQUAL(std::string("(mail=%u)"), own->ldap.user_filter);
        CPPUNIT_ASSERT_EQUAL(std::string(), own->ldap.audit_disabled_filter);
        CPPUNIT_ASSERT_EQUAL(std::string(sendas::AdDefaults::group_filter), own->ldap.group_filter);
        const Config plain;
        CPPUNIT_ASSERT_EQUAL(plain.ldap.user_filter, load("")->ldap.user_filter);
    }

    // config.h: errors name file, line and key.
    void testUnreadablePasswordFile() {
        const std::string missing = "/nonexistent/sendas-milter-test/password";
        const std::string error =
            error_of([&] { load("[ldap]\nbind_dn = cn=m\nbind_password_file = " + missing + "\n"); });
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "ldap.bind_password_file") && contains(error, missing));
        CPPUNIT_ASSERT_MESSAGE("file:line missing: " + error, contains(error, "test.conf:3: ldap.bind_password_file"));
        CPPUNIT_ASSERT_MESSAGE("no reason: " + error, contains(error, ": No such file or directory"));
    }

    // Every byte of the file is the key: random bytes may hold a newline or NUL.
    void testHmacKeyFileRead() {
        const std::string bytes[] = {"0123456789abcdef"s, "line one\nline two\n"s,
                                     "\0\n\xff random bytes \r\n\0 and more"s, std::string(4096, 'k')};
        for (const auto &content : bytes) {
            TempFile file(content);
            auto config = load("[redis]\naddress = 127.0.0.1:6379\nhmac_key_file = " + file.path() + "\n");
            CPPUNIT_ASSERT_EQUAL(file.path(), config->redis.hmac_key_file);
            CPPUNIT_ASSERT_MESSAGE("key differs from the file's bytes", content == config->redis.hmac_key);
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), load("")->redis.hmac_key);
    }

    void testHmacKeyFileRefused() {
        struct KeyCase {
            std::string content;
            const char *problem;
        };
        const KeyCase key_cases[] = {
            {"", "0 bytes"},
            {"\n", "1 bytes"},
            {"0123456789abcde", "15 bytes"},
            {std::string(4097, 'k'), "more than 4096 bytes"},
        };
        for (const auto &c : key_cases) {
            TempFile file(c.content);
            const std::string error = error_of([&] { load("# key\n[redis]\nhmac_key_file = " + file.path() + "\n"); });
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "test.conf:3: redis.hmac_key_file: "));
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, file.path()) && contains(error, c.problem));
        }
        const std::string missing = "/nonexistent/sendas-milter-test/hmac.key";
        const std::string error = error_of([&] { load("[redis]\nhmac_key_file = " + missing + "\n"); });
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "test.conf:2: redis.hmac_key_file: cannot read " + missing));
    }

    // The sentinels replace redis.address and need the master's name.
    void testRedisSentinels() {
        auto config = load("[redis]\nsentinels = 10.0.0.1:26379  [2001:db8::2]:26379\nmaster_name = mymaster\n");
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1:26379|[2001:db8::2]:26379"), join(config->redis.sentinels, "|"));
        CPPUNIT_ASSERT_EQUAL(std::string("mymaster"), config->redis.master_name);
        CPPUNIT_ASSERT(config->redis.enabled());
        CPPUNIT_ASSERT(config->redis.address.empty());
        CPPUNIT_ASSERT(!load("")->redis.enabled());
        const struct {
            std::string text, expected;
        } bad[] = {
            {"[redis]\nsentinels = 10.0.0.1:26379\n", "redis.sentinels: needs redis.sentinels and redis.master_name"},
            {"[redis]\nmaster_name = mymaster\n", "redis.master_name: needs redis.sentinels and redis.master_name"},
            {"[redis]\naddress = 127.0.0.1:6379\nsentinels = 10.0.0.1:26379\nmaster_name = m\n",
             "test.conf:3: redis.sentinels: and redis.address exclude each other"},
            {"[redis]\nsentinels = 10.0.0.1\nmaster_name = m\n", "test.conf:2: redis.sentinels: "},
            {"[redis]\nsentinels = 10.0.0.1:26379 unix:/run/s.sock\nmaster_name = m\n",
             "test.conf:2: redis.sentinels: "},
        };
        for (const auto &c : bad) {
            const std::string error = error_of([&] { load(c.text); });
            CPPUNIT_ASSERT_MESSAGE(c.text + " -> " + error, contains(error, c.expected));
        }
    }

    void testRedisAddressPorts() {
        for (const char *good : {"127.0.0.1:1", "127.0.0.1:65535", "redis.example:6379", "[2001:db8::1]:6379",
                                 "unix:/run/redis/redis.sock"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(good, std::string(good),
                                         load("[redis]\naddress = " + std::string(good) + "\n")->redis.address);
    }

    // Redis off this host with no key: anyone who can write to it can grant
    // rights. Loopback and unix sockets are this host's own business.
    void testRedisIntegrityWarning() {
        TempFile key("0123456789abcdef");
        struct WarnCase {
            const char *address;
            bool with_key;
            bool warns;
        };
        const WarnCase warn_cases[] = {
            {"redis.example:6379", false, true},
            {"10.0.0.5:6379", false, true},
            {"[2001:db8::1]:6379", false, true},
            {"128.0.0.1:6379", false, true},
            {"localhost.example:6379", false, true},
            {"redis.example:6379", true, false},
            {"10.0.0.5:6379", true, false},
            {"127.0.0.1:6379", false, false},
            {"127.255.0.9:6379", false, false},
            {"[::1]:6379", false, false},
            {"localhost:6379", false, false},
            {"unix:/run/redis/redis.sock", false, false},
            {"", false, false},
        };
        for (const auto &c : warn_cases) {
            std::string text = "[redis]\naddress = " + std::string(c.address) + "\n";
            if (c.with_key) text += "hmac_key_file = " + key.path() + "\n";
            const std::string warning = sendas::redis_integrity_warning(*load(text));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text + warning, c.warns, !warning.empty());
            if (c.warns)
                CPPUNIT_ASSERT_MESSAGE(warning,
                                       contains(warning, c.address) && contains(warning, "redis.hmac_key_file"));
        }
    }

    void testParseCommandLine() {
        // SYSCONFDIR/sendas-milter/sendas-milter.conf (/etc/... in the package).
        const std::string default_file = parse({}).config_file;
        const std::string suffix = "etc/sendas-milter/sendas-milter.conf";
        CPPUNIT_ASSERT_MESSAGE(
            default_file, default_file.size() > suffix.size() && default_file.front() == '/' &&
                              default_file.compare(default_file.size() - suffix.size(), suffix.size(), suffix) == 0);
        struct ArgvCase {
            const char *name;
            std::vector<const char *> args;
            std::string config_file;  // empty: the default
            bool foreground, check_only, help, version;
            std::string overrides;  // joined with ' '
        };
        const ArgvCase argv_cases[] = {
            {"nothing", {}, "", false, false, false, false, ""},
            {"-c", {"-c", "/tmp/x.conf"}, "/tmp/x.conf", false, false, false, false, ""},
            {"--config", {"--config", "/tmp/y.conf"}, "/tmp/y.conf", false, false, false, false, ""},
            {"--config=", {"--config=/tmp/z.conf"}, "/tmp/z.conf", false, false, false, false, ""},
            {"-f", {"-f"}, "", true, false, false, false, ""},
            {"--foreground", {"--foreground"}, "", true, false, false, false, ""},
            {"-t", {"-t"}, "", false, true, false, false, ""},
            {"-t -c", {"-t", "-c", "/tmp/x.conf"}, "/tmp/x.conf", false, true, false, false, ""},
            {"--test", {"--test"}, "", false, true, false, false, ""},
            {"-f -t", {"-f", "-t"}, "", true, true, false, false, ""},
            {"--version", {"--version"}, "", false, false, false, true, ""},
            {"--help", {"--help"}, "", false, false, true, false, ""},
            {"-h", {"-h"}, "", false, false, true, false, ""},
            {"keys",
             {"-f", "--ldap.uri", "ldap://a/ ldap://b/", "--foreign_from=accept"},
             "",
             true,
             false,
             false,
             false,
             "--ldap.uri ldap://a/ ldap://b/ --foreign_from accept"},
        };
        for (const auto &c : argv_cases) {
            const CommandLine cmd = parse(c.args);
            CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + " -n", !cmd.syntax_only);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.config_file.empty() ? default_file : c.config_file, cmd.config_file);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + " -f", c.foreground, cmd.foreground);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + " -t", c.check_only, cmd.check_only);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + " --help", c.help, cmd.show_help);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + " --version", c.version, cmd.show_version);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + " overrides", c.overrides, words(cmd.overrides));
        }
    }

    void testSyntaxOnly() {
        for (const auto &args : std::vector<std::vector<const char *>>{{"-n"}, {"--check-syntax"}, {"-f", "-n"}}) {
            const CommandLine cmd = parse(args);
            CPPUNIT_ASSERT_MESSAGE(args.back(), cmd.syntax_only && !cmd.check_only);
            CPPUNIT_ASSERT(cmd.overrides.empty());
        }
        const std::string both = error_of([] { parse({"-n", "-t"}); });
        CPPUNIT_ASSERT_MESSAGE(both, contains(both, "-n checks without servers, -t with them"));
    }

    // `sendas-milter -t good.conf` once checked the default config.
    void testStrayArgumentsRefused() {
        for (const auto &args : std::vector<std::vector<const char *>>{
                 {"-t", "good.conf"}, {"good.conf"}, {"-c", "a.conf", "b.conf"}, {"--ldap.uri", "ldap://a/", "x"}}) {
            const std::string error = error_of([&] { parse(args); });
            CPPUNIT_ASSERT_EQUAL(
                "command line: unexpected argument '"s + args.back() + "' (the config file is given with -c FILE)",
                error);
        }
    }

    void testRestartKeys() {
        for (const char *key :
             {"socket", "user", "group", "pidfile", "metrics.listen", "milter.timeout", "milter.backlog"})
            CPPUNIT_ASSERT_MESSAGE(key, sendas::needs_restart(key));
        for (const char *key : {"foreign_from", "ldap.uri", "redis.address", "syslog", "log_level", "no.such.key"})
            CPPUNIT_ASSERT_MESSAGE(key, !sendas::needs_restart(key));
        const auto started = load("socket = unix:/a.sock\nforeign_from = accept\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), words(sendas::restart_keys_changed(*started, *started)));
        const auto next = load("socket = inet:1@127.0.0.1\nuser = milter\n[metrics]\nlisten = 127.0.0.1:9\n");
        CPPUNIT_ASSERT_EQUAL(std::string("socket user metrics.listen"),
                             words(sendas::restart_keys_changed(*started, *next)));
        const std::string help = sendas::help_text("sendas-milter");
        CPPUNIT_ASSERT_MESSAGE(help, contains(help, "[read at start only]"));
    }

    void testParseCommandLineErrors() {
        // Once an endless loop inside Boost's error message.
        const char *placeholder[] = {"sendas-milter", "--%canonical_option%", "1"};
        CPPUNIT_ASSERT_EQUAL(std::string("command line: unknown option --%canonical_option%"),
                             error_of([&] { sendas::parse_command_line(3, placeholder); }));
        const std::vector<std::vector<const char *>> bad = {
            {"--bogus"}, {"-x"}, {"-c"}, {"--ldap.uri"}, {"--ldap.urii", "x"}, {"--config", "a", "--config", "b"},
        };
        for (const auto &args : bad) {
            std::string shown;
            for (const char *a : args) shown += std::string(a) + " ";
            const std::string error = error_of([&] { parse(args); });
            CPPUNIT_ASSERT_MESSAGE(shown + "accepted", error != "(no error)");
        }
    }

    void testCommandLineRoundTrip() {
        const CommandLine cmd = parse({"--ldap.uri", "ldap://cmd.example/", "--ldap.timeout=7", "-f"});
        auto config = load("[ldap]\nuri = ldap://file.example/\ntimeout = 3\nbase = dc=file\n", cmd.overrides);
        CPPUNIT_ASSERT_EQUAL(std::string("ldap://cmd.example/"), config->ldap.uri);
        CPPUNIT_ASSERT_EQUAL(7u, config->ldap.timeout);
        CPPUNIT_ASSERT_EQUAL(std::string("dc=file"), config->ldap.base);
    }

    void testLoadConfigFile() {
        TempFile file("local_domains = example.com\n[ldap]\nuri = ldap://file.example/\n");
        CommandLine cmd;
        cmd.config_file = file.path();
        cmd.overrides = {"--ldap.base", "dc=cmd"};
        auto config = sendas::load_config(cmd);
        CPPUNIT_ASSERT_EQUAL(file.path(), config->source);
        CPPUNIT_ASSERT_EQUAL(std::string("ldap://file.example/"), config->ldap.uri);
        CPPUNIT_ASSERT_EQUAL(std::string("dc=cmd"), config->ldap.base);

        TempFile bad("[ldap]\n\nurii = x\n");
        cmd.config_file = bad.path();
        const std::string error = error_of([&] { sendas::load_config(cmd); });
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, bad.path() + ":3: ldap.urii"));

        cmd.config_file = "/nonexistent/sendas-milter.conf";
        const std::string missing = error_of([&] { sendas::load_config(cmd); });
        CPPUNIT_ASSERT_EQUAL(
            std::string("/nonexistent/sendas-milter.conf: cannot open config file: No such file or directory"),
            missing);
    }

    void testHelpListsEveryKey() {
        const std::string help = sendas::help_text("sendas-milter");
        CPPUNIT_ASSERT_MESSAGE(help, contains(help, "sendas-milter"));
        for (const char *option : {"-c", "--config", "-f", "-t", "--version", "--help"})
            CPPUNIT_ASSERT_MESSAGE(option, contains(help, std::string(option) + " "));
        for (const auto &k : key_cases()) {
            CPPUNIT_ASSERT_MESSAGE(std::string("--") + k.key + " missing from --help",
                                   contains(help, std::string("--") + k.key + " "));
            if (k.expected_default && *k.expected_default)
                CPPUNIT_ASSERT_MESSAGE(std::string(k.key) + " default missing from --help",
                                       contains(help, std::string("(=") + k.expected_default + ")"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
