// Unit tests for the cache layers: cache_codec (Redis records), LocalCache
// (bounded LRU), SingleFlight, and CachingDirectory without Redis, over a
// fake backend directory and a clock the tests move by hand.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache_codec.h"
#include "cache/caching_directory.h"
#include "cache/local_cache.h"
#include "cache/redis_client.h"
#include "cache/redis_tier.h"
#include "cache/single_flight.h"
#include "directory/directory.h"
#include "grants.h"
#include "ops/send_limit.h"

using namespace std::string_literals;
using sendas::CachedRights;
using sendas::CachedUser;
using sendas::CacheSettings;
using sendas::CachingDirectory;
using sendas::LocalCache;
using sendas::LocalRecord;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::RecordCheck;
using sendas::SingleFlight;
using sendas::UserInfo;

using sendas_test::grant;

namespace {

const char *status_name(LookupStatus s) {
    switch (s) {
    case LookupStatus::found: return "found";
    case LookupStatus::not_found: return "not_found";
    case LookupStatus::unavailable: return "unavailable";
    }
    return "?";
}

std::string shown(const std::vector<std::string> &items) {
    std::string out = "[";
    for (const auto &item : items) out += (out.size() > 1 ? "|" : "") + item;
    return out + "]";
}

std::string shown(const MailboxRights &r) {
    using SentCopy = MailboxRights::SentCopy;
    using Mode = MailboxRights::Mode;
    return std::string(r.send_as ? "a" : "-") + (r.send_on_behalf ? "b" : "-") + (r.full_access ? "f" : "-") +
           (r.sent_copy == SentCopy::on    ? " copy=on"
            : r.sent_copy == SentCopy::off ? " copy=off"
                                           : "") +
           (r.domain_grant ? " domain" : "") + (r.sent_copy_to.owner ? " to-owner" : "") +
           (r.sent_copy_to.sender ? " to-sender" : "") +
           (r.mode == Mode::report    ? " mode=report"
            : r.mode == Mode::enforce ? " mode=enforce"
                                      : "") +
           (r.stale ? " stale" : "") + " " + shown(r.path.dns());
}

// --- cache_codec -------------------------------------------------------------

struct UserCase {
    const char *name;
    CachedUser entry;
};

CachedUser cached_user(LookupStatus status, UserInfo user, int64_t fresh, int64_t stale) {
    CachedUser e;
    e.answer = {status, std::move(user)};
    e.fresh_until = fresh;
    e.stale_until = stale;
    return e;
}

CachedRights cached_rights(LookupStatus status, MailboxRights rights, int64_t fresh, int64_t stale) {
    CachedRights e;
    e.answer = {status, std::move(rights)};
    e.fresh_until = fresh;
    e.stale_until = stale;
    return e;
}

const std::vector<UserCase> &user_cases() {
    static const std::vector<UserCase> cases = {
        {"plain",
         cached_user(LookupStatus::found, {"uid=alice,ou=people,dc=example,dc=com", "Alice", {"alice@example.com"}},
                     1700000300, 1700000360)},
        {"several addresses", cached_user(LookupStatus::found,
                                          {"uid=bob,dc=example,dc=com",
                                           "Bob Builder",
                                           {"bob@example.com", "bob.b@example.com", "builder@example.org"}},
                                          5, 5)},
        {"no addresses", cached_user(LookupStatus::found, {"uid=zed,dc=example,dc=com", "Zed", {}}, 10, 20)},
        {"empty address value", cached_user(LookupStatus::found, {"uid=y,dc=x", "", {"", "y@example.com", ""}}, 1, 2)},
        {"not found, nothing else", cached_user(LookupStatus::not_found, {}, 1700000060, 1700000060)},
        {"colons and digits",
         cached_user(LookupStatus::found, {"cn=12:34\\,5:x,dc=example,dc=com", "3:abc", {"1:a@b", "10:"}}, 0, 0)},
        {"NUL bytes", cached_user(LookupStatus::found, {"uid=a\0b,dc=x"s, "\0"s, {"a\0@example.com"s, "\0\0"s}}, 7, 8)},
        {"long value", cached_user(LookupStatus::found, {std::string(100000, 'd'), "x", {"a@b"}}, 9, 9)},
        {"UTF-8 and newlines",
         cached_user(LookupStatus::found, {"uid=j\xc3\xb6rg,dc=x", "J\xc3\xb6rg\r\nBcc: x", {"j@x"}}, 1, 1)},
    };
    return cases;
}

struct RightsCase {
    const char *name;
    CachedRights entry;
};

using SentCopy = MailboxRights::SentCopy;
using Mode = MailboxRights::Mode;

MailboxRights with(MailboxRights r, SentCopy copy, Mode mode) {
    r.sent_copy = copy;
    r.mode = mode;
    return r;
}

MailboxRights copy_to(MailboxRights r, bool owner, bool sender) {
    r.sent_copy_to.owner = owner;
    r.sent_copy_to.sender = sender;
    return r;
}

MailboxRights domain_granted(MailboxRights r) {
    r.domain_grant = true;
    return r;
}

const std::vector<RightsCase> &rights_cases() {
    static const std::vector<RightsCase> cases = {
        {"send as with path",
         cached_rights(LookupStatus::found,
                       grant(true, false, false,
                             {"uid=alice,ou=people,dc=example,dc=com", "cn=support-team,ou=groups,dc=example,dc=com",
                              "cn=support@example.com,ou=send-as,ou=mailbox-rights,dc=example,dc=com"}),
                       1700000300, 1700000400)},
        {"send on behalf", cached_rights(LookupStatus::found, grant(false, true, false, {"u", "g"}), 3, 4)},
        {"full access only", cached_rights(LookupStatus::found, grant(false, false, true), 3, 4)},
        {"all three", cached_rights(LookupStatus::found, grant(true, true, true, {"x"}), 3, 4)},
        {"no right at all", cached_rights(LookupStatus::found, grant(false, false, false), 60, 60)},
        {"not found", cached_rights(LookupStatus::not_found, grant(false, false, false), 60, 60)},
        {"no Sent copy",
         cached_rights(LookupStatus::found, with(grant(true, false, false, {"u"}), SentCopy::off, Mode::unset), 1, 1)},
        {"Sent copy forced",
         cached_rights(LookupStatus::found, with(grant(false, true, false, {"u"}), SentCopy::on, Mode::unset), 1, 1)},
        {"report mode",
         cached_rights(LookupStatus::found, with(grant(false, false, false), SentCopy::unset, Mode::report), 1, 1)},
        {"enforce mode, no copy",
         cached_rights(LookupStatus::found, with(grant(true, true, false), SentCopy::off, Mode::enforce), 1, 1)},
        {"report mode, copy on",
         cached_rights(LookupStatus::found, with(grant(true, false, true), SentCopy::on, Mode::report), 1, 1)},
        {"Sent copy to the owner's folder",
         cached_rights(LookupStatus::found, copy_to(grant(true, false, false, {"u"}), true, false), 1, 1)},
        {"Sent copy to the sender's folder",
         cached_rights(LookupStatus::found, copy_to(grant(false, true, false, {"u"}), false, true), 1, 1)},
        {"Sent copy to both, report mode",
         cached_rights(LookupStatus::found,
                       with(copy_to(grant(true, true, false), true, true), SentCopy::unset, Mode::report), 1, 1)},
        {"domain grant",
         cached_rights(LookupStatus::found, domain_granted(grant(true, false, false, {"u", "cn=@example.net"})), 1, 1)},
        {"binary path",
         cached_rights(LookupStatus::found, grant(true, false, false, {"a\0:b"s, "", "5:12345", "0:"}), 1, 2)},
    };
    return cases;
}

// The codec tests run unsigned and signed: but for the tag, both must
// behave the same.
const std::string test_key = "k3y-0f-the-t3st\0with a NUL"s;
const std::string other_key = "k3y-0f-the-t3st\0with a NUL!"s;
const std::vector<std::string> codec_keys = {"", test_key};

// Where the tests keep records: alice's hash unless told otherwise.
sendas::RecordPlace at(const std::string &generation, const std::string &login = "alice",
                       const std::string &field = "user") {
    return {"sendas:v1:u:" + login, field, generation};
}

const char *check_name(RecordCheck c) {
    switch (c) {
    case RecordCheck::ok: return "ok";
    case RecordCheck::miss: return "miss";
    case RecordCheck::forged: return "forged";
    }
    return "?";
}

std::string mode(const std::string &key) { return key.empty() ? " (unsigned)" : " (signed)"; }

// Each turns a valid record into one decode() must refuse.
struct Garbling {
    const char *name;
    std::string (*garble)(const std::string &record);
};

const Garbling garblings[] = {
    {"empty", [](const std::string &) { return ""s; }},
    {"other version",
     [](const std::string &r) {
         std::string s = r;
         auto at = s.find("sendas-cache-") + 13;  // the version number after it
         s[at] = s[at] == '9' ? '0' : static_cast<char>(s[at] + 1);
         return s;
     }},
    {"no version", [](const std::string &r) { return r.substr(r.find(':') + 1 + 14); }},
    {"length letter", [](const std::string &r) { return "1a" + r.substr(r.find(':')); }},
    {"length sign", [](const std::string &r) { return "+14" + r.substr(r.find(':')); }},
    {"length negative", [](const std::string &r) { return "-14" + r.substr(r.find(':')); }},
    {"length space", [](const std::string &r) { return " 14" + r.substr(r.find(':')); }},
    {"length empty", [](const std::string &r) { return r.substr(r.find(':')); }},
    // ">" is '0' + 14: only a digit check tells it from the "14" it replaces.
    {"length symbol", [](const std::string &r) { return ">" + r.substr(r.find(':')); }},
    {"length too long", [](const std::string &r) { return "99999999999999999999" + r.substr(r.find(':')); }},
    {"length past the end", [](const std::string &r) { return r + "9:abc"; }},
    {"trailing byte", [](const std::string &r) { return r + "x"; }},
    {"no colon at the end", [](const std::string &r) { return r + "12"; }},
    {"text", [](const std::string &) { return "hello world"s; }},
    {"bare JSON", [](const std::string &) { return "{\"user\":\"alice\"}"s; }},
};

// Every field of a record, split back by the test itself: the framing is
// the codec's documented format ("5:hello" fields: version, tag, generation...).
std::vector<std::string> fields_of(const std::string &record) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < record.size()) {
        size_t colon = record.find(':', pos);
        size_t length = std::stoul(record.substr(pos, colon - pos));
        out.push_back(record.substr(colon + 1, length));
        pos = colon + 1 + length;
    }
    return out;
}

