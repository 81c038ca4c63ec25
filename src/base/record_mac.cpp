// HMAC tags with OpenSSL's libcrypto; see record_mac.h.
#include "base/record_mac.h"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace sendas {
namespace {

std::string hex(const unsigned char *data, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

}  // namespace

std::string mac_tag(const std::string &key, const std::vector<std::string> &parts) {
    std::string message;
    for (const auto &part : parts) message += std::to_string(part.size()) + ":" + part;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(message.data()), message.size(), digest, &size))
        throw std::runtime_error("HMAC-SHA256 failed");
    return hex(digest, size);
}

bool mac_matches(const std::string &key, const std::vector<std::string> &parts, const std::string &tag) {
    const std::string expected = mac_tag(key, parts);
    return tag.size() == expected.size() && CRYPTO_memcmp(tag.data(), expected.data(), tag.size()) == 0;
}

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> data(bytes);
    if (RAND_bytes(data.data(), static_cast<int>(bytes)) != 1) throw std::runtime_error("no random bytes");
    return hex(data.data(), bytes);
}

}  // namespace sendas
