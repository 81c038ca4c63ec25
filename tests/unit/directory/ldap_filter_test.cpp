// Unit tests for ldap_filter.cpp: RFC 4515 escaping and filter templates.
#include <cppunit/extensions/HelperMacros.h>

#include <cctype>
#include <string>

#include "base/config.h"
#include "directory/ldap_filter.h"

using namespace std::string_literals;
using sendas::FilterTokens;

namespace {

// Input made readable in failure messages: non-printable bytes as \xNN.
std::string visible(const std::string &s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

// The filter's structure: every '(' ')' and '*' (substring wildcard) that is
// not part of a \XX escape, in order. Input substituted into a template
// must not change it. ('=', '&', '|', '!' are plain characters inside a value.)
std::string skeleton(const std::string &filter) {
    std::string out;
    for (size_t i = 0; i < filter.size(); ++i) {
        const char c = filter[i];
        if (c == '\\') {
            i += 2;  // \XX
            continue;
        }
        if (c == '(' || c == ')' || c == '*') out += c;
    }
    return out;
}

// Every backslash in the output starts a two-hex-digit escape, and only
// printable ASCII is left.
bool well_escaped(const std::string &filter) {
    for (size_t i = 0; i < filter.size(); ++i) {
        const auto c = static_cast<unsigned char>(filter[i]);
        if (c < 0x20 || c >= 0x7f) return false;
        if (c == '\\') {
            if (i + 2 >= filter.size()) return false;
            if (!std::isxdigit(static_cast<unsigned char>(filter[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(filter[i + 2])))
                return false;
            i += 2;
        }
    }
    return true;
}

}  // namespace

class LdapFilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LdapFilterTest);
    CPPUNIT_TEST(testEscape);
    CPPUNIT_TEST(testEscapeEveryByte);
    CPPUNIT_TEST(testHostileLoginStaysOneAssertion);
    CPPUNIT_TEST(testTokens);
    CPPUNIT_TEST(testTokensAreEscaped);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEscape() {
        struct EscapeCase {
            std::string input;
            std::string expected;
        };
        const EscapeCase escape_cases[] = {
            {"alice", "alice"},
            {"", ""},
            {"support@example.com", "support@example.com"},
            {"*", "\\2a"},
            {"(", "\\28"},
            {")", "\\29"},
            {"\\", "\\5c"},
            {"\0"s, "\\00"},
            {"a\0b"s, "a\\00b"},
            {"*)(uid=*", "\\2a\\29\\28uid=\\2a"},
            {"a\\2a", "a\\5c2a"},  // an escape in the input is escaped again
            {"J\xc3\xb6rg", "J\\c3\\b6rg"},
            {"\x7f", "\\7f"},
            {"\xff", "\\ff"},
            {"line\nbreak\r", "line\\0abreak\\0d"},
            {"tab\t", "tab\\09"},
            {"a=b&c|!d~e>f<g", "a=b&c|!d~e>f<g"},  // fine inside an assertion value
            {"cn=Smith\\, J (Sales),dc=example,dc=com", "cn=Smith\\5c, J \\28Sales\\29,dc=example,dc=com"},
        };
        for (const auto &c : escape_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(visible(c.input), c.expected, sendas::escape_filter_value(c.input));
    }

    void testEscapeEveryByte() {
        for (int b = 0; b < 256; ++b) {
            const std::string input(1, static_cast<char>(b));
            const std::string out = sendas::escape_filter_value(input);
            const bool special = b == '*' || b == '(' || b == ')' || b == '\\' || b < 0x20 || b >= 0x7f;
            if (special) {
                static const char hex[] = "0123456789abcdef";
                const std::string expected = {'\\', hex[b >> 4], hex[b & 15]};
                CPPUNIT_ASSERT_EQUAL_MESSAGE("byte " + std::to_string(b), expected, out);
            } else {
                CPPUNIT_ASSERT_EQUAL_MESSAGE("byte " + std::to_string(b), input, out);
            }
        }
    }

    void testHostileLoginStaysOneAssertion() {
        const std::string user_filter = sendas::load_config_text("", "test")->ldap.user_filter;
        const std::string hostile[] = {
            "*)(uid=*", "*",          "alice)(|(objectClass=*)", "alice))(|(uid=*", "\\2a", "alice\0)(uid=*"s,
            "admin*",   "x)(!(uid=x",
        };
        for (const auto &login : hostile) {
            FilterTokens tokens;
            tokens.login = login;
            const std::string filter = sendas::expand_filter(user_filter, tokens);
            FilterTokens plain;
            plain.login = "alice";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(visible(login) + " -> " + visible(filter),
                                         skeleton(sendas::expand_filter(user_filter, plain)), skeleton(filter));
            CPPUNIT_ASSERT_MESSAGE(visible(login) + " -> " + visible(filter), well_escaped(filter));
        }
        FilterTokens tokens;
        tokens.login = "*)(uid=*";
        CPPUNIT_ASSERT_EQUAL(std::string("(&(objectClass=inetOrgPerson)(|(uid=\\2a\\29\\28uid=\\2a)"
                                         "(mail=\\2a\\29\\28uid=\\2a)))"),
                             sendas::expand_filter(user_filter, tokens));
    }

    void testTokens() {
        FilterTokens tokens;
        tokens.login = "alice";
        tokens.mailbox = "support@example.com";
        tokens.user_dn = "uid=alice,ou=people,dc=example,dc=com";
        struct TokenCase {
            const char *tmpl;
            const char *expected;
        };
        const TokenCase token_cases[] = {
            {"(uid=%u)", "(uid=alice)"},
            {"(cn=%m)", "(cn=support@example.com)"},
            {"(&(uid=%l)(dc=%d))", "(&(uid=support)(dc=example.com))"},
            {"(member=%D)", "(member=uid=alice,ou=people,dc=example,dc=com)"},
            {"(&(objectClass=groupOfNames)(cn=%m))", "(&(objectClass=groupOfNames)(cn=support@example.com))"},
            {"(x=100%%)", "(x=100%)"},
            {"(x=%%u)", "(x=%u)"},
            {"(x=%q)", "(x=%q)"},  // unknown token kept as written
            {"(x=%U)", "(x=%U)"},
            {"(x=%", "(x=%"},  // trailing '%'
            {"(x=%u%m)", "(x=alicesupport@example.com)"},
            {"(x=y)", "(x=y)"},
            {"", ""},
        };
        for (const auto &c : token_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.tmpl, std::string(c.expected), sendas::expand_filter(c.tmpl, tokens));

        FilterTokens no_at;
        no_at.mailbox = "support";
        CPPUNIT_ASSERT_EQUAL(std::string("(l=support)(d=)"), sendas::expand_filter("(l=%l)(d=%d)", no_at));
        FilterTokens two_at;
        two_at.mailbox = "a@b@example.com";
        CPPUNIT_ASSERT_EQUAL(std::string("(l=a@b)(d=example.com)"), sendas::expand_filter("(l=%l)(d=%d)", two_at));
    }

    // Every token's value is escaped, DNs read back from LDAP included.
    void testTokensAreEscaped() {
        FilterTokens tokens;
        tokens.login = "a*";
        tokens.mailbox = "(x)*@ex\\ample.com";
        tokens.user_dn = "cn=Smith\\, J (Sales),dc=example,dc=com";
        struct EscapedCase {
            const char *tmpl;
            const char *expected;
        };
        const EscapedCase escaped_cases[] = {
            {"(uid=%u)", "(uid=a\\2a)"},
            {"(cn=%m)", "(cn=\\28x\\29\\2a@ex\\5cample.com)"},
            {"(l=%l)", "(l=\\28x\\29\\2a)"},
            {"(d=%d)", "(d=ex\\5cample.com)"},
            {"(member=%D)", "(member=cn=Smith\\5c, J \\28Sales\\29,dc=example,dc=com)"},
        };
        for (const auto &c : escaped_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.tmpl, std::string(c.expected), sendas::expand_filter(c.tmpl, tokens));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LdapFilterTest);
