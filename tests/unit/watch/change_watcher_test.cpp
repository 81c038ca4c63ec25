// Unit tests for change_watcher.cpp's pure part: the change times the
// latency metric is measured from.
#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <string>

#include "watch/change_watcher.h"

class ChangeWatcherTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ChangeWatcherTest);
    CPPUNIT_TEST(changeTimes);
    CPPUNIT_TEST_SUITE_END();

public:
    void changeTimes() {
        // 2024-01-01T12:00:00Z
        const double noon = 1704110400;
        CPPUNIT_ASSERT_DOUBLES_EQUAL(noon, sendas::change_time("20240101120000Z"), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(noon + 0.25, sendas::change_time("20240101120000.250000Z"), 1e-6);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(noon + 0.5, sendas::change_time("20240101120000,5Z"), 1e-6);
        for (const char *bad : {"", "2024", "not a time at all", "2024010112000"})
            CPPUNIT_ASSERT_MESSAGE(bad, sendas::change_time(bad) < 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ChangeWatcherTest);
