// fuzz-sync-message: the two RFC 4533 values a content-sync server sends
// the change watcher, as bytes off the wire: a Sync State control (first
// byte even) or a Sync Info message (odd). Never a crash; a state only in
// PRESENT..DELETE; a cookie never longer than the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include <ldap.h>

#include "check.h"
#include "directory/syncrepl_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const std::string value(reinterpret_cast<const char *>(data) + 1, size - 1);
    if (data[0] % 2 == 0) {
        int state = -1;
        std::string cookie;
        if (sendas::parse_sync_state(value, state, cookie)) {
            FUZZ_CHECK(state >= LDAP_SYNC_PRESENT && state <= LDAP_SYNC_DELETE);
            FUZZ_CHECK(cookie.size() < value.size());
        }
    } else {
        sendas::SyncInfo info;
        if (sendas::parse_sync_info(value, info)) FUZZ_CHECK(info.cookie.size() < value.size());
    }
    return 0;
}
