// fuzz-sentinel-reply: a sentinel's answer to get-master-addr-by-name, as
// bytes off the wire through hiredis' reader, then parse_master_reply:
// never a crash, and an address only when the reply is two strings, a
// host without NUL bytes and a port of digits, which the address ends with.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include <hiredis/hiredis.h>

#include "cache/redis_sentinel.h"
#include "check.h"

namespace {

// hiredis 0.14 allocates what an array or string header declares before
// reading it ("*2000000000" is 16 GB of pointers): that is hiredis', not
// parse_master_reply's, and only makes the fuzzer run out of memory.
bool declares_huge_lengths(const std::string &input) {
    for (size_t line = 0; line < input.size();) {
        if (input[line] == '*' || input[line] == '$') {
            size_t digits = line + 1;
            if (digits < input.size() && input[digits] == '-') ++digits;
            size_t end = digits;
            while (end < input.size() && end - digits < 8 && std::isdigit(static_cast<unsigned char>(input[end])))
                ++end;
            if (end - digits >= 5) return true;  // 10,000 or more
        }
        const size_t next = input.find('\n', line);
        if (next == std::string::npos) break;
        line = next + 1;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (declares_huge_lengths(std::string(reinterpret_cast<const char *>(data), size))) return 0;
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
