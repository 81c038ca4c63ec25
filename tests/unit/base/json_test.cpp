// JSON string escaping: what a SIEM reads from JSON audit lines.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "base/json.h"

using sendas::json_string;

class JsonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonTest);
    CPPUNIT_TEST(testEscapes);
    CPPUNIT_TEST(testValidUtf8PassesThrough);
    CPPUNIT_TEST(testInvalidUtf8Replaced);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEscapes() {
        CPPUNIT_ASSERT_EQUAL(std::string(R"("a\"b\\c")"), json_string("a\"b\\c"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"("\u0000\u000a\u001f\u007f")"), json_string(std::string("\0\n\x1f\x7f", 4)));
    }

    void testValidUtf8PassesThrough() {
        for (const char *s : {"\xc3\xa9", "\xe2\x82\xac", "\xef\xbd\x93upport", "\xf0\x9f\x93\xa7", "\xc5\xbf",
                              "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"})
            CPPUNIT_ASSERT_EQUAL(std::string("\"") + s + "\"", json_string(s));
    }

    void testInvalidUtf8Replaced() {
        const std::pair<std::string, std::string> cases[] = {
            {"\xff", R"("\ufffd")"},                                // never valid
            {"a\x80z", R"("a\ufffdz")"},                            // stray continuation
            {"\xc3", R"("\ufffd")"},                                // truncated at the end
            {"\xc3(", R"("\ufffd(")"},                              // truncated before ASCII
            {"\xc0\xaf", R"("\ufffd\ufffd")"},                      // overlong '/'
            {"\xe0\x80\xaf", R"("\ufffd\ufffd\ufffd")"},            // overlong, 3 bytes
            {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},            // surrogate U+D800
            {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // past U+10FFFF
            {"\xe2\x82", R"("\ufffd\ufffd")"},                      // truncated 3-byte
            {"ok\xe2\x82\xac\xff", "\"ok\xe2\x82\xac\\ufffd\""},    // valid then invalid
        };
        for (const auto &[in, want] : cases) CPPUNIT_ASSERT_EQUAL(want, json_string(in));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonTest);
