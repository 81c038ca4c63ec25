// The decision property (tests/lib/property_oracle.h) over seeded random
// scenarios: the same check the libFuzzer target runs, here without clang
// and in every `make check`.
#include <cppunit/extensions/HelperMacros.h>

#include <random>
#include <string>
#include <vector>

#include "property_oracle.h"

class PropertyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PropertyTest);
    CPPUNIT_TEST(testNoUngrantedAddressAccepted);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoUngrantedAddressAccepted() {
        std::mt19937 random(20261204);
        sendas_test::PropertyCoverage coverage;
        std::vector<uint8_t> bytes;
        for (int i = 0; i < 30000; ++i) {
            bytes.resize(random() % 160);
            for (auto &b : bytes) b = static_cast<uint8_t>(random());
            const std::string violation = sendas_test::check_decision_property(bytes.data(), bytes.size(), &coverage);
            CPPUNIT_ASSERT_MESSAGE("scenario " + std::to_string(i) + ": " + violation, violation.empty());
        }
        // The property was checked where it matters, not only on rejects.
        CPPUNIT_ASSERT_MESSAGE("accepted", coverage.accepted > 1000);
        CPPUNIT_ASSERT_MESSAGE("accepted with a right", coverage.accepted_with_right > 100);
        CPPUNIT_ASSERT_MESSAGE("decided by a base", coverage.decided_by_base > 50);
        CPPUNIT_ASSERT_MESSAGE("rejected", coverage.rejected > 10000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PropertyTest);