// Where each field's content lies in a record: [begin, end) by field.
std::vector<std::pair<size_t, size_t>> contents_of(const std::string &record) {
    std::vector<std::pair<size_t, size_t>> out;
    size_t pos = 0;
    while (pos < record.size()) {
        size_t colon = record.find(':', pos);
        size_t length = std::stoul(record.substr(pos, colon - pos));
        out.emplace_back(colon + 1, colon + 1 + length);
        pos = colon + 1 + length;
    }
    return out;
}

std::string framed(const std::vector<std::string> &fields) {
    std::string out;
    for (const auto &f : fields) out += std::to_string(f.size()) + ":" + f;
    return out;
}

// --- A directory the tests control ---------------------------------------------

class FakeDirectory : public sendas::Directory {
public:
    sendas::Answer<UserInfo> find_user(const std::string &login, sendas::LookupContext &) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ++user_calls;
        if (!available) return {LookupStatus::unavailable, {}};
        auto it = users.find(login);
        if (it == users.end()) return {LookupStatus::not_found, {}};
        return {LookupStatus::found, it->second};
    }
    sendas::Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &, const std::string &mailbox,
                                              sendas::LookupContext &) override {
        if (during_rights) during_rights();
        std::lock_guard<std::mutex> lock(mutex_);
        ++rights_calls;
        if (!available) return {LookupStatus::unavailable, {}};
        auto it = grants.find(login + "/" + mailbox);
        // as LDAP: no group is "found, no flag"
        return {LookupStatus::found, it == grants.end() ? MailboxRights{} : it->second};
    }
    std::string probe() override { return available ? "" : "down"; }
    std::map<std::string, unsigned long long> stats() const override {
        return {{"ldap_searches", 10 * (user_calls + rights_calls)}};
    }

    void set_available(bool yes) {
        std::lock_guard<std::mutex> lock(mutex_);
        available = yes;
    }
    void set_grant(const std::string &login, const std::string &mailbox, MailboxRights r) {
        std::lock_guard<std::mutex> lock(mutex_);
        grants[login + "/" + mailbox] = std::move(r);
    }
    void revoke(const std::string &login, const std::string &mailbox) {
        std::lock_guard<std::mutex> lock(mutex_);
        grants.erase(login + "/" + mailbox);
    }
    void add_user(const std::string &login, UserInfo info) {
        std::lock_guard<std::mutex> lock(mutex_);
        users[login] = std::move(info);
    }

    std::atomic<unsigned> user_calls{0}, rights_calls{0};
    std::function<void()> during_rights;  // runs in every rights lookup, before it answers

private:
    std::mutex mutex_;
    bool available = true;
    std::map<std::string, UserInfo> users = {
        {"alice", {"uid=alice,dc=example,dc=com", "Alice", {"alice@example.com"}}},
        {"bob", {"uid=bob,dc=example,dc=com", "Bob", {"bob@example.com"}}},
    };
    std::map<std::string, MailboxRights> grants = {
        {"alice/support@example.com", grant(true, false, false, {"uid=alice", "cn=support@example.com"})},
    };
};

// A clock that only moves when told.
struct ManualClock {
    std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1700000000);
    sendas::Clock clock() const {
        auto n = now;
        return [n] { return n->load(); };
    }
    void advance(int64_t seconds) { *now += seconds; }
};

CacheSettings settings(int64_t ttl, int64_t negative_ttl, int64_t local_ttl, int64_t stale_ttl) {
    CacheSettings s;
    s.ttl = ttl;
    s.negative_ttl = negative_ttl;
    s.local_ttl = local_ttl;
    s.stale_ttl = stale_ttl;
    return s;
}

struct Harness {
    explicit Harness(CacheSettings s)
        : backend(std::make_shared<FakeDirectory>()), cache(backend, s, nullptr, time.clock()) {}

