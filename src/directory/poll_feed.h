// The change feed for any server: every ldap.change_poll seconds, the
// entries changed since the last poll (modifyTimestamp at or after the
// mark, OpenLDAP), and every `listing_every` polls a listing of the group
// and mailbox-named entries, whose vanished DNs are the deletions a
// timestamp cannot show. Active Directory's uSNChanged is another
// PollDialect: a counter instead of a time, the same loop.
#ifndef SENDAS_POLL_FEED_H
#define SENDAS_POLL_FEED_H

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "directory/change_feed.h"
#include "directory/ldap_connection.h"

namespace sendas {

// How one kind of server marks changed entries.
struct PollDialect {
    std::string attribute;                                      // "modifyTimestamp"
    std::string (*initial_mark)();                              // a mark safely before any change not yet seen
    bool (*after)(const std::string &a, const std::string &b);  // a is a later mark than b
};

// The OpenLDAP dialect: generalized time, compared as text.
const PollDialect &timestamp_dialect();

// The next mark and the changes of one poll's entries: pure, for tests.
// `seen` holds the entries (DN#CSN) already reported at `mark`; entries
// at the mark are reported only once.
void advance_mark(const PollDialect &dialect, const std::vector<LdapEntry> &entries, std::string &mark,
                  std::set<std::string> &seen, std::vector<const LdapEntry *> &changed);

// The DNs in `before` missing from `now`.
std::vector<std::string> vanished(const std::set<std::string> &before, const std::set<std::string> &now);

class PollFeed : public ChangeFeed {
public:
    explicit PollFeed(const LdapConfig &config, const PollDialect &dialect = timestamp_dialect());

    bool start(const std::string &position, std::string &error) override;
    bool next(double wait, FeedBatch &batch, std::string &error) override;
    const char *name() const override { return "poll"; }

    static constexpr unsigned listing_every = 15;  // polls between two listings for deletions

private:
    bool poll(FeedBatch &batch, std::string &error);
    bool list(FeedBatch &batch, std::string &error);

    const LdapConfig config_;
    const PollDialect &dialect_;
    std::unique_ptr<LdapConnection> conn_;
    std::string mark_;
    std::set<std::string> seen_;
    bool fresh_start_ = false;      // no mark given: the first batch drops everything
    std::set<std::string> listed_;  // last listing; empty before the first
    bool listed_once_ = false;
    unsigned polls_ = 0;
    std::chrono::steady_clock::time_point due_{};
};

}  // namespace sendas

#endif
