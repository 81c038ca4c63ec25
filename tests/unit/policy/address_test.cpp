// Unit tests for address.cpp: header mailbox lists, envelope addresses and Sender: rendering.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/address.h"

using namespace std::string_literals;
using sendas::Mailbox;
using sendas::ParseError;

namespace CppUnit {
template <>
struct assertion_traits<ParseError> {
    static bool equal(ParseError a, ParseError b) { return a == b; }
    static std::string toString(ParseError e) { return sendas::describe(e); }
};
}  // namespace CppUnit

namespace {

// Input made readable in failure messages: control characters escaped.
std::string visible(const std::string &s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out.size() > 120 ? out.substr(0, 120) + "..." : out;
}

std::string join(const std::vector<Mailbox> &mailboxes) {
    std::string out;
    for (const Mailbox &m : mailboxes) out += (out.empty() ? "" : ", ") + m.address();
    return out;
}

std::string base64_decode(const std::string &in) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned bits = 0, n = 0;
    for (char c : in) {
        if (c == '=') break;
        n = n << 6 | static_cast<unsigned>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(n >> bits & 0xff);
        }
    }
    return out;
}

// True when s does not begin or end inside a multi-byte UTF-8 sequence.
bool whole_characters(const std::string &s) {
    if (s.empty()) return true;
    if ((static_cast<unsigned char>(s[0]) & 0xc0) == 0x80) return false;
    size_t lead = s.size() - 1;
    while (lead > 0 && (static_cast<unsigned char>(s[lead]) & 0xc0) == 0x80) --lead;
    const auto c = static_cast<unsigned char>(s[lead]);
    const size_t length = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    return s.size() - lead == length;
}

std::string shown(const std::optional<std::string> &value) { return value ? *value : "(none)"; }

std::string repeat(const std::string &s, size_t n) {
    std::string out;
    while (n--) out += s;
    return out;
}

// Sanitizers slow the parser down some 10 (ASan) to 50 (TSan) times: the
// time bound follows, still far below the seconds of a quadratic step.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED_BUILD
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(SANITIZED_BUILD)
constexpr int sanitizer_slowdown = 50;
#else
constexpr int sanitizer_slowdown = 1;
#endif

