// Unit tests for the pure parts of the change watcher's directory side:
// poll marks (poll_feed.h), what a changed entry names and which subtrees
// are watched (change_scope.h, change_feed.h).
#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <string>
#include <vector>

#include "base/config.h"
#include "directory/change_feed.h"
#include "directory/change_scope.h"
#include "directory/ldap_connection.h"
#include "directory/poll_feed.h"
#include "directory/syncrepl_feed.h"

using namespace std::string_literals;
using sendas::ChangedEntry;
using sendas::LdapEntry;

namespace {

// BER as RFC 4533 writes it; short forms only.
std::string tlv(unsigned char tag, const std::string &body) {
    return std::string(1, static_cast<char>(tag)) + static_cast<char>(body.size()) + body;
}
const std::string uuid(16, '\x01');
const std::string cookie = "rid=000,csn=20240101120000.000001Z#000000#000#000000";
std::string state_value(char state, const std::string &with_cookie = "") {
    return tlv(
        0x30, tlv(0x0a, std::string(1, state)) + tlv(0x04, uuid) + (with_cookie.empty() ? "" : tlv(0x04, with_cookie)));
}

LdapEntry entry(const std::string &dn, const std::string &stamp, const std::string &csn = "") {
    LdapEntry e;
    e.dn = dn;
    e.attributes["modifytimestamp"] = {stamp};
    if (!csn.empty()) e.attributes["entrycsn"] = {csn};
    return e;
}

std::string dns(const std::vector<const LdapEntry *> &changed) {
    std::string out;
    for (const auto *e : changed) out += (out.empty() ? "" : " ") + e->dn;
    return out;
}

std::string joined(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &i : items) out += (out.empty() ? "" : "|") + i;
    return out;
}

}  // namespace

class ChangeFeedTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ChangeFeedTest);
    CPPUNIT_TEST(markAdvancesAndReportsOnce);
    CPPUNIT_TEST(sameSecondTwiceIsTwoChanges);
    CPPUNIT_TEST(vanishedDns);
    CPPUNIT_TEST(dnWithin);
    CPPUNIT_TEST(groupsByObjectClass);
    CPPUNIT_TEST(mailboxesOfAnEntry);
    CPPUNIT_TEST(watchedBasesOnceEach);
    CPPUNIT_TEST(syncStateValues);
    CPPUNIT_TEST(syncInfoValues);
    CPPUNIT_TEST_SUITE_END();

