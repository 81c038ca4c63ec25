// The sentinel's answer naming the master, read from RESP bytes as hiredis
// reads them off the wire.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include <hiredis/hiredis.h>

#include "cache/redis_sentinel.h"

namespace {

// parse_master_reply on the reply RESP encodes; "-" when it refuses.
std::string master_of(const std::string &resp) {
    redisReader *reader = redisReaderCreate();
    redisReaderFeed(reader, resp.data(), resp.size());
    void *raw = nullptr;
    std::string address = "-";
    if (redisReaderGetReply(reader, &raw) == REDIS_OK && raw) {
        std::string parsed;
        if (sendas::parse_master_reply(static_cast<redisReply *>(raw), parsed)) address = parsed;
        freeReplyObject(raw);
    }
    redisReaderFree(reader);
    return address;
}

std::string pair(const std::string &host, const std::string &port) {
    return "*2\r\n$" + std::to_string(host.size()) + "\r\n" + host + "\r\n$" + std::to_string(port.size()) + "\r\n" +
           port + "\r\n";
}

}  // namespace

class RedisSentinelTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedisSentinelTest);
    CPPUNIT_TEST(testMasterAddresses);
    CPPUNIT_TEST(testRefusedReplies);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMasterAddresses() {
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:6379"), master_of(pair("127.0.0.1", "6379")));
        CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:26379"), master_of(pair("2001:db8::1", "26379")));
        CPPUNIT_ASSERT_EQUAL(std::string("redis-1.example.com:1"), master_of(pair("redis-1.example.com", "1")));
        CPPUNIT_ASSERT_EQUAL(std::string("h:65535"), master_of(pair("h", "65535")));
    }

    void testRefusedReplies() {
        const std::string refused[] = {
            "*-1\r\n",                                       // the sentinel does not know the name
            "-IDONTKNOW No such master with that name\r\n",  // an error
            "$9\r\n127.0.0.1\r\n",                           // one string
            "*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n2\r\n",       // three elements
            "*2\r\n$9\r\n127.0.0.1\r\n:6379\r\n",            // port as an integer
            pair("", "6379"),                                // no host
            pair("127.0.0.1", ""),                           // no port
            pair("127.0.0.1", "0"),                          // port 0
            pair("127.0.0.1", "65536"),                      // beyond 65535
            pair("127.0.0.1", "63 79"),                      // not digits
            pair(std::string("evil\0host", 9), "6379"),      // a NUL
            pair("unix:/tmp/x", "6379"),                     // a path
            pair("host name", "6379"),                       // a space
        };
        for (const auto &resp : refused) CPPUNIT_ASSERT_EQUAL_MESSAGE(resp, std::string("-"), master_of(resp));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisSentinelTest);
