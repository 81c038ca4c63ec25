// fuzz-security-descriptor: the nTSecurityDescriptor parser (MS-DTYP 2.4.6)
// on any bytes: no read outside the input (ASan), and what it accepts is
// self-consistent: every ACE's SID survives the text form both ways, the
// deciding ACE is in the DACL with the token's SID, and the key
// ldap.send_as_full_control only ever adds grants, never removes a deny.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "check.h"
#include "directory/security_descriptor.h"

using sendas::SendAsVerdict;

namespace {

void check_verdict(const sendas::SecurityDescriptor &sd, const SendAsVerdict &v, const std::set<std::string> &token) {
    if (v.kind == SendAsVerdict::Kind::none) return;
    FUZZ_CHECK(v.ace < sd.dacl.size());
    FUZZ_CHECK(sd.dacl[v.ace].sid == v.trustee);
    FUZZ_CHECK(token.count(v.trustee) == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    const std::string text_sid = sendas::sid_from_string(input);
    if (!text_sid.empty()) FUZZ_CHECK(sendas::sid_from_string(sendas::sid_to_string(text_sid)) == text_sid);

    sendas::SecurityDescriptor sd;
    std::string error;
    if (!sendas::parse_security_descriptor(input, sd, error)) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    FUZZ_CHECK(sd.has_dacl || sd.dacl.empty());
    std::set<std::string> token;
    for (const auto &ace : sd.dacl) {
        if (ace.sid.empty()) continue;  // a type whose body is not read
        const std::string text = sendas::sid_to_string(ace.sid);
        FUZZ_CHECK(!text.empty());
        FUZZ_CHECK(sendas::sid_from_string(text) == ace.sid);
        // Every other SID, so that both allows and denies are exercised.
        if (token.size() % 2 == 0 || ace.type % 2 == 1) token.insert(ace.sid);
    }
    const SendAsVerdict named = sendas::send_as_verdict(sd, token, false);
    const SendAsVerdict full = sendas::send_as_verdict(sd, token, true);
    check_verdict(sd, named, token);
    check_verdict(sd, full, token);
    FUZZ_CHECK((named.kind == SendAsVerdict::Kind::denied) == (full.kind == SendAsVerdict::Kind::denied));
    if (named.kind == SendAsVerdict::Kind::allowed) FUZZ_CHECK(full.kind == SendAsVerdict::Kind::allowed);
    return 0;
}