// CPU time of this thread, not wall time: on a busy machine other processes
// run during a parse (one of 15 ms took 60 to 150 ms of wall time).
std::chrono::nanoseconds thread_cpu_time() {
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// The fastest of up to three runs of parse, stopping at the first under bound.
template <typename Parse>
std::chrono::milliseconds fastest_run(Parse parse, std::chrono::milliseconds bound) {
    auto best = std::chrono::nanoseconds::max();
    for (int run = 0; run < 3 && best >= bound; ++run) {
        const auto start = thread_cpu_time();
        parse();
        best = std::min(best, thread_cpu_time() - start);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(best);
}

struct ListCase {
    std::string input;
    ParseError error;
    std::string addresses;  // joined with ", "; empty on error
};

const ListCase list_cases[] = {
    // Plain forms.
    {"alice@example.com", ParseError::none, "alice@example.com"},
    {" alice@example.com", ParseError::none, "alice@example.com"},
    {"Alice <alice@example.com>", ParseError::none, "alice@example.com"},
    {"\"Alice Example\" <alice@example.com>", ParseError::none, "alice@example.com"},
    {"<alice@example.com>", ParseError::none, "alice@example.com"},
    {"< alice@example.com >", ParseError::none, "alice@example.com"},
    {"Alice J. Smith <alice@example.com>", ParseError::none, "alice@example.com"},
    {"Alice. <alice@example.com>", ParseError::none, "alice@example.com"},
    {"first.last+tag@sub.example.com", ParseError::none, "first.last+tag@sub.example.com"},
    {"!#$%&'*+-/=?^_`{|}~@example.com", ParseError::none, "!#$%&'*+-/=?^_`{|}~@example.com"},
    {"Alice <ALICE@Example.COM>", ParseError::none, "ALICE@Example.COM"},
    // Comments and CFWS.
    {"alice@example.com (Alice)", ParseError::none, "alice@example.com"},
    {"(c) alice (d) @ (e) example.com (f)", ParseError::none, "alice@example.com"},
    {"support(c)@example.com", ParseError::none, "support@example.com"},
    {"support@(c)example.com", ParseError::none, "support@example.com"},
    {"(a (nested \\) comment) b) alice@example.com", ParseError::none, "alice@example.com"},
    {"(x) <alice@example.com>", ParseError::none, "alice@example.com"},
    // Address-looking text outside the addr-spec is never the address.
    {"\"support@example.com\" <mallory@evil.example>", ParseError::none, "mallory@evil.example"},
    {"support@example.com (mallory@evil.example)", ParseError::none, "support@example.com"},
    {"\"<support@example.com>\" <mallory@evil.example>", ParseError::none, "mallory@evil.example"},
    {"Support (support@example.com) <mallory@evil.example>", ParseError::none, "mallory@evil.example"},
    {"(<support@example.com>) mallory@evil.example", ParseError::none, "mallory@evil.example"},
    {"=?UTF-8?B?U3VwcG9ydA==?= <support@example.com>", ParseError::none, "support@example.com"},
    {"=?UTF-8?B?c3VwcG9ydEBleGFtcGxlLmNvbQ==?= <mallory@evil.example>", ParseError::none, "mallory@evil.example"},
    {"mallory@evil.example <support@example.com>", ParseError::syntax, ""},
    {"Mallory <mallory@evil.example> <support@example.com>", ParseError::syntax, ""},
    {"\"Alice\" alice@example.com", ParseError::syntax, ""},
    {"Alice alice@example.com", ParseError::syntax, ""},
    {"=?UTF-8?B?c3VwcG9ydEBleGFtcGxlLmNvbQ==?=", ParseError::syntax, ""},
    // Encoded words in an addr-spec (RFC 2047 section 5 forbids them; some
    // clients decode them anyway), in a route too; outside it they stay.
    {"Support <support@=?utf-8?q?example.com?=>", ParseError::encoded_word, ""},
    {"support@=?utf-8?b?ZXhhbXBsZS5jb20=?=", ParseError::encoded_word, ""},
    {"=?utf-8?q?support?=@example.com", ParseError::encoded_word, ""},
    {"sup=?utf-8?q?port?=@example.com", ParseError::encoded_word, ""},
    {"\"=?utf-8?q?support?=\"@example.com", ParseError::encoded_word, ""},
    {"support@[=?x?=]", ParseError::encoded_word, ""},
    {"<@=?utf-8?q?relay?=:support@example.com>", ParseError::encoded_word, ""},
    {"a@x.example, Support <support@=?utf-8?q?example.com?=>", ParseError::encoded_word, ""},
    {"a=?b@example.com", ParseError::none, "a=?b@example.com"},
    {"a?=b=?c@example.com", ParseError::none, "a?=b=?c@example.com"},
    {"a=?=b@example.com", ParseError::none, "a=?=b@example.com"},
    // Quoted local parts.
    {"\"a@b\"@example.com", ParseError::none, "a@b@example.com"},
    {"\"a b\"@example.com", ParseError::none, "a b@example.com"},
    {"\"alice\"@example.com", ParseError::none, "alice@example.com"},
    {"\"a\\\"b\"@example.com", ParseError::none, "a\"b@example.com"},
    {"\"<x@y.example>\"@example.com", ParseError::none, "<x@y.example>@example.com"},
    {"\"\"@example.com", ParseError::syntax, ""},
    {"\"a\".b@example.com", ParseError::syntax, ""},
    // Quoted local parts that read like another one: only single spaces
    // between other characters.
    {"\"john smith\"@example.com", ParseError::none, "john smith@example.com"},
    {"\"a b c\"@example.com", ParseError::none, "a b c@example.com"},
    {"\"john\r\n smith\"@example.com", ParseError::none, "john smith@example.com"},
    {"\" support\"@example.com", ParseError::quoted_spaces, ""},
    {"\"  support\"@example.com", ParseError::quoted_spaces, ""},
    {"\"sup  port\"@example.com", ParseError::quoted_spaces, ""},
    {"\"support \"@example.com", ParseError::quoted_spaces, ""},
    {"\" \"@example.com", ParseError::quoted_spaces, ""},
    {"\"sup\tport\"@example.com", ParseError::quoted_spaces, ""},
    {"\"sup\\ \\ port\"@example.com", ParseError::quoted_spaces, ""},
    {"\"sup\r\n  port\"@example.com", ParseError::quoted_spaces, ""},
    {"Support <\"support \"@example.com>", ParseError::quoted_spaces, ""},
    {"\" Support  \" <support@example.com>", ParseError::none, "support@example.com"},
    // ':' outside a group.
    {"\"team:\" <a@x.example>", ParseError::none, "a@x.example"},
    {"(team:) a@x.example", ParseError::none, "a@x.example"},
    {"a@b.example:", ParseError::syntax, ""},
    // Routes and domain literals.
    {"<@a.example,@b.example:x@y.example>", ParseError::none, "x@y.example"},
    {"Relay <@a.example:x@y.example>", ParseError::none, "x@y.example"},
    {"<,@a.example,,@b.example,:x@y.example>", ParseError::none, "x@y.example"},
    {"<@a.example@b.example:x@y.example>", ParseError::syntax, ""},
    {"<@a.example:>", ParseError::syntax, ""},
    {"a@[192.0.2.1]", ParseError::none, "a@[192.0.2.1]"},
    {"Alice <a@[IPv6:2001:db8::1]>", ParseError::none, "a@[IPv6:2001:db8::1]"},
    {"a@[192.0.2.1", ParseError::syntax, ""},
    {"a@192.0.2.1]", ParseError::syntax, ""},
    {"a@[192.0.2.1 ]", ParseError::syntax, ""},
    {"a@[]", ParseError::syntax, ""},
    // Lists.
    {"Alice <alice@example.com>, Bob <bob@example.com>", ParseError::none, "alice@example.com, bob@example.com"},
    {"a@x.example,b@x.example", ParseError::none, "a@x.example, b@x.example"},
    {"a@b.example, , c@d.example", ParseError::syntax, ""},
    {"a@b.example,", ParseError::syntax, ""},
    {",a@b.example", ParseError::syntax, ""},
    // Folding.
    {"Alice\r\n <alice@example.com>", ParseError::none, "alice@example.com"},
    {"Alice\n\t<alice@example.com>", ParseError::none, "alice@example.com"},
    {"\r\n alice@example.com", ParseError::none, "alice@example.com"},
    {"\"Alice\r\n Example\" <alice@example.com>", ParseError::none, "alice@example.com"},
    {"a@x.example,\r\n \r\n b@x.example", ParseError::none, "a@x.example, b@x.example"},
    // Non-ASCII: fine in names and comments, never in an addr-spec (no
    // SMTPUTF8; U+017F and fullwidth letters pass for ASCII ones).
    {"Jörg Müller <joerg@example.com>", ParseError::none, "joerg@example.com"},
    {"\"Jörg\" (ç) <joerg@example.com>", ParseError::none, "joerg@example.com"},
    {"ſupport (ſ) <support@example.com>", ParseError::none, "support@example.com"},
    {"jörg@example.com", ParseError::non_ascii, ""},
    {"ſupport@example.com", ParseError::non_ascii, ""},
    {"ｓupport@example.com", ParseError::non_ascii, ""},
    {"Support <ſupport@example.com>", ParseError::non_ascii, ""},
    {"\"ſupport\"@example.com", ParseError::non_ascii, ""},
    {"support@exａmple.com", ParseError::non_ascii, ""},
    {"a@exämple.com", ParseError::non_ascii, ""},
    {"<@exämple.com:a@example.com>", ParseError::non_ascii, ""},
    {"\xff\xfe@example.com", ParseError::non_ascii, ""},
    {"\xc0\xa0@example.com", ParseError::non_ascii, ""},
    {"\xed\xa0\x80@example.com", ParseError::non_ascii, ""},
    // Malformed addr-specs.
    {"alice", ParseError::syntax, ""},
    {"@example.com", ParseError::syntax, ""},
    {"alice@", ParseError::syntax, ""},
    {"Alice <alice>", ParseError::syntax, ""},
    {"Alice <>", ParseError::syntax, ""},
    {"Alice <alice@example.com", ParseError::syntax, ""},
    {"Alice alice@example.com>", ParseError::syntax, ""},
    {"Alice <a@b.example>>", ParseError::syntax, ""},
    {"<<a@b.example>>", ParseError::syntax, ""},
    {"a@b.example x", ParseError::syntax, ""},
    {"<a@b.example> junk", ParseError::syntax, ""},
    {"a@b.example <>", ParseError::syntax, ""},
    {"a@b@example.com", ParseError::syntax, ""},
    {"a\\@b@example.com", ParseError::syntax, ""},
    {"\"alice@example.com", ParseError::syntax, ""},
    {"\"alice\\", ParseError::syntax, ""},
    {"(alice@example.com", ParseError::syntax, ""},
    {"alice@example.com)", ParseError::syntax, ""},
    {"a@ex ample.com", ParseError::syntax, ""},
    {"a . b@example.com", ParseError::syntax, ""},
    {"a..b@example.com", ParseError::syntax, ""},
    {".a@example.com", ParseError::syntax, ""},
    {"a.@example.com", ParseError::syntax, ""},
    {"a@example.com.", ParseError::syntax, ""},
    {"a@example . com", ParseError::syntax, ""},
    {"a@\"example\".com", ParseError::syntax, ""},
    {". Alice <alice@example.com>", ParseError::syntax, ""},
    {"Alice [x] <alice@example.com>", ParseError::syntax, ""},
    {"a@b.example;", ParseError::syntax, ""},
    // Empty values.
    {"", ParseError::empty, ""},
    {"   ", ParseError::empty, ""},
    {"\r\n ", ParseError::empty, ""},
    {"(just a comment)", ParseError::empty, ""},
    // Groups (RFC 6854).
    {"undisclosed-recipients:;", ParseError::group, ""},
    {"undisclosed-recipients: ;", ParseError::group, ""},
    {"team: a@x.example, b@x.example;", ParseError::group, ""},
    {"a@x.example, team: b@x.example;", ParseError::group, ""},
    {"\"Team\" (c): ;", ParseError::group, ""},
    {": a@x.example;", ParseError::syntax, ""},
    // Control characters; they win over any other error.
    {"alice@example.com\0"s, ParseError::control_char, ""},
    {"ali\0ce@example.com"s, ParseError::control_char, ""},
    {"Alice\r<alice@example.com>", ParseError::control_char, ""},
    {"Alice\n<alice@example.com>", ParseError::control_char, ""},
    {"Alice\r\n<alice@example.com>", ParseError::control_char, ""},
    {"Alice\r <alice@example.com>", ParseError::control_char, ""},
    {"alice@example.com\r\n", ParseError::control_char, ""},
    {"Alice \x07<alice@example.com>", ParseError::control_char, ""},
    {"Alice\x7f <alice@example.com>", ParseError::control_char, ""},
    {"(comment \x01) alice@example.com", ParseError::control_char, ""},
    {"\"a\x1b"
     "b\"@example.com",
     ParseError::control_char, ""},
    {"\"a\\\r\n b\"@example.com", ParseError::syntax, ""},
    {"team:;\0"s, ParseError::control_char, ""},
};

struct PartsCase {
    std::string input;
    std::string display;
    std::string local;
    std::string domain;
};

const PartsCase parts_cases[] = {
    {"\"a@b\"@example.com", "", "a@b", "example.com"},
    {"\"a b\"@example.com", "", "a b", "example.com"},
    {"\"a\\\"b\\\\c\"@example.com", "", "a\"b\\c", "example.com"},
    {"Alice J. Smith <alice@example.com>", "Alice J. Smith", "alice", "example.com"},
    {"\"Alice \\\"Al\\\" Example\" <a@example.com>", "Alice \"Al\" Example", "a", "example.com"},
    {"Alice   (x)  Example <a@example.com>", "Alice Example", "a", "example.com"},
    {"\"Alice\r\n Example\" <a@example.com>", "Alice Example", "a", "example.com"},
    {"=?UTF-8?B?U3VwcG9ydA==?= <support@example.com>", "=?UTF-8?B?U3VwcG9ydA==?=", "support", "example.com"},
    {"alice@example.com (Alice)", "", "alice", "example.com"},
    {"<@a.example,@b.example:x@y.example>", "", "x", "y.example"},
    {"a@[192.0.2.1]", "", "a", "[192.0.2.1]"},
    {"Alice <ALICE@Example.COM>", "Alice", "ALICE", "Example.COM"},
    {"Jörg <joerg@example.com>", "Jörg", "joerg", "example.com"},
    {"\"john smith\"@example.com", "", "john smith", "example.com"},
};

struct FormatCase {
    std::string display;
    std::string address;
    std::string expected;
};

const FormatCase format_cases[] = {
    {"Alice Example", "alice@example.com", "\"Alice Example\" <alice@example.com>"},
    {"Alice", "alice@example.com", "\"Alice\" <alice@example.com>"},
    {"", "alice@example.com", "alice@example.com"},
    {"   ", "alice@example.com", "alice@example.com"},
    {"\r\n", "alice@example.com", "alice@example.com"},
    {"  Alice  ", "alice@example.com", "\"Alice\" <alice@example.com>"},
    {"Alice \"Al\" Example", "a@example.com", "\"Alice \\\"Al\\\" Example\" <a@example.com>"},
    {"back\\slash", "a@example.com", "\"back\\\\slash\" <a@example.com>"},
    {"O'Brien, Pat", "pat@example.com", "\"O'Brien, Pat\" <pat@example.com>"},
    {"Alice\r\nBcc: victim@example.com", "a@example.com", "\"AliceBcc: victim@example.com\" <a@example.com>"},
    {"Ali\0ce\x01\x7f"s, "a@example.com", "\"Alice\" <a@example.com>"},
    {"Alice\tExample", "a@example.com", "\"Alice Example\" <a@example.com>"},
    {"Alice", "\"a b\"@example.com", "\"Alice\" <\"a b\"@example.com>"},
    {"Alice", "a@[192.0.2.1]", "\"Alice\" <a@[192.0.2.1]>"},
    {"Jörg", "j@example.com", "=?UTF-8?B?SsO2cmc=?= <j@example.com>"},
    {"Jörg Müller", "j@example.com", "=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <j@example.com>"},
    {repeat("A", 300), "a@example.com", "\"" + repeat("A", 200) + "\" <a@example.com>"},
};

// Directory values that are no bare addr-spec: written as they are they would
// inject header text or name another mailbox, repaired they would be a guess.
const std::string unwritable_addresses[] = {
    "",
    "alice",
    "alice@",
    "<alice@example.com>",
    "Alice <alice@example.com>",
    "alice@example.com (Alice)",
    " alice@example.com",
    "alice@example.com, bob@example.com",
    "a@example.com\r\nBcc: x@evil.example",
    "\"a\x01\"@example.com",
    "jörg@example.com",
    "support@=?utf-8?q?example.com?=",
    "\" support\"@example.com",
};

// Names that need encoding, for the structural checks.
const std::string encoded_names[] = {
    "Jörg Müller",
    "=?UTF-8?B?x?= Jörg",
    repeat("é", 300),
    repeat("€", 70),
    repeat("😀", 60),
    "a" + repeat("日本", 40),
    "ab" + repeat("😀", 11) + repeat("x", 200),
};

// Names whose specials must stay inside the display name after a round trip.
const std::string round_trip_names[] = {
    "Alice Example",
    "Alice \"Al\" Example",
    "back\\slash",
    "support@example.com",
    "<support@example.com>",
    "\"support@example.com\" <support@example.com>",
    "team:;",
    "(comment",
    "Bcc:\r\n x@evil.example",
    "=?UTF-8?B?c3VwcG9ydEBleGFtcGxlLmNvbQ==?=",
    "Jörg <support@example.com>",
    repeat("日本", 100),
};

struct EnvelopeCase {
    std::string input;
    bool ok;
    std::string local;
    std::string domain;
};

const EnvelopeCase envelope_cases[] = {
    {"<alice@example.com>", true, "alice", "example.com"},
    {"alice@example.com", true, "alice", "example.com"},
    {"<>", true, "", ""},
    {"", true, "", ""},
    {"<@relay.example:alice@example.com>", true, "alice", "example.com"},
    {"<@a.example,@b.example:alice@example.com>", true, "alice", "example.com"},
    {"<\"a b\"@example.com>", true, "a b", "example.com"},
    {"<\"a@b\"@example.com>", true, "a@b", "example.com"},
    {"<alice@[192.0.2.1]>", true, "alice", "[192.0.2.1]"},
    {"<\"john smith\"@example.com>", true, "john smith", "example.com"},
    {"<ALICE@Example.COM>", true, "ALICE", "Example.COM"},
    {"<alice>", false, "", ""},
    {"<a@>", false, "", ""},
    {"<@example.com>", false, "", ""},
    {"garbage with spaces", false, "", ""},
    {" ", false, "", ""},
    {"<alice@example.com", false, "", ""},
    {"alice@example.com>", false, "", ""},
    {"< alice@example.com>", false, "", ""},
    {"<alice@example.com> ", false, "", ""},
    {"Alice <alice@example.com>", false, "", ""},
    {"Alice<alice@example.com>", false, "", ""},
    {"<(c)alice@example.com>", false, "", ""},
    {"<a@b@example.com>", false, "", ""},
    {"<<>>", false, "", ""},
    {"<>x", false, "", ""},
    {"<@relay.example:>", false, "", ""},
    {"@relay.example:alice@example.com", false, "", ""},
    {"<a@exämple.com>", false, "", ""},
    {"<jörg@example.com>", false, "", ""},
    {"<ſupport@example.com>", false, "", ""},
    {"<support@=?utf-8?q?example.com?=>", false, "", ""},
    {"<=?utf-8?q?support?=@example.com>", false, "", ""},
    {"<\" support\"@example.com>", false, "", ""},
    {"<\"sup  port\"@example.com>", false, "", ""},
    {"<alice@example.com>\r\n", false, "", ""},
    {"<ali\0ce@example.com>"s, false, "", ""},
    {"<alice@example.com>,<bob@example.com>", false, "", ""},
};

}  // namespace

class AddressTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AddressTest);
    CPPUNIT_TEST(testMailboxLists);
    CPPUNIT_TEST(testMailboxParts);
    CPPUNIT_TEST(testLongValues);
    CPPUNIT_TEST(testHostileValuesParseInLinearTime);
    CPPUNIT_TEST(testDescribe);
    CPPUNIT_TEST(testFormatMailbox);
    CPPUNIT_TEST(testFormatMailboxRefusesAddress);
    CPPUNIT_TEST(testFormatMailboxEncodedWords);
    CPPUNIT_TEST(testFormatMailboxRoundTrip);
    CPPUNIT_TEST(testEnvelopeAddress);
    CPPUNIT_TEST(testSmtpPath);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMailboxLists() {
        for (const ListCase &c : list_cases) {
            const std::string what = "input: " + visible(c.input);
            const sendas::ParsedMailboxes parsed = sendas::parse_mailbox_list(c.input);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.error, parsed.error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.addresses, join(parsed.mailboxes));
        }
    }

    void testMailboxParts() {
        for (const PartsCase &c : parts_cases) {
            const std::string what = "input: " + visible(c.input);
            const sendas::ParsedMailboxes parsed = sendas::parse_mailbox_list(c.input);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, ParseError::none, parsed.error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, size_t(1), parsed.mailboxes.size());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.display, parsed.mailboxes[0].display);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.local, parsed.mailboxes[0].local);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.domain, parsed.mailboxes[0].domain);
        }
    }

    // Values past the 998-octet line limit, and nesting deep enough to break
    // a recursive comment parser.
    void testLongValues() {
        const std::string long_name = repeat("A", 2000) + " <alice@example.com>";
        sendas::ParsedMailboxes parsed = sendas::parse_mailbox_list(long_name);
        CPPUNIT_ASSERT_EQUAL(ParseError::none, parsed.error);
        CPPUNIT_ASSERT_EQUAL(size_t(2000), parsed.mailboxes.at(0).display.size());
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), parsed.mailboxes.at(0).address());

        std::string folded_list;
        for (int i = 0; i < 300; ++i)
            folded_list += (i ? ",\r\n " : "") + ("user" + std::to_string(i)) + "@example.com";
        parsed = sendas::parse_mailbox_list(folded_list);
        CPPUNIT_ASSERT_EQUAL(ParseError::none, parsed.error);
        CPPUNIT_ASSERT_EQUAL(size_t(300), parsed.mailboxes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("user299@example.com"), parsed.mailboxes.back().address());

        const std::string long_local = repeat("a", 1500) + "@example.com";
        CPPUNIT_ASSERT_EQUAL(long_local, join(sendas::parse_mailbox_list(long_local).mailboxes));

        const std::string trailing = "alice@example.com " + repeat("x", 2000);
        CPPUNIT_ASSERT_EQUAL(ParseError::syntax, sendas::parse_mailbox_list(trailing).error);

        const std::string deep = repeat("(", 100000) + repeat(")", 100000) + " alice@example.com";
        CPPUNIT_ASSERT_EQUAL(ParseError::none, sendas::parse_mailbox_list(deep).error);
        CPPUNIT_ASSERT_EQUAL(ParseError::syntax, sendas::parse_mailbox_list(repeat("(", 100000)).error);

        const std::string late_nul = repeat("A", 5000) + "\0"s + " <alice@example.com>";
        CPPUNIT_ASSERT_EQUAL(ParseError::control_char, sendas::parse_mailbox_list(late_nul).error);
    }

    // 1 MB values built to make a parser rescan or recurse: a linear parser
    // needs a few milliseconds for each, a quadratic one seconds.
    void testHostileValuesParseInLinearTime() {
        const size_t mb = 1 << 20;
        const std::pair<std::string, std::string> values[] = {
            {"route", "<" + repeat("@a.example,", mb / 11) + "@b:x@y.example>"},
            {"route of commas", "<" + repeat(",", mb) + "@b:x@y.example>"},
            {"nested comments", repeat("(", mb / 2) + repeat(")", mb / 2) + " a@b.example"},
            {"unclosed comments", repeat("(", mb)},
            {"quoted display name", "\"" + repeat("a", mb) + "\" <a@b.example>"},
            {"quoted local part", "\"" + repeat("a b", mb / 3) + "\"@b.example"},
            {"mailboxes", repeat("a@b.example, ", mb / 13) + "a@b.example"},
            {"quoted backslashes", "\"" + repeat("\\\\", mb / 2) + "\" <a@b.example>"},
            {"comment backslashes", "(" + repeat("\\(", mb / 2) + ") a@b.example"},
            {"bare backslashes", repeat("\\", mb)},
            {"dot-atom local part", "a" + repeat(".a", mb / 2) + "@b.example"},
            {"dot-atom domain", "a@b" + repeat(".b", mb / 2)},
            {"display name words", repeat("A ", mb / 2) + "<a@b.example>"},
            {"encoded words", repeat("=?a?q?b?= ", mb / 10) + "<a@b.example>"},
        };
        const auto bound = std::chrono::milliseconds(50 * sanitizer_slowdown);
        for (const auto &value : values) {
            const auto list_time = fastest_run([&] { sendas::parse_mailbox_list(value.second); }, bound);
            CPPUNIT_ASSERT_MESSAGE(value.first + ": " + std::to_string(list_time.count()) + " ms", list_time < bound);
            Mailbox out;
            const auto envelope_time = fastest_run([&] { sendas::parse_envelope_address(value.second, out); }, bound);
            CPPUNIT_ASSERT_MESSAGE(value.first + " as envelope: " + std::to_string(envelope_time.count()) + " ms",
                                   envelope_time < bound);
        }
    }

    void testDescribe() {
        const ParseError errors[] = {ParseError::empty,        ParseError::syntax,       ParseError::control_char,
                                     ParseError::group,        ParseError::encoded_word, ParseError::non_ascii,
                                     ParseError::quoted_spaces};
        const std::string expected[] = {"no mailbox",
                                        "not a valid RFC 5322 address",
                                        "control character in header",
                                        "group syntax is not allowed",
                                        "address contains an encoded word",
                                        "address contains non-ASCII characters",
                                        "quoted local part with leading, trailing or repeated spaces or a tab"};
        for (size_t i = 0; i < 7; ++i) CPPUNIT_ASSERT_EQUAL(expected[i], std::string(sendas::describe(errors[i])));
        CPPUNIT_ASSERT(!std::string(sendas::describe(ParseError::none)).empty());
    }

    void testFormatMailbox() {
        for (const FormatCase &c : format_cases) {
            const std::string what = "display: " + visible(c.display) + ", address: " + visible(c.address);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.expected, shown(sendas::format_mailbox(c.display, c.address)));
        }
    }

    void testFormatMailboxRefusesAddress() {
        for (const std::string &address : unwritable_addresses)
            CPPUNIT_ASSERT_EQUAL_MESSAGE("address: " + visible(address), std::string("(none)"),
                                         shown(sendas::format_mailbox("Alice", address)));
    }

    // Each word is a complete =?UTF-8?B?...?= of at most 75 characters that
    // decodes to whole characters; together they give the name, capped at 200
    // bytes on a character boundary.
    void testFormatMailboxEncodedWords() {
        const std::string address = "a@example.com";
        for (const std::string &name : encoded_names) {
            const std::string what = "display: " + name.substr(0, 40);
            const std::string out = shown(sendas::format_mailbox(name, address));
            CPPUNIT_ASSERT_MESSAGE(what, out.find_first_of("\r\n\0"s) == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, out.size() < 998 - 8);
            const std::string tail = " <" + address + ">";
            CPPUNIT_ASSERT_MESSAGE(what, out.size() > tail.size());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, tail, out.substr(out.size() - tail.size()));

            std::string decoded;
            const std::string words = out.substr(0, out.size() - tail.size()) + " ";
            for (size_t pos = 0, space; (space = words.find(' ', pos)) != std::string::npos; pos = space + 1) {
                const std::string word = words.substr(pos, space - pos);
                CPPUNIT_ASSERT_MESSAGE(what + ", word: " + word, word.size() <= 75);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string("=?UTF-8?B?"), word.substr(0, 10));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string("?="), word.substr(word.size() - 2));
                const std::string text = base64_decode(word.substr(10, word.size() - 12));
                CPPUNIT_ASSERT_MESSAGE(what + ", word: " + word, whole_characters(text));
                decoded += text;
            }
            CPPUNIT_ASSERT_MESSAGE(what, decoded.size() <= 200);
            CPPUNIT_ASSERT_MESSAGE(what, decoded.size() > 200 - 4 || decoded == name);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, name.substr(0, decoded.size()), decoded);
        }
    }

    // What the milter writes parses back to the same address, whatever the name holds.
    void testFormatMailboxRoundTrip() {
        const std::string address = "alice@example.com";
        for (const std::string &name : round_trip_names) {
            const std::string what = "display: " + visible(name);
            const sendas::ParsedMailboxes parsed =
                sendas::parse_mailbox_list(shown(sendas::format_mailbox(name, address)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, ParseError::none, parsed.error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, address, join(parsed.mailboxes));
        }
    }

    void testEnvelopeAddress() {
        for (const EnvelopeCase &c : envelope_cases) {
            const std::string what = "input: " + visible(c.input);
            Mailbox out;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.ok, sendas::parse_envelope_address(c.input, out));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.local, out.local);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, c.domain, out.domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string(), out.display);
        }
    }

    // MAIL FROM / RCPT TO paths the milter writes: a quoted local part
    // stays quoted, so "x> NOTIFY=SUCCESS <y" cannot become arguments.
    void testSmtpPath() {
        const std::pair<const char *, const char *> cases[] = {
            {"support@example.com", "<support@example.com>"},
            {"a.b+Sent@example.com", "<a.b+Sent@example.com>"},
            {"help desk@example.com", "<\"help desk\"@example.com>"},
            {"x> NOTIFY=SUCCESS <y@example.com", "<\"x> NOTIFY=SUCCESS <y\"@example.com>"},
            {"a\"b\\c@example.com", "<\"a\\\"b\\\\c\"@example.com>"},
            {".lead@example.com", "<\".lead\"@example.com>"},
            {"a..b@example.com", "<\"a..b\"@example.com>"},
        };
        for (const auto &[address, path] : cases) {
            CPPUNIT_ASSERT_EQUAL(std::string(path), sendas::smtp_path(address));
            sendas::Mailbox back;
            CPPUNIT_ASSERT_MESSAGE(path, sendas::parse_envelope_address(path, back));
            CPPUNIT_ASSERT_EQUAL(std::string(address), back.address());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AddressTest);
