// HMAC-SHA256 tags (redis.hmac_key_file) on what the daemons keep in Redis:
// anyone who can write to Redis can still make a record up, but without
// the key not one that verifies.
#ifndef SENDAS_RECORD_MAC_H
#define SENDAS_RECORD_MAC_H

#include <cstddef>
#include <string>
#include <vector>

namespace sendas {

// Lowercase hex HMAC-SHA256 under `key` of the parts, each framed with its
// length so that no two lists of parts make the same message. Callers put
// the kind of data first, so that a tag never verifies as another kind's.
std::string mac_tag(const std::string &key, const std::vector<std::string> &parts);

// Whether `tag` is mac_tag(key, parts); the comparison takes the same time
// whichever byte differs.
bool mac_matches(const std::string &key, const std::vector<std::string> &parts, const std::string &tag);

// `bytes` bytes from OpenSSL's random generator, as hex.
std::string random_hex(size_t bytes);

}  // namespace sendas

#endif
