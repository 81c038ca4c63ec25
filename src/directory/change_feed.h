// Directory changes as the change watcher reads them (doc/design.md,
// section 7, "Change-driven invalidation"): a feed of changed entries from
// an RFC 4533 content-sync session (syncrepl_feed.h) or from polling for
// recently changed entries (poll_feed.h). What a change invalidates is
// change_scope.h's business; the feed only reports what changed.
#ifndef SENDAS_CHANGE_FEED_H
#define SENDAS_CHANGE_FEED_H

#include <memory>
#include <string>
#include <vector>

#include "base/config.h"

namespace sendas {

// One added, modified, renamed or deleted entry.
struct ChangedEntry {
    std::string dn;                           // as the server wrote it
    bool deleted = false;                     // then only the DN is known
    std::vector<std::string> object_classes;  // lower-cased
    std::vector<std::string> names;           // its cn and mail values
    // When the server made the change, as entryCSN or modifyTimestamp
    // spell it ("20240101120000.123456Z", "20240101120000Z"); may be empty.
    std::string changed_at;
};

// What one call of ChangeFeed::next() brought.
struct FeedBatch {
    std::vector<ChangedEntry> changes;
    // Changes may have been missed (a first start, a refresh the server
    // could only answer with the whole content, deletions seen without
    // their DNs): every cached answer must go.
    bool everything = false;
    // Where to resume after this batch (a content-sync cookie, a poll
    // mark); to be saved once the batch is applied. Empty: unchanged.
    std::string position;
};

// One session of reading changes, owned by the change watcher's thread.
// Not thread-safe.
class ChangeFeed {
public:
    virtual ~ChangeFeed() = default;

    // Starts (or restarts, after an error) from `position` as saved from
    // an earlier batch; empty: from now, with `everything` in the first
    // batch. Returns false with `error` set when the server cannot be
    // reached or refuses.
    virtual bool start(const std::string &position, std::string &error) = 0;

    // Waits up to about `wait` seconds for changes. Returns false with
    // `error` set when the session broke: start() again.
    virtual bool next(double wait, FeedBatch &batch, std::string &error) = 0;

    // "syncrepl" or "poll".
    virtual const char *name() const = 0;
};

// The mode ldap.watch asks for, with `auto` resolved: syncrepl when the
// root DSE lists the content-sync control (1.3.6.1.4.1.4203.1.9.1.1),
// else poll. `error` is set (and poll returned) when the root DSE could
// not be read.
WatchMode resolve_watch_mode(const LdapConfig &config, std::string &error);

// The feed for a resolved mode (syncrepl or poll) over its own connection.
std::unique_ptr<ChangeFeed> make_change_feed(const LdapConfig &config, WatchMode mode);

// A changed entry from what the server returned (objectClass, cn, the
// mail attribute, entryCSN or modifyTimestamp).
struct LdapEntry;
ChangedEntry changed_entry(const LdapEntry &entry, const LdapConfig &config);

// The subtrees a feed watches: ldap.base and every rights and list base
// outside it, each once.
std::vector<std::string> watched_bases(const LdapConfig &config);

}  // namespace sendas

#endif