    LookupStatus user(const std::string &login, UserInfo &info) {
        sendas::LookupContext context(100);
        auto answer = cache.find_user(login, context);
        info = answer.value;
        return answer.status;
    }
    LookupStatus user(const std::string &login) {
        UserInfo info;
        return user(login, info);
    }
    LookupStatus rights(const std::string &login, const std::string &mailbox, MailboxRights &r) {
        UserInfo info;
        info.dn = "uid=" + login + ",dc=example,dc=com";
        sendas::LookupContext context(100);
        auto answer = cache.find_rights(login, info, mailbox, context);
        r = answer.value;
        return answer.status;
    }
    bool send_as(const std::string &login, const std::string &mailbox) {
        MailboxRights r;
        LookupStatus s = rights(login, mailbox, r);
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(s)));
        return r.send_as;
    }

    ManualClock time;
    std::shared_ptr<FakeDirectory> backend;
    CachingDirectory cache;
};

// A one-shot gate threads wait at until the test opens it.
class Latch {
public:
    void open() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return open_; });
    }
    bool wait_for(std::chrono::milliseconds limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, limit, [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

// Waits until `counter` reaches `target` (or 5 s pass); true when reached.
bool wait_count(const std::atomic<int> &counter, int target) {
    for (int i = 0; i < 500 && counter.load() < target; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return counter.load() >= target;
}

}  // namespace

class CacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CacheTest);
    CPPUNIT_TEST(codecUserRoundTrip);
    CPPUNIT_TEST(codecRightsRoundTrip);
    CPPUNIT_TEST(codecRefusesOtherGeneration);
    CPPUNIT_TEST(codecRefusesGarbled);
    CPPUNIT_TEST(codecRefusesTruncated);
    CPPUNIT_TEST(codecRefusesBadFields);
    CPPUNIT_TEST(codecTagField);
    CPPUNIT_TEST(codecSignedRefusesAnyChange);
    CPPUNIT_TEST(codecSignedRefusesMoved);
    CPPUNIT_TEST(codecSignedAndUnsignedMixed);
    CPPUNIT_TEST(tokensCountOnlyValidDistinct);
    CPPUNIT_TEST(tokensUnsignedAreRandom);
    CPPUNIT_TEST(redisBadPortIsAnError);
    CPPUNIT_TEST(localEvictsByEntries);
    CPPUNIT_TEST(localEvictsByBytes);
    CPPUNIT_TEST(localKeepsMostRecentAlone);
    CPPUNIT_TEST(localEraseAndClear);
    CPPUNIT_TEST(localReadsUnderTheLock);
    CPPUNIT_TEST(singleFlightSameKey);
    CPPUNIT_TEST(singleFlightDifferentKeys);
    CPPUNIT_TEST(singleFlightThrowingWork);
    CPPUNIT_TEST(cachedWithinLocalTtl);
    CPPUNIT_TEST(negativeAnswersExpire);
    CPPUNIT_TEST(deniedThenGranted);
    CPPUNIT_TEST(grantedThenRevoked);
    CPPUNIT_TEST(staleOff);
    CPPUNIT_TEST(staleServedWithinStaleTtl);
    CPPUNIT_TEST(unavailableIsNotCached);
    CPPUNIT_TEST(dropLocal);
    CPPUNIT_TEST(statsCounters);
    CPPUNIT_TEST(concurrentMissesOneLookup);
    CPPUNIT_TEST(dropMailbox);
    CPPUNIT_TEST(dropDuringLookupKeepsAnswerOut);
    CPPUNIT_TEST(rightsGenerationNamesAllThree);
    CPPUNIT_TEST_SUITE_END();

public:
    // --- cache_codec ---

    void codecUserRoundTrip() {
        for (const auto &key : codec_keys)
            for (const auto &c : user_cases()) {
                const std::string name = c.name + mode(key);
                const std::string record = sendas::encode(c.entry, at("42"), key);
                CachedUser back;
                back.answer.value.stale = true;  // decode must not keep what was there
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "ok"s,
                                             std::string(check_name(sendas::decode(record, at("42"), key, back))));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(status_name(c.entry.answer.status)),
                                             std::string(status_name(back.answer.status)));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.answer.value.dn, back.answer.value.dn);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.answer.value.display_name, back.answer.value.display_name);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, shown(c.entry.answer.value.addresses),
                                             shown(back.answer.value.addresses));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.answer.value.addresses.size(),
                                             back.answer.value.addresses.size());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.fresh_until, back.fresh_until);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.stale_until, back.stale_until);
            }
    }

    void codecRightsRoundTrip() {
        for (const auto &key : codec_keys)
            for (const auto &c : rights_cases()) {
                const std::string name = c.name + mode(key);
                const auto place = at("7", "alice", "r:support@example.com");
                const std::string record = sendas::encode(c.entry, place, key);
                CachedRights back;
                back.answer.value = grant(true, true, true, {"left over"});
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "ok"s,
                                             std::string(check_name(sendas::decode(record, place, key, back))));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(status_name(c.entry.answer.status)),
                                             std::string(status_name(back.answer.status)));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, shown(c.entry.answer.value), shown(back.answer.value));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.answer.value.path.size(), back.answer.value.path.size());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.fresh_until, back.fresh_until);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.entry.stale_until, back.stale_until);
            }
    }

    // A record of another generation is a plain miss, signed or not: after
    // every flush all records are of another generation.
    void codecRefusesOtherGeneration() {
        const char *others[] = {"0", "41", "420", "4", "", "42 ", " 42"};
        for (const auto &key : codec_keys) {
            for (const auto &c : user_cases()) {
                const std::string record = sendas::encode(c.entry, at("42"), key);
                for (const char *other : others) {
                    CachedUser back;
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name + " read under generation '"s + other + "'" + mode(key),
                                                 "miss"s,
                                                 std::string(check_name(sendas::decode(record, at(other), key, back))));
                }
            }
            for (const auto &c : rights_cases()) {
                const std::string record = sendas::encode(c.entry, at("42"), key);
                for (const char *other : others) {
                    CachedRights back;
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name + " read under generation '"s + other + "'" + mode(key),
                                                 "miss"s,
                                                 std::string(check_name(sendas::decode(record, at(other), key, back))));
                }
            }
        }
    }

    void codecRefusesGarbled() {
        for (const auto &key : codec_keys)
            for (const auto &g : garblings) {
                for (const auto &c : user_cases()) {
                    CachedUser back;
                    std::string bad = g.garble(sendas::encode(c.entry, at("3"), key));
                    CPPUNIT_ASSERT_MESSAGE(g.name + " user "s + c.name + mode(key),
                                           sendas::decode(bad, at("3"), key, back) != RecordCheck::ok);
                }
                for (const auto &c : rights_cases()) {
                    CachedRights back;
                    std::string bad = g.garble(sendas::encode(c.entry, at("3"), key));
                    CPPUNIT_ASSERT_MESSAGE(g.name + " rights "s + c.name + mode(key),
                                           sendas::decode(bad, at("3"), key, back) != RecordCheck::ok);
                }
            }
    }

    // A record cut short is refused, wherever the cut falls inside the
    // mandatory fields (head, dn and display name / flags) or inside any
    // field. A cut exactly after a later field is a well-formed record of
    // a user with fewer addresses (a path with fewer links): the format has
    // no field count, so that one cannot be told from encode()'s output
    // (without a key: with one, its tag no longer verifies).
    template <typename Entry>
    static void expect_cuts_refused(const std::string &kind, const std::string &name, const std::string &record,
                                    size_t mandatory_fields, const std::string &key) {
        std::vector<size_t> boundaries;  // end of each field
        for (size_t pos = 0; pos < record.size();) {
            size_t colon = record.find(':', pos);
            pos = colon + 1 + std::stoul(record.substr(pos, colon - pos));
            boundaries.push_back(pos);
        }
        CPPUNIT_ASSERT(boundaries.size() >= mandatory_fields);
        for (size_t cut = 0; cut < record.size(); ++cut) {
            bool optional_boundary = false;
            for (size_t i = mandatory_fields - 1; i < boundaries.size(); ++i) optional_boundary |= boundaries[i] == cut;
            if (optional_boundary && key.empty()) continue;
            Entry back;
            CPPUNIT_ASSERT_MESSAGE(kind + " " + name + " cut at " + std::to_string(cut) + " of " +
                                       std::to_string(record.size()) + mode(key),
                                   sendas::decode(record.substr(0, cut), at("3"), key, back) != RecordCheck::ok);
        }
    }

    void codecRefusesTruncated() {
        for (const auto &key : codec_keys) {
            for (const auto &c : user_cases()) {
                const std::string record = sendas::encode(c.entry, at("3"), key);
                if (record.size() > 2000) continue;  // every cut of the long case is slow, and adds nothing
                expect_cuts_refused<CachedUser>("user", c.name, record, 8, key);
            }
            for (const auto &c : rights_cases())
                expect_cuts_refused<CachedRights>("rights", c.name, sendas::encode(c.entry, at("3"), key), 7, key);
        }
    }

    // Well framed, but a field holds what encode() never writes (unsigned:
    // signed, any change is forged, see codecSignedRefusesAnyChange).
    void codecRefusesBadFields() {
        struct FieldCase {
            const char *name;
            size_t field;  // index in the record
            std::string value;
        };
        // head: 0 version, 1 tag, 2 generation, 3 status, 4 fresh, 5 stale; rights: 6 flags
        const FieldCase cases[] = {
            {"status word", 3, "maybe"},
            {"status empty", 3, ""},
            {"status unavailable", 3, "unavailable"},
            {"fresh empty", 4, ""},
            {"fresh letter", 4, "12a"},
            {"fresh negative", 4, "-5"},
            {"fresh hex", 4, "0x10"},
            {"fresh space", 4, " 10"},
            {"fresh huge", 4, "99999999999999999999999"},
            {"stale letter", 5, "x"},
            {"flags unknown letter", 6, "az"},
            {"flags upper case", 6, "A"},
        };
        const CachedRights base = rights_cases()[0].entry;
        const CachedUser user_base = user_cases()[0].entry;
        for (const auto &c : cases) {
            auto fields = fields_of(sendas::encode(base, at("9"), ""));
            fields.at(c.field) = c.value;
            CachedRights back;
            CPPUNIT_ASSERT_MESSAGE("rights "s + c.name,
                                   sendas::decode(framed(fields), at("9"), "", back) != RecordCheck::ok);
            if (c.field >= 6) continue;
            auto user_fields = fields_of(sendas::encode(user_base, at("9"), ""));
            user_fields.at(c.field) = c.value;
            CachedUser user_back;
            CPPUNIT_ASSERT_MESSAGE("user "s + c.name,
                                   sendas::decode(framed(user_fields), at("9"), "", user_back) != RecordCheck::ok);
        }
        // The same framing with good values decodes: the cases above fail for
        // their field, not for the framing.
        CachedRights back;
        CPPUNIT_ASSERT(sendas::decode(framed(fields_of(sendas::encode(base, at("9"), ""))), at("9"), "", back) ==
                       RecordCheck::ok);
    }

    // The tag: 64 hex digits with a key, empty without.
    void codecTagField() {
        const CachedRights entry = rights_cases()[0].entry;
        CPPUNIT_ASSERT_EQUAL(""s, fields_of(sendas::encode(entry, at("1"), ""))[1]);
        const std::string tag = fields_of(sendas::encode(entry, at("1"), test_key))[1];
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tag, size_t(64), tag.size());
        CPPUNIT_ASSERT_MESSAGE(tag, tag.find_first_not_of("0123456789abcdef") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL("sendas-cache-3"s, fields_of(sendas::encode(entry, at("1"), test_key))[0]);
    }

    // Signed: every one-byte change anywhere in a record is refused; one in
    // the tag or in what follows the generation is called forged.
    void codecSignedRefusesAnyChange() {
        const auto place = at("5", "alice", "r:support@example.com");
        for (const auto &c : rights_cases()) {
            const std::string record = sendas::encode(c.entry, place, test_key);
            const auto contents = contents_of(record);
            for (size_t i = 0; i < record.size(); ++i)
                for (char flip : {'\x01', '\x20'}) {
                    std::string bad = record;
                    bad[i] = static_cast<char>(bad[i] ^ flip);
                    CachedRights back;
                    const RecordCheck check = sendas::decode(bad, place, test_key, back);
                    const std::string what = c.name + " byte "s + std::to_string(i) + " ^ " + std::to_string(flip);
                    CPPUNIT_ASSERT_MESSAGE(what, check != RecordCheck::ok);
                    bool forged = false;  // content of the tag, or of a field after the generation
                    for (size_t f = 0; f < contents.size(); ++f)
                        forged |= (f == 1 || f >= 3) && i >= contents[f].first && i < contents[f].second;
                    if (forged) CPPUNIT_ASSERT_EQUAL_MESSAGE(what, "forged"s, std::string(check_name(check)));
                }
            // Positive control: the unchanged record verifies.
            CachedRights back;
            CPPUNIT_ASSERT(sendas::decode(record, place, test_key, back) == RecordCheck::ok);
        }
    }

    // Signed: a record read anywhere but where it was written, under
    // another key, or re-labelled to the current generation, is forged.
    void codecSignedRefusesMoved() {
        struct MoveCase {
            const char *name;
            sendas::RecordPlace place;
            std::string key;
        };
        const auto written = at("5", "alice", "r:support@example.com");
        const MoveCase moves[] = {
            {"another login's hash", at("5", "eve", "r:support@example.com"), test_key},
            {"another prefix", {"other:v1:u:alice", written.field, "5"}, test_key},
            {"another mailbox's field", at("5", "alice", "r:sales@example.com"), test_key},
            {"the user field", at("5", "alice", "user"), test_key},
            {"another key", written, other_key},
            {"a key one byte shorter", written, test_key.substr(0, test_key.size() - 1)},
        };
        const CachedRights entry = rights_cases()[0].entry;
        const std::string record = sendas::encode(entry, written, test_key);
        for (const auto &m : moves) {
            CachedRights back;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(m.name, "forged"s,
                                         std::string(check_name(sendas::decode(record, m.place, m.key, back))));
        }
        CachedRights back;
        CPPUNIT_ASSERT_EQUAL("ok"s, std::string(check_name(sendas::decode(record, written, test_key, back))));

        // A record of generation 5 changed to claim 6 (a flush, replayed).
        auto fields = fields_of(record);
        fields[2] = "6";
        const auto relabelled = sendas::decode(framed(fields), at("6", "alice", written.field), test_key, back);
        CPPUNIT_ASSERT_EQUAL("forged"s, std::string(check_name(relabelled)));

        // The user record too: alice's read from eve's hash.
        const CachedUser user = user_cases()[0].entry;
        const std::string user_record = sendas::encode(user, at("5"), test_key);
        CachedUser user_back;
        CPPUNIT_ASSERT_EQUAL("forged"s,
                             std::string(check_name(sendas::decode(user_record, at("5", "eve"), test_key, user_back))));
        CPPUNIT_ASSERT_EQUAL("ok"s, std::string(check_name(sendas::decode(user_record, at("5"), test_key, user_back))));
    }

    // A daemon with a key refuses unsigned records (anyone can write one);
    // one without a key reads signed ones, ignoring the tag.
    void codecSignedAndUnsignedMixed() {
        const CachedRights entry = rights_cases()[0].entry;
        CachedRights back;
        const std::string plain = sendas::encode(entry, at("1"), "");
        CPPUNIT_ASSERT_EQUAL("forged"s, std::string(check_name(sendas::decode(plain, at("1"), test_key, back))));
        const std::string sealed = sendas::encode(entry, at("1"), test_key);
        CPPUNIT_ASSERT_EQUAL("ok"s, std::string(check_name(sendas::decode(sealed, at("1"), "", back))));
        CPPUNIT_ASSERT_EQUAL(shown(entry.answer.value), shown(back.answer.value));
        // An old, version 1 record is a miss, not forged: no warning at upgrade.
        const std::string old = framed({"sendas-cache-1", "1", "found", "3", "4", "a", "x"});
        CPPUNIT_ASSERT_EQUAL("miss"s, std::string(check_name(sendas::decode(old, at("1"), test_key, back))));
        CPPUNIT_ASSERT_EQUAL("miss"s, std::string(check_name(sendas::decode(old, at("1"), "", back))));
        // Nor is a version 2 record, which never read the Sent copy target
        // lists; the same fields under version 3 decode (positive control).
        for (const auto &key : codec_keys) {
            std::vector<std::string> fields = {"sendas-cache-2", "", "1", "found", "3", "4", "a", "x"};
            CPPUNIT_ASSERT_EQUAL("miss"s, std::string(check_name(sendas::decode(framed(fields), at("1"), key, back))));
            fields[0] = "sendas-cache-3";
            CPPUNIT_ASSERT_EQUAL("ok"s, std::string(check_name(sendas::decode(framed(fields), at("1"), "", back))));
        }
    }

    // --- send-limit tokens ---

    void tokensCountOnlyValidDistinct() {
        const std::string list = "sendas:v1:sends:uid=alice,dc=x:support@example.com:123";
        std::vector<std::string> good;
        for (int i = 0; i < 3; ++i) good.push_back(sendas::make_send_token(list, test_key));
        CPPUNIT_ASSERT_EQUAL(3LL, sendas::count_send_tokens(list, good, test_key));

        const std::string tag_changed = [&] {
            std::string t = good[0];
            t.back() = t.back() == '0' ? '1' : '0';
            return t;
        }();
        const std::string random_changed = [&] {
            std::string t = good[0];
            t[0] = t[0] == '0' ? '1' : '0';
            return t;
        }();
        const std::vector<std::string> forged = {
            "",
            "garbage",
            "1700000000",
            ".",
            sendas::make_send_token(list, ""),              // unsigned
            sendas::make_send_token(list, other_key),       // another key
            sendas::make_send_token(list + "4", test_key),  // another window's list
            sendas::make_send_token("sendas:v1:sends:uid=eve,dc=x:support@example.com:123", test_key),
            tag_changed,
            random_changed,
            good[0] + ".",
            good[0].substr(0, good[0].find('.')),
        };
        for (const auto &f : forged)
            CPPUNIT_ASSERT_EQUAL_MESSAGE("'" + f + "'", 0LL, sendas::count_send_tokens(list, {f}, test_key));

        // Forged ones and copies of a valid one, all around the valid ones.
        std::vector<std::string> mixed = forged;
        for (int i = 0; i < 5; ++i) mixed.push_back(good[1]);
        mixed.insert(mixed.end(), good.begin(), good.end());
        mixed.insert(mixed.end(), forged.begin(), forged.end());
        CPPUNIT_ASSERT_EQUAL(3LL, sendas::count_send_tokens(list, mixed, test_key));
    }

    void tokensUnsignedAreRandom() {
        const std::string a = sendas::make_send_token("k", ""), b = sendas::make_send_token("k", "");
        CPPUNIT_ASSERT_EQUAL(size_t(16), a.size());
        CPPUNIT_ASSERT(a.find('.') == std::string::npos);
        CPPUNIT_ASSERT(a != b);
        const std::string signed_token = sendas::make_send_token("k", test_key);
        CPPUNIT_ASSERT_EQUAL(size_t(16 + 1 + 64), signed_token.size());
    }

    // --- Redis client ---

    // A port out of range is the connection's error, not an exception
    // (std::stoi threw for 99999999999, losing the pool slot for good).
    void redisBadPortIsAnError() {
        for (const char *address : {"127.0.0.1:99999999999", "127.0.0.1:65536", "127.0.0.1:0", "127.0.0.1:x"}) {
            sendas::RedisConfig config;
            config.address = address;
            config.timeout = 0.2;
            sendas::RedisConnection conn(config);
            std::string error;
            CPPUNIT_ASSERT_MESSAGE(address, !conn.open(error));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(address, "bad address "s + address, error);
            sendas::RedisPool pool(config, 1);
            std::vector<sendas::RedisReplyPtr> replies;
            CPPUNIT_ASSERT_MESSAGE(address, !pool.run({{"PING"}}, replies));
        }
        // Control: a valid port nobody listens on fails otherwise.
        sendas::RedisConfig config;
        config.address = "127.0.0.1:1";
        config.timeout = 0.2;
        sendas::RedisConnection conn(config);
        std::string error;
        CPPUNIT_ASSERT(!conn.open(error));
        CPPUNIT_ASSERT_MESSAGE(error, error.find("bad address") == std::string::npos);
    }

    // --- LocalCache ---

    // Whether the login is cached (reading it counts as use, as a lookup does).
    static bool has(LocalCache &cache, const std::string &login) {
        return cache.read(login, [](const LocalRecord &) {});
    }

    static void put(LocalCache &cache, const std::string &login, size_t dn_bytes = 10) {
        cache.update(login, [&](LocalRecord &r) {
            r.user = cached_user(LookupStatus::found, {std::string(dn_bytes, 'd'), login, {login + "@x"}}, 1, 1);
        });
    }

    void localEvictsByEntries() {
        LocalCache cache(3, 1 << 20);
        put(cache, "a");
        put(cache, "b");
        put(cache, "c");
        CPPUNIT_ASSERT_EQUAL(size_t(3), cache.entries());
        CPPUNIT_ASSERT(has(cache, "a"));  // a is now the most recent; b the least
        put(cache, "d");
        CPPUNIT_ASSERT_EQUAL(size_t(3), cache.entries());
        CPPUNIT_ASSERT_MESSAGE("least recently used b evicted", !has(cache, "b"));
        CPPUNIT_ASSERT(has(cache, "a"));
        CPPUNIT_ASSERT(has(cache, "c"));
        CPPUNIT_ASSERT(has(cache, "d"));
        // An update counts as use too.
        cache.update("c", [](LocalRecord &r) { r.generation = "5"; });  // order now: c d a
        put(cache, "e");
        CPPUNIT_ASSERT_MESSAGE("a, least recently used, evicted", !has(cache, "a"));
        std::string generation;
        CPPUNIT_ASSERT(cache.read("c", [&](const LocalRecord &r) { generation = r.generation; }));
        CPPUNIT_ASSERT_EQUAL("5"s, generation);
        CPPUNIT_ASSERT(has(cache, "d"));
        CPPUNIT_ASSERT(has(cache, "e"));
    }

    void localEvictsByBytes() {
        // Three records of about 1 kB in 2.5 kB: the oldest goes.
        LocalCache cache(100, 2500);
        put(cache, "a", 1000);
        put(cache, "b", 1000);
        CPPUNIT_ASSERT_EQUAL(size_t(2), cache.entries());
        put(cache, "c", 1000);
        CPPUNIT_ASSERT_EQUAL(size_t(2), cache.entries());
        CPPUNIT_ASSERT(!has(cache, "a"));
        CPPUNIT_ASSERT(has(cache, "b"));
        CPPUNIT_ASSERT(has(cache, "c"));
        // A record that grows in place pushes out the others.
        cache.update("b", [](LocalRecord &r) {
            r.rights["m@x"].answer.value.path = std::vector<std::string>(2, std::string(1000, 'p'));
        });
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.entries());
        CPPUNIT_ASSERT(has(cache, "b"));
        // Bytes are given back on eviction: small records fit again.
        cache.update("b", [](LocalRecord &r) { r.rights.clear(); });
        put(cache, "d", 10);
        put(cache, "e", 10);
        CPPUNIT_ASSERT_EQUAL(size_t(3), cache.entries());
        // So are the bytes of an erased record.
        cache.clear();
        put(cache, "f", 1000);
        put(cache, "g", 1000);
        cache.erase("f");
        put(cache, "h", 1000);
        CPPUNIT_ASSERT_EQUAL(size_t(2), cache.entries());
        CPPUNIT_ASSERT(has(cache, "g"));
        CPPUNIT_ASSERT(has(cache, "h"));
    }

    void localKeepsMostRecentAlone() {
        LocalCache cache(2, 500);
        put(cache, "small", 10);
        put(cache, "huge", 10000);
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.entries());
        size_t dn_size = 0;
        CPPUNIT_ASSERT(
            cache.read("huge", [&](const LocalRecord &r) { dn_size = r.user ? r.user->answer.value.dn.size() : 0; }));
        CPPUNIT_ASSERT_EQUAL(size_t(10000), dn_size);
        CPPUNIT_ASSERT(!has(cache, "small"));
    }

    void localEraseAndClear() {
        LocalCache cache(10, 1 << 20);
        for (const char *login : {"a", "b", "c"}) put(cache, login);
        cache.erase("b");
        cache.erase("nobody");
        CPPUNIT_ASSERT_EQUAL(size_t(2), cache.entries());
        CPPUNIT_ASSERT(!has(cache, "b"));
        CPPUNIT_ASSERT(has(cache, "a"));
        // Erased bytes and LRU slots are given back: 10 fit again.
        for (int i = 0; i < 8; ++i) put(cache, "n" + std::to_string(i));
        CPPUNIT_ASSERT_EQUAL(size_t(10), cache.entries());
        cache.clear();
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.entries());
        CPPUNIT_ASSERT(!has(cache, "a"));
        put(cache, "a");
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.entries());
    }

    void localReadsUnderTheLock() {
        LocalCache cache(10, 1 << 20);
        put(cache, "a");
        int calls = 0;
        std::string dn;
        CPPUNIT_ASSERT(!cache.read("b", [&](const LocalRecord &) { ++calls; }));
        CPPUNIT_ASSERT_EQUAL(0, calls);
        CPPUNIT_ASSERT(cache.read("a", [&](const LocalRecord &r) {
            ++calls;
            dn = r.user->answer.value.dn;
        }));
        CPPUNIT_ASSERT_EQUAL(1, calls);
        CPPUNIT_ASSERT_EQUAL(std::string(10, 'd'), dn);
    }

    // --- SingleFlight ---

    void singleFlightSameKey() {
        SingleFlight<int> flight;
        Latch gate;
        std::atomic<int> runs{0}, arrived{0};
        constexpr int n = 16;
        std::vector<int> results(n, -1);
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&, i] {
                ++arrived;
                results[i] = flight.run("alice", [&] {
                    ++runs;
                    gate.wait();
                    return 42;
                });
            });
        CPPUNIT_ASSERT(wait_count(arrived, n));
        CPPUNIT_ASSERT(wait_count(runs, 1));
        // Give the others time to queue behind the leader (generous: a loaded
        // machine may deschedule a thread between "arrived" and run()).
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        gate.open();
        for (auto &t : threads) t.join();
        CPPUNIT_ASSERT_EQUAL(1, runs.load());
        for (int i = 0; i < n; ++i) CPPUNIT_ASSERT_EQUAL(42, results[i]);
        // Done is done: the next call runs the work again.
        CPPUNIT_ASSERT_EQUAL(7, flight.run("alice", [&] {
            ++runs;
            return 7;
        }));
        CPPUNIT_ASSERT_EQUAL(2, runs.load());
    }

    void singleFlightDifferentKeys() {
        SingleFlight<std::string> flight;
        Latch gate, b_done;
        std::atomic<int> runs{0};
        std::string a_result, b_result;
        std::thread a([&] {
            a_result = flight.run("a", [&] {
                ++runs;
                gate.wait();
                return "A"s;
            });
        });
        CPPUNIT_ASSERT(wait_count(runs, 1));
        // b must not wait for a's work.
        std::thread b([&] {
            b_result = flight.run("b", [&] {
                ++runs;
                return "B"s;
            });
            b_done.open();
        });
        bool b_finished_first = b_done.wait_for(std::chrono::seconds(5));
        gate.open();
        a.join();
        b.join();
        CPPUNIT_ASSERT_MESSAGE("key b waited for key a", b_finished_first);
        CPPUNIT_ASSERT_EQUAL(2, runs.load());
        CPPUNIT_ASSERT_EQUAL("A"s, a_result);
        CPPUNIT_ASSERT_EQUAL("B"s, b_result);
    }

    void singleFlightThrowingWork() {
        SingleFlight<int> flight;
        Latch gate;
        std::atomic<int> runs{0}, arrived{0};
        int waiter_result = -1;
        bool leader_threw = false;
        std::thread leader([&] {
            try {
                flight.run("k", [&]() -> int {
                    ++runs;
                    gate.wait();
                    throw std::runtime_error("backend exploded");
                });
            } catch (const std::runtime_error &) {
                leader_threw = true;
            }
        });
        CPPUNIT_ASSERT(wait_count(runs, 1));
        std::thread waiter([&] {
            ++arrived;
            waiter_result = flight.run("k", [&] {
                ++runs;
                return 5;
            });
        });
        CPPUNIT_ASSERT(wait_count(arrived, 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        gate.open();
        leader.join();
        waiter.join();
        CPPUNIT_ASSERT(leader_threw);
        CPPUNIT_ASSERT_EQUAL(1, runs.load());
        CPPUNIT_ASSERT_EQUAL(0, waiter_result);  // the default Result
        CPPUNIT_ASSERT_EQUAL(9, flight.run("k", [] { return 9; }));
    }

    // --- CachingDirectory, no Redis ---

    void cachedWithinLocalTtl() {
        Harness h(settings(300, 60, 30, 0));
        UserInfo info;
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice", info))));
        CPPUNIT_ASSERT_EQUAL("alice@example.com"s, info.primary());
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL(1u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(1u, h.backend->rights_calls.load());
        h.time.advance(29);
        UserInfo again;
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice", again))));
        CPPUNIT_ASSERT_EQUAL("uid=alice,dc=example,dc=com"s, again.dn);
        CPPUNIT_ASSERT(!again.stale);
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL(1u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(1u, h.backend->rights_calls.load());
        // Another mailbox or another user is its own question.
        CPPUNIT_ASSERT(!h.send_as("alice", "sales@example.com"));
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("bob"))));
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->rights_calls.load());
        // local_ttl after the first lookup: asked again.
        h.time.advance(1);
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice"))));
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL(3u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(3u, h.backend->rights_calls.load());
    }

    // "No such user" and "no right" live min(local_ttl, negative_ttl).
    void negativeAnswersExpire() {
        struct Case {
            int64_t local_ttl, negative_ttl, expires_after;
        };
        const Case cases[] = {{30, 5, 5}, {10, 60, 10}, {7, 7, 7}, {1, 1, 1}};
        for (const auto &c : cases) {
            const std::string name =
                "local_ttl=" + std::to_string(c.local_ttl) + " negative_ttl=" + std::to_string(c.negative_ttl);
            Harness h(settings(300, c.negative_ttl, c.local_ttl, 0));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "not_found"s, std::string(status_name(h.user("nobody"))));
            CPPUNIT_ASSERT_MESSAGE(name, !h.send_as("alice", "sales@example.com"));
            h.time.advance(c.expires_after - 1);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "not_found"s, std::string(status_name(h.user("nobody"))));
            CPPUNIT_ASSERT_MESSAGE(name, !h.send_as("alice", "sales@example.com"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, 1u, h.backend->user_calls.load());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, 1u, h.backend->rights_calls.load());
            // The user appears and the right is granted: seen once expired.
            h.backend->add_user("nobody", {"uid=nobody,dc=x", "N", {"nobody@example.com"}});
            h.backend->set_grant("alice", "sales@example.com", grant(true, false, false));
            h.time.advance(1);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "found"s, std::string(status_name(h.user("nobody"))));
            CPPUNIT_ASSERT_MESSAGE(name, h.send_as("alice", "sales@example.com"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, 2u, h.backend->user_calls.load());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, 2u, h.backend->rights_calls.load());
        }
    }

    void deniedThenGranted() {
        Harness h(settings(300, 60, 30, 0));
        CPPUNIT_ASSERT(!h.send_as("bob", "support@example.com"));
        h.backend->set_grant("bob", "support@example.com", grant(true, false, false));
        h.time.advance(29);
        CPPUNIT_ASSERT_MESSAGE("a cached denial holds until it expires", !h.send_as("bob", "support@example.com"));
        h.time.advance(1);
        CPPUNIT_ASSERT(h.send_as("bob", "support@example.com"));
    }

    // A right revoked in the directory is never served past its TTL while
    // the directory answers, whatever stale_ttl says.
    void grantedThenRevoked() {
        for (int64_t stale_ttl : {0, 3600}) {
            const std::string name = "stale_ttl=" + std::to_string(stale_ttl);
            Harness h(settings(30, 30, 30, stale_ttl));
            CPPUNIT_ASSERT_MESSAGE(name, h.send_as("alice", "support@example.com"));
            h.backend->revoke("alice", "support@example.com");
            h.time.advance(29);
            CPPUNIT_ASSERT_MESSAGE(name, h.send_as("alice", "support@example.com"));
            h.time.advance(1);
            MailboxRights r;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "found"s,
                                         std::string(status_name(h.rights("alice", "support@example.com", r))));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "--- []"s, shown(r));
            // Later still: the revocation, now cached, holds.
            h.time.advance(1000);
            CPPUNIT_ASSERT_MESSAGE(name, !h.send_as("alice", "support@example.com"));
            // While the directory is down the old grant does not come back:
            // the cached answer is the denial.
            h.backend->set_available(false);
            h.time.advance(30);
            MailboxRights down;
            LookupStatus s = h.rights("alice", "support@example.com", down);
            CPPUNIT_ASSERT_MESSAGE(name, s != LookupStatus::found || !down.send_as);
        }
    }

    // stale_ttl = 0: an expired entry is not served when the directory is down.
    void staleOff() {
        Harness h(settings(30, 30, 30, 0));
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice"))));
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        h.backend->set_available(false);
        h.time.advance(29);
        // Fresh entries still answer while the directory is down.
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice"))));
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        h.time.advance(1);
        CPPUNIT_ASSERT_EQUAL("unavailable"s, std::string(status_name(h.user("alice"))));
        MailboxRights r;
        CPPUNIT_ASSERT_EQUAL("unavailable"s, std::string(status_name(h.rights("alice", "support@example.com", r))));
        CPPUNIT_ASSERT(!r.send_as);
        CPPUNIT_ASSERT_EQUAL(0ull, h.cache.stats().at("stale_answers"));
    }

    void staleServedWithinStaleTtl() {
        struct Case {
            int64_t after;  // seconds after the lookup
            const char *expect;
            bool stale;
        };
        // ttl 30, stale_ttl 100: fresh to 30, stale to 130.
        const Case cases[] = {{29, "found", false},
                              {30, "found", true},
                              {129, "found", true},
                              {130, "unavailable", false},
                              {5000, "unavailable", false}};
        for (const auto &c : cases) {
            const std::string name = "after " + std::to_string(c.after) + " s";
            Harness h(settings(30, 30, 30, 100));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "found"s, std::string(status_name(h.user("alice"))));
            CPPUNIT_ASSERT(!h.send_as("alice", "sales@example.com"));  // a negative answer is cached too
            CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
            h.backend->set_available(false);
            h.time.advance(c.after);
            UserInfo info;
            LookupStatus us = h.user("alice", info);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(c.expect), std::string(status_name(us)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.stale, info.stale);
            if (us == LookupStatus::found) CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "alice@example.com"s, info.primary());
            MailboxRights r;
            LookupStatus rs = h.rights("alice", "support@example.com", r);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(c.expect), std::string(status_name(rs)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.stale, r.stale);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, rs == LookupStatus::found, r.send_as);
            MailboxRights none;
            LookupStatus ns = h.rights("alice", "sales@example.com", none);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(c.expect), std::string(status_name(ns)));
            CPPUNIT_ASSERT_MESSAGE(name, !none.send_as);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, c.stale ? 3ull : 0ull, h.cache.stats().at("stale_answers"));
            // The directory is back: a fresh answer, not stale.
            h.backend->set_available(true);
            UserInfo back;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "found"s, std::string(status_name(h.user("alice", back))));
            CPPUNIT_ASSERT_MESSAGE(name, !back.stale);
            MailboxRights fresh;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "found"s,
                                         std::string(status_name(h.rights("alice", "support@example.com", fresh))));
            CPPUNIT_ASSERT_MESSAGE(name, !fresh.stale && fresh.send_as);
        }
    }

    // "Could not ask" is never remembered as an answer.
    void unavailableIsNotCached() {
        Harness h(settings(300, 60, 30, 0));
        h.backend->set_available(false);
        CPPUNIT_ASSERT_EQUAL("unavailable"s, std::string(status_name(h.user("alice"))));
        MailboxRights r;
        CPPUNIT_ASSERT_EQUAL("unavailable"s, std::string(status_name(h.rights("alice", "support@example.com", r))));
        h.backend->set_available(true);
        CPPUNIT_ASSERT_EQUAL("found"s, std::string(status_name(h.user("alice"))));
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->rights_calls.load());
    }

    void dropLocal() {
        Harness h(settings(300, 60, 30, 0));
        auto warm = [&] {
            h.user("alice");
            h.user("bob");
            h.send_as("alice", "support@example.com");
        };
        warm();
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->user_calls.load());
        h.cache.drop_local("alice");
        warm();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("only alice asked again", 3u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(2u, h.backend->rights_calls.load());
        h.cache.drop_local("nobody");
        warm();
        CPPUNIT_ASSERT_EQUAL(3u, h.backend->user_calls.load());
        h.cache.drop_local("*");
        warm();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("everyone asked again", 5u, h.backend->user_calls.load());
        CPPUNIT_ASSERT_EQUAL(3u, h.backend->rights_calls.load());
        // A revocation is seen at once after a drop.
        h.backend->revoke("alice", "support@example.com");
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        h.cache.drop_local("alice");
        CPPUNIT_ASSERT(!h.send_as("alice", "support@example.com"));
    }

    // A change to one mailbox's rights drops them for every login, and
    // nothing else; "@domain" drops every mailbox of the domain.
    void dropMailbox() {
        Harness h(settings(300, 300, 300, 0));
        auto warm = [&] {
            for (const char *login : {"alice", "bob"})
                for (const char *mailbox : {"support@example.com", "sales@example.com", "sales@example.org"})
                    h.send_as(login, mailbox);
        };
        warm();
        CPPUNIT_ASSERT_EQUAL(6u, h.backend->rights_calls.load());
        h.cache.drop_local("m:support@example.com");
        warm();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("support@ asked again for both logins", 8u, h.backend->rights_calls.load());
        h.cache.drop_local("m:@example.com");
        warm();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("example.com asked again, example.org kept", 12u, h.backend->rights_calls.load());
        h.cache.drop_local("m:nobody@example.com");
        h.cache.drop_local("m:@example.net");
        warm();
        CPPUNIT_ASSERT_EQUAL(12u, h.backend->rights_calls.load());
        CPPUNIT_ASSERT_EQUAL_MESSAGE("users untouched", 0u, h.backend->user_calls.load());
        // The revocation is seen at once after the drop.
        h.backend->revoke("alice", "support@example.com");
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        h.cache.drop_local("m:support@example.com");
        CPPUNIT_ASSERT(!h.send_as("alice", "support@example.com"));
    }

    // A lookup that was in flight when a drop came may hold the answer from
    // before the change: it is returned, but not cached.
    void dropDuringLookupKeepsAnswerOut() {
        Harness h(settings(300, 300, 300, 0));
        h.backend->during_rights = [&] { h.cache.drop_local("m:support@example.com"); };
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        h.backend->during_rights = nullptr;
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("asked twice: the first answer was not kept", 2u, h.backend->rights_calls.load());
        CPPUNIT_ASSERT(h.send_as("alice", "support@example.com"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("the second one was", 2u, h.backend->rights_calls.load());
    }

    // A rights record is of its global, mailbox and domain generation: a
    // move of any of them is another generation.
    void rightsGenerationNamesAllThree() {
        const std::string base = sendas::rights_generation("5", "0", "0");
        for (const auto &other : {sendas::rights_generation("6", "0", "0"), sendas::rights_generation("5", "1", "0"),
                                  sendas::rights_generation("5", "0", "1")})
            CPPUNIT_ASSERT_MESSAGE(other, other != base);
        CPPUNIT_ASSERT(sendas::rights_generation("5", "10", "0") != sendas::rights_generation("5", "1", "00"));
    }

    void statsCounters() {
        Harness h(settings(30, 30, 30, 60));
        using Stats = std::map<std::string, unsigned long long>;
        auto expect = [&](const std::string &step, Stats want) {
            Stats got = h.cache.stats();
            for (const char *name : {"local_hits", "local_misses", "redis_hits", "redis_misses", "redis_calls",
                                     "redis_errors", "ldap_lookups", "ldap_searches", "stale_answers"}) {
                CPPUNIT_ASSERT_MESSAGE(step + ": no counter " + name, got.count(name) == 1);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(step + ": " + name, want[name], got[name]);
            }
        };
        expect("start", {});
        h.user("alice");
        expect("cold user", {{"local_misses", 1}, {"ldap_lookups", 1}, {"ldap_searches", 10}});
        h.user("alice");
        h.send_as("alice", "support@example.com");
        expect("warm user, cold rights",
               {{"local_hits", 1}, {"local_misses", 2}, {"ldap_lookups", 2}, {"ldap_searches", 20}});
        h.send_as("alice", "support@example.com");
        expect("all warm", {{"local_hits", 2}, {"local_misses", 2}, {"ldap_lookups", 2}, {"ldap_searches", 20}});
        h.backend->set_available(false);
        h.time.advance(40);
        h.user("alice");
        h.send_as("alice", "support@example.com");
        // An LDAP lookup that failed still counts as one; the fake counts no search.
        expect(
            "stale",
            {{"local_hits", 2}, {"local_misses", 4}, {"ldap_lookups", 4}, {"ldap_searches", 40}, {"stale_answers", 2}});
    }

    // The cache's own single flight: a burst of misses for one user asks
    // the backend once.
    void concurrentMissesOneLookup() {
        class SlowDirectory : public FakeDirectory {
        public:
            sendas::Answer<UserInfo> find_user(const std::string &login, sendas::LookupContext &context) override {
                ++entered;
                gate.wait();
                return FakeDirectory::find_user(login, context);
            }
            Latch gate;
            std::atomic<int> entered{0};
        };
        auto backend = std::make_shared<SlowDirectory>();
        ManualClock time;
        CachingDirectory cache(backend, settings(300, 60, 30, 0), nullptr, time.clock());
        constexpr int n = 12;
        std::atomic<int> arrived{0}, found{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&] {
                ++arrived;
                sendas::LookupContext context(100);
                const auto answer = cache.find_user("alice", context);
                if (answer.status == LookupStatus::found && answer.value.primary() == "alice@example.com") ++found;
            });
        CPPUNIT_ASSERT(wait_count(arrived, n));
        CPPUNIT_ASSERT(wait_count(backend->entered, 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        backend->gate.open();
        for (auto &t : threads) t.join();
        CPPUNIT_ASSERT_EQUAL(n, found.load());
        CPPUNIT_ASSERT_EQUAL(1, backend->entered.load());
        CPPUNIT_ASSERT_EQUAL(1ull, cache.stats().at("ldap_lookups"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CacheTest);
