// Unit tests for ad_directory.cpp's pure parts: which AD values are a
// user's own addresses, and which accounts are disabled.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "directory/ad_directory.h"

using Strings = std::vector<std::string>;

namespace {

std::string joined(const Strings &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

sendas::LdapEntry with_uac(const std::string &value) {
    sendas::LdapEntry entry;
    entry.dn = "CN=x,DC=example,DC=com";
    if (!value.empty()) entry.attributes["useraccountcontrol"] = {value};
    return entry;
}

}  // namespace

class AdDirectoryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AdDirectoryTest);
    CPPUNIT_TEST(testAddresses);
    CPPUNIT_TEST(testDisabled);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAddresses() {
        // mail first, then the primary SMTP:, then the other smtp:; x500:, sip: skipped.
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com a.primary@example.com a.alias@example.org"),
                             joined(sendas::ad_addresses({"alice@example.com"},
                                                         {"smtp:a.alias@example.org", "X500:/o=Example/cn=alice",
                                                          "SMTP:a.primary@example.com", "sip:alice.sip@example.com"})));
        // Only proxyAddresses: the primary first; each address once, whatever its case.
        CPPUNIT_ASSERT_EQUAL(std::string("heidi@example.com h@example.org"),
                             joined(sendas::ad_addresses({}, {"smtp:h@example.org", "SMTP:heidi@example.com",
                                                              "smtp:HEIDI@example.com", "Smtp:H@Example.org"})));
        CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"),
                             joined(sendas::ad_addresses({"bob@example.com"}, {"SMTP:Bob@Example.com"})));
        CPPUNIT_ASSERT_EQUAL(std::string(), joined(sendas::ad_addresses({}, {"smtp:", "x400:c=us;a= ;", "smtp"})));
    }

    void testDisabled() {
        CPPUNIT_ASSERT(sendas::ad_account_disabled(with_uac("514")));    // 0x202
        CPPUNIT_ASSERT(sendas::ad_account_disabled(with_uac("66050")));  // 0x10202
        CPPUNIT_ASSERT(!sendas::ad_account_disabled(with_uac("512")));
        CPPUNIT_ASSERT(!sendas::ad_account_disabled(with_uac("544")));  // 0x220
        CPPUNIT_ASSERT(!sendas::ad_account_disabled(with_uac("")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AdDirectoryTest);
