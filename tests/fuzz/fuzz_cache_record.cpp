// fuzz-cache-record: whatever bytes Redis hands back, decode() either
// refuses them or yields an entry that encodes into a record decoding to
// the same entry (encode is canonical: a second round changes nothing).
#include <cstddef>
#include <cstdint>
#include <string>

#include "cache_codec.h"
#include "check.h"

using namespace sendas;

namespace {

const std::string generation = "7";

bool same(const CachedUser &a, const CachedUser &b) {
    return a.status == b.status && a.fresh_until == b.fresh_until && a.stale_until == b.stale_until &&
           a.user.dn == b.user.dn && a.user.display_name == b.user.display_name &&
           a.user.addresses == b.user.addresses;
}

bool same(const CachedRights &a, const CachedRights &b) {
    const MailboxRights &x = a.rights, &y = b.rights;
    return a.status == b.status && a.fresh_until == b.fresh_until && a.stale_until == b.stale_until &&
           x.send_as == y.send_as && x.send_on_behalf == y.send_on_behalf && x.full_access == y.full_access &&
           x.sent_copy == y.sent_copy && x.mode == y.mode && x.path.dns() == y.path.dns();
}

template <typename Entry>
void round_trip(const std::string &data) {
    Entry entry;
    if (!decode(data, generation, entry)) return;
    const std::string record = encode(entry, generation);
    Entry again;
    FUZZ_CHECK(decode(record, generation, again));
    FUZZ_CHECK(same(entry, again));
    FUZZ_CHECK(encode(again, generation) == record);
    Entry other;
    FUZZ_CHECK(!decode(record, generation + "1", other));  // a flush makes it a miss
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    round_trip<CachedUser>(input);
    round_trip<CachedRights>(input);
    return 0;
}
