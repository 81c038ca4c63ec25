// How directory answers are stored in Redis: self-describing, versioned
// records that carry their own freshness, so one HGETALL brings a user and
// all their cached rights, and an old or foreign format reads as a miss.
// With redis.hmac_key_file a record carries an HMAC over where it is kept
// and what it says, so one copied or changed in Redis reads as forged.
#ifndef SENDAS_CACHE_CODEC_H
#define SENDAS_CACHE_CODEC_H

#include <cstdint>
#include <string>

#include "policy/rights.h"

namespace sendas {

// A cached answer: fresh until `fresh_until`; usable while the directory
// is down until `stale_until` (unix seconds).
// Only answers are cached: the status is found or not_found.
template <typename Value>
struct Cached {
    Answer<Value> answer;
    int64_t fresh_until = 0;
    int64_t stale_until = 0;
};
using CachedUser = Cached<UserInfo>;
using CachedRights = Cached<MailboxRights>;

// Where a record is kept, all of it under the record's tag: a record moved
// to another user's key or another field does not verify there.
// `generation` is the cache-wide flush counter the record was written
// under; a record of another generation is a miss, so a flush needs no scan.
struct RecordPlace {
    std::string key;    // the Redis key, PREFIXv1:u:LOGIN
    std::string field;  // "user" or "r:MAILBOX"
    std::string generation;
};

enum class RecordCheck {
    ok,
    miss,    // another format version or generation, or malformed
    forged,  // with a key: no tag, or one that does not verify
};

// `mac_key` empty: the record carries no tag (and decode ignores any).
std::string encode(const CachedUser &entry, const RecordPlace &place, const std::string &mac_key);
std::string encode(const CachedRights &entry, const RecordPlace &place, const std::string &mac_key);

// `entry` means something only when the result is ok.
RecordCheck decode(const std::string &data, const RecordPlace &place, const std::string &mac_key, CachedUser &entry);
RecordCheck decode(const std::string &data, const RecordPlace &place, const std::string &mac_key, CachedRights &entry);

}  // namespace sendas

#endif
