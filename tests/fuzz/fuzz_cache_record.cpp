// fuzz-cache-record: whatever bytes Redis hands back, decode() either
// refuses them or yields an entry that encodes into a record decoding to
// the same entry (encode is canonical: a second round changes nothing).
#include <cstddef>
#include <cstdint>
#include <string>

#include "cache/cache_codec.h"
#include "check.h"

using namespace sendas;

namespace {

const RecordPlace place{"sendas:v1:u:alice", "r:support@example.com", "7"};
const std::string key = "0123456789abcdef0123456789abcdef";
bool same(const CachedUser &a, const CachedUser &b) {
    const UserInfo &x = a.answer.value, &y = b.answer.value;
    return a.answer.status == b.answer.status && a.fresh_until == b.fresh_until && a.stale_until == b.stale_until &&
           x.dn == y.dn && x.display_name == y.display_name && x.addresses == y.addresses;
}

bool same(const CachedRights &a, const CachedRights &b) {
    const MailboxRights &x = a.answer.value, &y = b.answer.value;
    return a.answer.status == b.answer.status && a.fresh_until == b.fresh_until && a.stale_until == b.stale_until &&
           x.send_as == y.send_as && x.send_on_behalf == y.send_on_behalf && x.full_access == y.full_access &&
           x.is_mailbox == y.is_mailbox && x.sent_copy == y.sent_copy && x.mode == y.mode &&
           x.path.dns() == y.path.dns();
}

// With and without a signing key: a record that decodes re-encodes to
// itself, and it does not verify in another place or generation.
template <typename Entry>
void round_trip(const std::string &data, const std::string &mac_key) {
    Entry entry;
    if (decode(data, place, mac_key, entry) != RecordCheck::ok) return;
    const std::string record = encode(entry, place, mac_key);
    Entry again;
    FUZZ_CHECK(decode(record, place, mac_key, again) == RecordCheck::ok);
    FUZZ_CHECK(same(entry, again));
    FUZZ_CHECK(encode(again, place, mac_key) == record);
    RecordPlace flushed = place;
    flushed.generation += "1";
    FUZZ_CHECK(decode(record, flushed, mac_key, again) == RecordCheck::miss);
    if (mac_key.empty()) return;
    RecordPlace moved = place;
    moved.key = "sendas:v1:u:mallory";
    FUZZ_CHECK(decode(record, moved, mac_key, again) == RecordCheck::forged);
    FUZZ_CHECK(decode(record, place, mac_key + "x", again) == RecordCheck::forged);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    for (const std::string &mac_key : {std::string(), key}) {
        round_trip<CachedUser>(input, mac_key);
        round_trip<CachedRights>(input, mac_key);
    }
    return 0;
}
