// Polling for changed entries; see poll_feed.h.
#include "directory/poll_feed.h"

#include <ctime>
#include <iterator>
#include <thread>

#include "base/string_util.h"
#include "directory/ldap_directory.h"
#include "directory/ldap_filter.h"

namespace sendas {
namespace {

constexpr const char *position_tag = "poll\n";

// A day back: a server clock somewhat behind ours loses no change, and
// the first poll reads at most a day of changes, once.
std::string a_day_ago() {
    const std::time_t then = std::time(nullptr) - 86400;
    std::tm utc{};
    gmtime_r(&then, &utc);
    char text[32];
    return std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &utc) ? text : "19700101000000Z";
}

bool later_time(const std::string &a, const std::string &b) { return a > b; }

const std::string &first(const LdapEntry &entry, const std::string &attribute) {
    static const std::string none;
    const auto &values = entry.values(attribute);
    return values.empty() ? none : values.front();
}

}  // namespace

const PollDialect &timestamp_dialect() {
    static const PollDialect dialect{"modifyTimestamp", a_day_ago, later_time};
    return dialect;
}

void advance_mark(const PollDialect &dialect, const std::vector<LdapEntry> &entries, std::string &mark,
                  std::set<std::string> &seen, std::vector<const LdapEntry *> &changed) {
    const std::string attribute = lower(dialect.attribute);
    std::string next = mark;
    for (const auto &entry : entries) {
        const std::string &at = first(entry, attribute);
        if (at.empty() || dialect.after(mark, at)) continue;  // the server filters; a mark is not trusted blindly
        const std::string key = normalize_dn(entry.dn) + "#" + first(entry, "entrycsn") + "#" + at;
        if (!dialect.after(at, mark) && seen.count(key)) continue;
        changed.push_back(&entry);
        if (dialect.after(at, next)) next = at;
    }
    if (next != mark) seen.clear();
    mark = next;
    // What is at the new mark will be found again by the next poll (>=).
    for (const auto &entry : entries)
        if (first(entry, attribute) == mark)
            seen.insert(normalize_dn(entry.dn) + "#" + first(entry, "entrycsn") + "#" + mark);
}

std::vector<std::string> vanished(const std::set<std::string> &before, const std::set<std::string> &now) {
    std::vector<std::string> gone;
    for (const auto &dn : before)
        if (!now.count(dn)) gone.push_back(dn);
    return gone;
}

PollFeed::PollFeed(const LdapConfig &config, const PollDialect &dialect) : config_(config), dialect_(dialect) {}

bool PollFeed::start(const std::string &position, std::string &error) {
    conn_ = std::make_unique<LdapConnection>(config_);
    if (!conn_->open(error)) return false;
    if (mark_.empty()) {
        const bool ours = position.rfind(position_tag, 0) == 0 && position.size() > std::string(position_tag).size();
        mark_ = ours ? position.substr(std::string(position_tag).size()) : dialect_.initial_mark();
        fresh_start_ = !ours;
    }
    due_ = std::chrono::steady_clock::now();
    return true;
}

bool PollFeed::next(double wait, FeedBatch &batch, std::string &error) {
    const auto now = std::chrono::steady_clock::now();
    if (now < due_) {
        std::this_thread::sleep_for(std::min(
            due_ - now,
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(wait))));
        if (std::chrono::steady_clock::now() < due_) return true;
    }
    due_ = std::chrono::steady_clock::now() + std::chrono::seconds(config_.change_poll);
    if (!poll(batch, error)) return false;
    if (polls_++ % listing_every == 0 && !list(batch, error)) return false;
    batch.everything = batch.everything || fresh_start_;
    fresh_start_ = false;
    batch.position = position_tag + mark_;
    return true;
}

bool PollFeed::poll(FeedBatch &batch, std::string &error) {
    const std::string filter = "(" + dialect_.attribute + ">=" + escape_filter_value(mark_) + ")";
    const std::vector<std::string> attrs = {"objectClass", "cn", config_.mail_attribute, "entryCSN",
                                            dialect_.attribute};
    std::vector<LdapEntry> entries;
    for (const auto &base : watched_bases(config_)) {
        SearchResult res = conn_->search(base, Scope::subtree, filter, attrs, 0, true);
        if (res.status != SearchStatus::ok) {
            error = res.error;
            return false;
        }
        std::move(res.entries.begin(), res.entries.end(), std::back_inserter(entries));
    }
    std::vector<const LdapEntry *> changed;
    advance_mark(dialect_, entries, mark_, seen_, changed);
    for (const LdapEntry *entry : changed) batch.changes.push_back(changed_entry(*entry, config_));
    return true;
}

// Groups and mailbox-named entries (rights groups, list entries): those
// whose deletion changes an answer.
bool PollFeed::list(FeedBatch &batch, std::string &error) {
    const std::string filter = "(|(" + config_.member_attribute + "=*)(cn=*@*))";
    std::set<std::string> now;
    for (const auto &base : watched_bases(config_)) {
        SearchResult res = conn_->search(base, Scope::subtree, filter, {"1.1"}, 0, true);
        if (res.status != SearchStatus::ok) {
            error = res.error;
            return false;
        }
        for (const auto &entry : res.entries) now.insert(entry.dn);
    }
    if (listed_once_)
        for (const auto &dn : vanished(listed_, now)) {
            ChangedEntry change;
            change.dn = dn;
            change.deleted = true;
            batch.changes.push_back(std::move(change));
        }
    listed_ = std::move(now);
    listed_once_ = true;
    return true;
}

}  // namespace sendas
