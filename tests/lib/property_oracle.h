// The security property of the decision, checked against an oracle of its
// own: for any login, envelope, header set, config and small directory,
// the real path parse_claims -> gather_answers -> decide never accepts a
// message whose From:, Sender:, Resent-From:, Resent-Sender: or envelope
// names a local address the directory does not grant to that login, and
// never writes a rewrite naming such an address.
//
// A scenario is built from arbitrary bytes, so the same code serves the
// libFuzzer target (tests/fuzz) and a seeded unit test (tests/unit).
#ifndef SENDAS_TESTS_PROPERTY_ORACLE_H
#define SENDAS_TESTS_PROPERTY_ORACLE_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace sendas_test {

// What the scenarios run so far exercised, so that a test can show the
// property was checked on the cases that matter and not only on rejects.
struct PropertyCoverage {
    unsigned long scenarios = 0;
    unsigned long accepted = 0;             // authenticated and accepted: the property was checked
    unsigned long accepted_with_right = 0;  // ... under Send As or Send on Behalf
    unsigned long decided_by_base = 0;      // ... with a detail address decided by its base
    unsigned long rejected = 0;
};

// Runs one scenario. Returns "" when the property holds, else a
// description of the violation and of the scenario.
std::string check_decision_property(const uint8_t *data, size_t size, PropertyCoverage *coverage = nullptr);

}  // namespace sendas_test

#endif
