// fuzz-sentinel-reply: a sentinel's answer to get-master-addr-by-name, as
// bytes off the wire through hiredis' reader, then parse_master_reply:
// never a crash, and an address only when the reply is two strings, a
// host without NUL bytes and a port of digits, which the address ends with.
#include <cstddef>
#include <cstdint>
#include <string>

#include <hiredis/hiredis.h>

#include "cache/redis_sentinel.h"
#include "check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    redisReader *reader = redisReaderCreate();
    if (!reader) return 0;
    redisReaderFeed(reader, reinterpret_cast<const char *>(data), size);
    void *raw = nullptr;
    if (redisReaderGetReply(reader, &raw) == REDIS_OK && raw) {
        const auto *reply = static_cast<const redisReply *>(raw);
        std::string address;
        if (sendas::parse_master_reply(reply, address)) {
            FUZZ_CHECK(reply->type == REDIS_REPLY_ARRAY && reply->elements == 2);
            const std::string port(reply->element[1]->str, reply->element[1]->len);
            FUZZ_CHECK(!port.empty() && address.size() > port.size() + 1);
            FUZZ_CHECK(address.compare(address.size() - port.size() - 1, std::string::npos, ":" + port) == 0);
            FUZZ_CHECK(address.find('\0') == std::string::npos);
        }
        freeReplyObject(raw);
    }
    redisReaderFree(reader);
    return 0;
}
