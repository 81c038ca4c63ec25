// fuzz-headers: a message's identity headers as the MTA hands them over.
// The input's first line is the envelope sender, the rest a header block
// ("Name: value" lines, continuation lines starting with SP or HTAB); the
// From: and Sender: values go through parse_claims() and the decision.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "milter/session.h"
#include "policy/policy.h"

using namespace sendas;

namespace {

bool clean_for_mta(const std::string &value) {
    return value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

// An envelope address the milter hands the MTA is one path, as written:
// a quoted local part stays quoted.
bool reads_back(const std::string &path) {
    Mailbox m;
    return clean_for_mta(path) && parse_envelope_address(path, m) && !m.local.empty() && smtp_path(m.address()) == path;
}

MessageFacts facts_from(const std::string &input) {
    MessageFacts facts;
    facts.queue_id = "FUZZ";
    facts.auth_user = "alice";
    size_t pos = input.find('\n');
    facts.envelope_from = input.substr(0, pos);
    std::string name, value;
    auto flush = [&] {
        if (header_is(name, "From"))
            facts.from_values.push_back(value);
        else if (header_is(name, "Sender"))
            facts.sender_values.push_back(value);
        else if (header_is(name, "Resent-From"))
            facts.resent_from_values.push_back(value);
        else if (header_is(name, "Resent-Sender"))
            facts.resent_sender_values.push_back(value);
        name.clear();
    };
    while (pos != std::string::npos) {
        const size_t start = pos + 1;
        pos = input.find('\n', start);
        const std::string line = input.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            value += "\n" + line;  // folded: the line break stays, as in the MTA's value
            continue;
        }
        flush();
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        name = line.substr(0, colon);
        value = line.substr(colon + 1);
    }
    flush();
    return facts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const Config config = [] {
        Config c;
        c.local_domains = {"example.com", "example.org"};
        c.rewrite.send_as_envelope = SendAsEnvelope::mailbox;
        return c;
    }();
    const MessageFacts facts = facts_from(std::string(reinterpret_cast<const char *>(data), size));
    const Claims claims = parse_claims(facts);
    if (claims.error_reason == Reason::none) {
        for (const auto &author : claims.authors) FUZZ_CHECK(!author.local.empty() && !author.domain.empty());
        FUZZ_CHECK(claims.sender_present == claims.sender.has_value());
        FUZZ_CHECK(!claims.authors.empty() || (claims.from_missing && !claims.envelope));
    }

    // alice, with every kind of right in turn on the mailboxes she claims.
    DirectoryAnswers answers;
    answers.user = {LookupStatus::found,
                    {"uid=alice,ou=people,dc=example,dc=com", "Alice \"A.\" Smith", {"alice@example.com"}}};
    int turn = 0;
    for (const auto &question : needed_rights(facts, claims, answers, config)) {
        const std::string &address = question.address;
        MailboxRights rights;
        rights.send_as = turn % 3 == 0;
        rights.send_on_behalf = turn % 3 == 1;
        rights.full_access = turn % 3 == 2;
        answers.rights[address] = {LookupStatus::found, rights};
        ++turn;
    }
    const Decision decision = decide(facts, claims, answers, config);
    // What the milter writes back to the MTA cannot smuggle in a line.
    if (decision.set_sender) FUZZ_CHECK(clean_for_mta(*decision.set_sender));
    if (decision.envelope_from) FUZZ_CHECK(reads_back(*decision.envelope_from));
    for (const auto &copy : decision.sent_copies) FUZZ_CHECK(reads_back(copy));
    return 0;
}