public:
    // Each poll asks for stamps >= the mark: what was reported at the mark
    // comes again and must not count twice; a later stamp moves the mark.
    void markAdvancesAndReportsOnce() {
        const auto &dialect = sendas::timestamp_dialect();
        std::string mark = "20240101000000Z";
        std::set<std::string> seen;
        std::vector<LdapEntry> first = {entry("cn=a,dc=x", "20240101000005Z"), entry("cn=b,dc=x", "20240101000007Z")};
        std::vector<const LdapEntry *> changed;
        sendas::advance_mark(dialect, first, mark, seen, changed);
        CPPUNIT_ASSERT_EQUAL("cn=a,dc=x cn=b,dc=x"s, dns(changed));
        CPPUNIT_ASSERT_EQUAL("20240101000007Z"s, mark);
        // The next poll sees b again (>= mark) and c, new at the same second.
        std::vector<LdapEntry> second = {entry("cn=b,dc=x", "20240101000007Z"), entry("cn=c,dc=x", "20240101000007Z")};
        changed.clear();
        sendas::advance_mark(dialect, second, mark, seen, changed);
        CPPUNIT_ASSERT_EQUAL("cn=c,dc=x"s, dns(changed));
        changed.clear();
        sendas::advance_mark(dialect, second, mark, seen, changed);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("nothing new", ""s, dns(changed));
        // An entry older than the mark (a server that ignored the filter) is not news.
        std::vector<LdapEntry> old = {entry("cn=d,dc=x", "20231231000000Z")};
        sendas::advance_mark(dialect, old, mark, seen, changed);
        CPPUNIT_ASSERT_EQUAL(""s, dns(changed));
        CPPUNIT_ASSERT_EQUAL("20240101000007Z"s, mark);
    }

    // Two modifications of one entry within one second differ in entryCSN.
    void sameSecondTwiceIsTwoChanges() {
        const auto &dialect = sendas::timestamp_dialect();
        std::string mark = "20240101000000Z";
        std::set<std::string> seen;
        std::vector<const LdapEntry *> changed;
        std::vector<LdapEntry> once = {
            entry("cn=a,dc=x", "20240101000005Z", "20240101000005.000001Z#000000#000#000000")};
        sendas::advance_mark(dialect, once, mark, seen, changed);
        std::vector<LdapEntry> twice = {
            entry("cn=a,dc=x", "20240101000005Z", "20240101000005.500000Z#000000#000#000000")};
        changed.clear();
        sendas::advance_mark(dialect, twice, mark, seen, changed);
        CPPUNIT_ASSERT_EQUAL("cn=a,dc=x"s, dns(changed));
    }

    void vanishedDns() {
        const std::set<std::string> before = {"cn=a", "cn=b", "cn=c"}, now = {"cn=a", "cn=c", "cn=d"};
        CPPUNIT_ASSERT_EQUAL("cn=b"s, joined(sendas::vanished(before, now)));
        CPPUNIT_ASSERT_EQUAL(""s, joined(sendas::vanished(now, now)));
    }

    void dnWithin() {
        CPPUNIT_ASSERT(sendas::dn_within("cn=a,ou=send-as,dc=x", "ou=send-as,dc=x"));
        CPPUNIT_ASSERT(sendas::dn_within("ou=send-as,dc=x", "ou=send-as,dc=x"));
        CPPUNIT_ASSERT(!sendas::dn_within("cn=a,ou=xsend-as,dc=x", "ou=send-as,dc=x"));
        CPPUNIT_ASSERT(!sendas::dn_within("dc=x", "ou=send-as,dc=x"));
        CPPUNIT_ASSERT(!sendas::dn_within("cn=a,dc=x", ""));
    }

    void groupsByObjectClass() {
        ChangedEntry change;
        change.object_classes = {"top", "inetorgperson"};
        CPPUNIT_ASSERT(!sendas::may_be_group(change));
        for (const char *oc : {"groupofnames", "groupofuniquenames", "group", "posixgroup"}) {
            change.object_classes = {"top", oc};
            CPPUNIT_ASSERT_MESSAGE(oc, sendas::may_be_group(change));
        }
        ChangedEntry deleted;
        deleted.deleted = true;
        CPPUNIT_ASSERT_MESSAGE("a deletion may have been a group", sendas::may_be_group(deleted));
    }

    void mailboxesOfAnEntry() {
        ChangedEntry change;
        change.dn = "cn=Support@Example.COM,ou=send-as,dc=x";
        change.names = {"Support@Example.COM", "Support Team", "help@example.com"};
        CPPUNIT_ASSERT_EQUAL("support@example.com|help@example.com"s, joined(sendas::entry_mailboxes(change, false)));
        CPPUNIT_ASSERT_EQUAL("Support@example.com|help@example.com"s, joined(sendas::entry_mailboxes(change, true)));
        ChangedEntry deleted;
        deleted.deleted = true;
        deleted.dn = "cn=Sales@example.com,ou=send-as,dc=x";
        CPPUNIT_ASSERT_EQUAL_MESSAGE("a deletion names its RDN", "sales@example.com"s,
                                     joined(sendas::entry_mailboxes(deleted, false)));
        deleted.dn = "cn=@Example.org,ou=send-as,dc=x";
        CPPUNIT_ASSERT_EQUAL_MESSAGE("a domain group", "@example.org"s,
                                     joined(sendas::entry_mailboxes(deleted, false)));
        deleted.dn = "cn=a\\,b@example.com,ou=send-as,dc=x";
        CPPUNIT_ASSERT_EQUAL_MESSAGE("an escaped RDN", "a,b@example.com"s,
                                     joined(sendas::entry_mailboxes(deleted, false)));
    }

    // A base under another is watched through the other.
    void watchedBasesOnceEach() {
        sendas::LdapConfig config;
        CPPUNIT_ASSERT_EQUAL("dc=example,dc=com"s, joined(sendas::watched_bases(config)));
        config.send_as_base = "ou=send-as,o=rights";
        config.full_access_base = "o=rights";
        config.report_base = "ou=Report,dc=Example,dc=com";
        CPPUNIT_ASSERT_EQUAL("dc=example,dc=com|o=rights"s, joined(sendas::watched_bases(config)));
    }

    void syncStateValues() {
        int state = -1;
        std::string got;
        CPPUNIT_ASSERT(sendas::parse_sync_state(state_value(1), state, got));
        CPPUNIT_ASSERT_EQUAL(1, state);
        CPPUNIT_ASSERT_EQUAL(""s, got);
        CPPUNIT_ASSERT(sendas::parse_sync_state(state_value(3, cookie), state, got));
        CPPUNIT_ASSERT_EQUAL(3, state);
        CPPUNIT_ASSERT_EQUAL(cookie, got);
        CPPUNIT_ASSERT_MESSAGE("no such state", !sendas::parse_sync_state(state_value(9), state, got));
        CPPUNIT_ASSERT_MESSAGE("truncated", !sendas::parse_sync_state(state_value(1).substr(0, 5), state, got));
        CPPUNIT_ASSERT_MESSAGE("empty", !sendas::parse_sync_state("", state, got));
    }

    void syncInfoValues() {
        using Kind = sendas::SyncInfo::Kind;
        sendas::SyncInfo info;
        CPPUNIT_ASSERT(sendas::parse_sync_info(tlv(0x80, cookie), info));
        CPPUNIT_ASSERT(info.kind == Kind::new_cookie && info.cookie == cookie);
        CPPUNIT_ASSERT(sendas::parse_sync_info(tlv(0xa1, tlv(0x04, cookie)), info));
        CPPUNIT_ASSERT_MESSAGE("refreshDone defaults to TRUE",
                               info.kind == Kind::refresh_delete && info.refresh_done && info.cookie == cookie);
        CPPUNIT_ASSERT(sendas::parse_sync_info(tlv(0xa2, tlv(0x01, "\x00"s)), info));
        CPPUNIT_ASSERT(info.kind == Kind::refresh_present && !info.refresh_done && info.cookie.empty());
        CPPUNIT_ASSERT(sendas::parse_sync_info(tlv(0xa3, tlv(0x01, "\xff"s) + tlv(0x31, tlv(0x04, uuid))), info));
        CPPUNIT_ASSERT(info.kind == Kind::id_set && info.refresh_deletes);
        CPPUNIT_ASSERT_MESSAGE("another tag", !sendas::parse_sync_info(tlv(0x04, cookie), info));
        CPPUNIT_ASSERT_MESSAGE("empty", !sendas::parse_sync_info("", info));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ChangeFeedTest);
