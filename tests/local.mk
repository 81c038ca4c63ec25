# Unit tests: pure logic, no servers.
check_PROGRAMS += tests/unit/unit-tests
tests_unit_unit_tests_SOURCES = \
	tests/unit/main.cpp \
	tests/unit/address_test.cpp
tests_unit_unit_tests_CPPFLAGS = $(AM_CPPFLAGS) $(CPPUNIT_CFLAGS)
tests_unit_unit_tests_LDADD = $(SENDAS_LIBS) $(CPPUNIT_LIBS)
TESTS += tests/unit/unit-tests
