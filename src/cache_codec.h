// How directory answers are stored in Redis: self-describing, versioned
// records that carry their own freshness, so one HGETALL brings a user and
// all their cached rights, and an old or foreign format reads as a miss.
#ifndef SENDAS_CACHE_CODEC_H
#define SENDAS_CACHE_CODEC_H

#include <cstdint>
#include <string>

#include "rights.h"

namespace sendas {

// A cached answer: fresh until `fresh_until`; usable while the directory
// is down until `stale_until` (unix seconds).
struct CachedUser {
    LookupStatus status = LookupStatus::not_found;  // found or not_found
    UserInfo user;
    int64_t fresh_until = 0;
    int64_t stale_until = 0;
};

struct CachedRights {
    LookupStatus status = LookupStatus::not_found;
    MailboxRights rights;
    int64_t fresh_until = 0;
    int64_t stale_until = 0;
};

// `generation` is the cache-wide flush counter the record was written
// under; decoding with another generation fails, so a flush needs no scan.
std::string encode(const CachedUser &entry, const std::string &generation);
std::string encode(const CachedRights &entry, const std::string &generation);

// False for anything not written by encode() of this version and generation.
bool decode(const std::string &data, const std::string &generation, CachedUser &entry);
bool decode(const std::string &data, const std::string &generation, CachedRights &entry);

}  // namespace sendas

#endif
