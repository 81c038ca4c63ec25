// fuzz-address: the input is one From:/Sender: value and one envelope
// address; whatever parses must format into a header line that re-parses
// to the same address.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "policy/address.h"

using namespace sendas;

namespace {

// An address the milter may write: one bare addr-spec, written the way the
// parser gives it back.
bool canonical(const std::string &address) {
    const auto parsed = parse_mailbox_list(address);
    return parsed.ok() && parsed.mailboxes.size() == 1 && parsed.mailboxes[0].display.empty() &&
           parsed.mailboxes[0].address() == address;
}

// A header the milter writes never carries a line break or NUL of its own
// (header injection), and names the address it was given.
void check_format(const std::string &display, const std::string &address) {
    const auto header = format_mailbox(display, address);
    // Nothing to write is the answer only for an address it cannot write as it is.
    FUZZ_CHECK(header.has_value() || !canonical(address));
    if (!header) return;
    FUZZ_CHECK(header->find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
    if (!canonical(address)) return;
    const auto reparsed = parse_mailbox_list(*header);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(reparsed.mailboxes.size() == 1);
    FUZZ_CHECK(reparsed.mailboxes[0].address() == address);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);

    const auto parsed = parse_mailbox_list(input);
    FUZZ_CHECK(parsed.ok() != parsed.mailboxes.empty());
    for (const auto &mailbox : parsed.mailboxes) {
        FUZZ_CHECK(!mailbox.local.empty() && !mailbox.domain.empty());
        check_format(mailbox.display, mailbox.address());
    }

    Mailbox envelope;
    if (parse_envelope_address(input, envelope)) {
        FUZZ_CHECK(envelope.local.empty() == envelope.domain.empty());  // null sender or a whole address
        if (!envelope.local.empty()) check_format("", envelope.address());
    }

    // As display name and address from the directory: split at the first NUL.
    const size_t nul = input.find('\0');
    if (nul != std::string::npos) check_format(input.substr(0, nul), input.substr(nul + 1));
    return 0;
}
