// Unit tests for security_descriptor.cpp: the MS-DTYP binary forms, every
// malformed length refused, and which ACEs decide Send-As.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "directory/security_descriptor.h"

using sendas::Guid;
using sendas::SecurityDescriptor;
using sendas::SendAsVerdict;
using Kind = sendas::SendAsVerdict::Kind;

namespace {

const std::string alice = sendas::sid_from_string("S-1-5-21-1000-2000-3000-1103");
const std::string helpdesk = sendas::sid_from_string("S-1-5-21-1000-2000-3000-1110");
const std::string domain_admins = sendas::sid_from_string("S-1-5-21-1000-2000-3000-512");
const std::string self = sendas::sid_from_string("S-1-5-10");
// Change-Password, the right next to Send-As: ab721a53-1e2f-11d0-9819-00aa0040529b.
const Guid change_password = {0x53, 0x1a, 0x72, 0xab, 0x2f, 0x1e, 0xd0, 0x11,
                              0x98, 0x19, 0x00, 0xaa, 0x00, 0x40, 0x52, 0x9b};
constexpr uint32_t full_control = 0x000f01ff;  // what AD stores for GenericAll

void put16(std::string &out, unsigned v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8 & 0xff);
}
void put32(std::string &out, uint32_t v) {
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}

// One ACE in binary form; `object` set: an object ACE naming that type.
std::string ace(uint8_t type, uint32_t mask, const std::string &sid, const Guid *object = nullptr, uint8_t flags = 0) {
    std::string body;
    put32(body, mask);
    if (type == sendas::ace_allowed_object || type == sendas::ace_denied_object) {
        put32(body, object ? 1 : 0);
        if (object) body.append(object->begin(), object->end());
    }
    body += sid;
    std::string out{static_cast<char>(type), static_cast<char>(flags)};
    put16(out, 4 + body.size());
    return out + body;
}

std::string send_as_ace(uint8_t type, const std::string &sid, uint8_t flags = 0) {
    return ace(type, sendas::right_control_access, sid, &sendas::send_as_right, flags);
}

// A self-relative descriptor holding an owner SID and a DACL of `aces`.
std::string descriptor(const std::vector<std::string> &aces) {
    std::string acl;
    for (const auto &a : aces) acl += a;
    std::string header{1, 0};
    put16(header, 0x8004);  // self-relative, DACL present
    const std::string owner = domain_admins;
    put32(header, 20);                 // owner
    put32(header, 0);                  // group
    put32(header, 0);                  // SACL
    put32(header, 20 + owner.size());  // DACL
    std::string acl_head{4, 0};
    put16(acl_head, 8 + acl.size());
    put16(acl_head, aces.size());
    put16(acl_head, 0);
    return header + owner + acl_head + acl;
}

SecurityDescriptor parsed(const std::string &data) {
    SecurityDescriptor sd;
    std::string error;
    CPPUNIT_ASSERT_MESSAGE(error, sendas::parse_security_descriptor(data, sd, error));
    return sd;
}

Kind verdict(const std::vector<std::string> &aces, const std::set<std::string> &token, bool full = false) {
    return sendas::send_as_verdict(parsed(descriptor(aces)), token, full).kind;
}

}  // namespace

class SecurityDescriptorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SecurityDescriptorTest);
    CPPUNIT_TEST(testSidText);
    CPPUNIT_TEST(testParsesAces);
    CPPUNIT_TEST(testSendAsByName);
    CPPUNIT_TEST(testDenyWins);
    CPPUNIT_TEST(testFullControlOnlyWithKey);
    CPPUNIT_TEST(testInheritOnlyAndOtherRights);
    CPPUNIT_TEST(testEveryTruncationRefused);
    CPPUNIT_TEST(testMalformed);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSidText() {
        for (const char *text : {"S-1-5-10", "S-1-5-21-1000-2000-3000-512", "S-1-1-0", "S-1-5-32-544",
                                 "S-1-5-21-4294967295-1-2-3-4-5-6-7-8-9-10-11-12-13"}) {
            const std::string binary = sendas::sid_from_string(text);
            CPPUNIT_ASSERT_MESSAGE(text, !binary.empty());
            CPPUNIT_ASSERT_EQUAL(std::string(text), sendas::sid_to_string(binary));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("\x01\x01\x00\x00\x00\x00\x00\x05\x0a\x00\x00\x00", 12), self);
        for (const char *bad : {"", "S-1-", "S-1-5-", "S-2-5", "S-1-x", "S-1-5-4294967296",
                                "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"})
            CPPUNIT_ASSERT_MESSAGE(bad, sendas::sid_from_string(bad).empty());
        CPPUNIT_ASSERT_EQUAL(std::string(), sendas::sid_to_string(self + "x"));  // trailing byte
        CPPUNIT_ASSERT_EQUAL(std::string(), sendas::sid_to_string(self.substr(0, 11)));
    }

    void testParsesAces() {
        const SecurityDescriptor sd = parsed(descriptor(
            {send_as_ace(sendas::ace_allowed_object, alice), ace(sendas::ace_allowed, full_control, domain_admins)}));
        CPPUNIT_ASSERT(sd.has_dacl);
        CPPUNIT_ASSERT_EQUAL(size_t(2), sd.dacl.size());
        CPPUNIT_ASSERT(sd.dacl[0].has_object_type);
        CPPUNIT_ASSERT(sd.dacl[0].object_type == sendas::send_as_right);
        CPPUNIT_ASSERT_EQUAL(alice, sd.dacl[0].sid);
        CPPUNIT_ASSERT_EQUAL(full_control, sd.dacl[1].mask);
        CPPUNIT_ASSERT_EQUAL(domain_admins, sd.dacl[1].sid);
    }

    void testSendAsByName() {
        const auto aces = {send_as_ace(sendas::ace_allowed_object, helpdesk),
                           send_as_ace(sendas::ace_allowed_object, self)};
        const auto sd = parsed(descriptor(aces));
        const SendAsVerdict v = sendas::send_as_verdict(sd, {alice, helpdesk}, false);
        CPPUNIT_ASSERT(v.kind == Kind::allowed);
        CPPUNIT_ASSERT_EQUAL(helpdesk, v.trustee);
        CPPUNIT_ASSERT_EQUAL(size_t(0), v.ace);
        // SELF is never in a token: the mailbox's own ACE grants nobody else.
        CPPUNIT_ASSERT(verdict(aces, {alice}) == Kind::none);
    }

    void testDenyWins() {
        const std::string deny = send_as_ace(sendas::ace_denied_object, alice);
        const std::string allow = send_as_ace(sendas::ace_allowed_object, helpdesk);
        CPPUNIT_ASSERT(verdict({deny, allow}, {alice, helpdesk}) == Kind::denied);
        CPPUNIT_ASSERT(verdict({allow, deny}, {alice, helpdesk}) == Kind::denied);  // order does not matter
        CPPUNIT_ASSERT(verdict({allow, deny}, {helpdesk}) == Kind::allowed);        // a deny for someone else
        // Denying every extended right denies Send-As; another right's deny does not.
        CPPUNIT_ASSERT(verdict({allow, ace(sendas::ace_denied_object, sendas::right_control_access, alice)},
                               {alice, helpdesk}) == Kind::denied);
        CPPUNIT_ASSERT(
            verdict({allow, ace(sendas::ace_denied_object, sendas::right_control_access, alice, &change_password)},
                    {alice, helpdesk}) == Kind::allowed);
        CPPUNIT_ASSERT(verdict({allow, ace(sendas::ace_denied, sendas::right_generic_all, alice)}, {alice, helpdesk}) ==
                       Kind::denied);
    }

    void testFullControlOnlyWithKey() {
        const auto aces = {ace(sendas::ace_allowed, full_control, domain_admins),
                           ace(sendas::ace_allowed_object, sendas::right_control_access, helpdesk)};
        CPPUNIT_ASSERT(verdict(aces, {alice, domain_admins}) == Kind::none);
        CPPUNIT_ASSERT(verdict(aces, {alice, domain_admins}, true) == Kind::allowed);
        CPPUNIT_ASSERT(verdict(aces, {alice, helpdesk}) == Kind::none);  // all extended rights
        CPPUNIT_ASSERT(verdict(aces, {alice, helpdesk}, true) == Kind::allowed);
        CPPUNIT_ASSERT(verdict(aces, {alice}, true) == Kind::none);
    }

    void testInheritOnlyAndOtherRights() {
        CPPUNIT_ASSERT(verdict({send_as_ace(sendas::ace_allowed_object, alice, sendas::ace_flag_inherit_only)},
                               {alice}) == Kind::none);
        CPPUNIT_ASSERT(verdict({send_as_ace(sendas::ace_allowed_object, alice, sendas::ace_flag_inherited)}, {alice}) ==
                       Kind::allowed);
        CPPUNIT_ASSERT(verdict({ace(sendas::ace_allowed_object, sendas::right_control_access, alice, &change_password)},
                               {alice}, true) == Kind::none);
        // Read property with the Send-As GUID is not the extended right.
        CPPUNIT_ASSERT(verdict({ace(sendas::ace_allowed_object, 0x10, alice, &sendas::send_as_right)}, {alice}, true) ==
                       Kind::none);
        CPPUNIT_ASSERT(verdict({send_as_ace(sendas::ace_allowed_object, alice)}, {}) == Kind::none);
    }

    void testEveryTruncationRefused() {
        const std::string whole = descriptor(
            {send_as_ace(sendas::ace_allowed_object, alice), ace(sendas::ace_allowed, full_control, domain_admins)});
        SecurityDescriptor sd;
        std::string error;
        for (size_t n = 0; n < whole.size(); ++n)
            CPPUNIT_ASSERT_MESSAGE("prefix of " + std::to_string(n) + " bytes",
                                   !sendas::parse_security_descriptor(whole.substr(0, n), sd, error));
    }

    void testMalformed() {
        const std::string good = descriptor({send_as_ace(sendas::ace_allowed_object, alice)});
        const size_t dacl = 20 + domain_admins.size(), first_ace = dacl + 8, sid_at = first_ace + 4 + 8 + 16;
        auto refused = [](std::string data, size_t at, char value, const char *what) {
            data[at] = value;
            SecurityDescriptor sd;
            std::string error;
            CPPUNIT_ASSERT_MESSAGE(what, !sendas::parse_security_descriptor(data, sd, error));
            CPPUNIT_ASSERT_MESSAGE(what, !error.empty());
        };
        refused(good, 0, 2, "descriptor revision");
        refused(good, 3, 0x00, "absolute form");
        refused(good, 16, char(0xf0), "DACL offset beyond");
        refused(good, 4, char(0xf0), "owner offset beyond");
        refused(good, dacl, 3, "ACL revision");
        refused(good, dacl + 2, char(0xff), "ACL size beyond");
        refused(good, dacl + 4, 2, "ACE count beyond");
        refused(good, first_ace + 2, 3, "ACE size below its header");
        refused(good, first_ace + 2, char(0xf0), "ACE size beyond");
        refused(good, sid_at + 1, 16, "SID with 16 sub-authorities");
        refused(good, sid_at, 2, "SID revision");
        SecurityDescriptor sd;
        std::string error;
        // No DACL present: parsed, nothing granted.
        std::string no_dacl = good;
        no_dacl[2] = 0x00;
        CPPUNIT_ASSERT(sendas::parse_security_descriptor(no_dacl, sd, error));
        CPPUNIT_ASSERT(!sd.has_dacl);
        CPPUNIT_ASSERT(sendas::send_as_verdict(sd, {alice}, true).kind == Kind::none);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SecurityDescriptorTest);
