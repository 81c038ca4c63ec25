// hiredis connections: an owned context, a bounded pool, and a breaker
// that stops a dead or hung Redis from costing a timeout per message.
#ifndef SENDAS_REDIS_CLIENT_H
#define SENDAS_REDIS_CLIENT_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct redisContext;
struct redisReply;

namespace sendas {

struct RedisSection;

struct RedisConfig {
    std::string address;  // host:port, [v6]:port or unix:/path; empty = no Redis
    // With sentinels (host:port each) the master named `master_name` is
    // asked of them at every connect, and `address` is unused.
    std::vector<std::string> sentinels;
    std::string master_name;
    std::string user;  // ACL user; empty: the default user
    std::string password;
    unsigned db = 0;
    double timeout = 0.5;  // seconds, connect and per command

    std::string label() const;  // for logs: the address, or the master and its sentinels
};

// The connection settings of the [redis] section.
RedisConfig redis_config(const RedisSection &r);

// A reply, owned.
struct RedisReplyDeleter {
    void operator()(redisReply *reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// One connection. Not thread-safe: used by one thread at a time (the pool
// lends it). Any I/O or protocol error leaves it broken for good.
class RedisConnection {
public:
    explicit RedisConnection(const RedisConfig &config);
    ~RedisConnection();
    RedisConnection(const RedisConnection &) = delete;
    RedisConnection &operator=(const RedisConnection &) = delete;

    // Connects, authenticates and selects the db if not done yet.
    bool open(std::string &error);

    // Sends all commands in one write and reads their replies: one round
    // trip. Returns false (and breaks the connection) on any I/O error or
    // error reply; `replies` then holds nothing useful.
    bool pipeline(const std::vector<std::vector<std::string>> &commands, std::vector<RedisReplyPtr> &replies,
                  std::string &error);

    // Reads one pushed message (pub/sub), waiting up to `wait_seconds`.
    // Returns false on timeout (`timed_out`, connection still usable) or
    // on error (connection broken).
    bool read_push(RedisReplyPtr &reply, double wait_seconds, bool &timed_out, std::string &error);
    bool broken() const { return broken_; }

private:
    bool connect(const std::string &address, std::string &error);
    bool set_up(std::string &error);

    const RedisConfig &config_;
    redisContext *ctx_ = nullptr;
    bool broken_ = false;
};

// Up to `size` connections, reused; a circuit breaker skips Redis for a
// short while after a failure so that a dead server costs one timeout per
// back-off period, not one per message. Thread-safe. Logs one warning when
// Redis becomes unavailable and one line when it is back.
class RedisPool {
public:
    RedisPool(RedisConfig config, unsigned size);

    // Runs the commands as one round trip on a pooled connection. False when
    // Redis is unavailable (or in back-off).
    bool run(const std::vector<std::vector<std::string>> &commands, std::vector<RedisReplyPtr> &replies);

    const RedisConfig &config() const { return config_; }
    unsigned long long calls() const { return calls_; }
    unsigned long long failures() const { return failures_; }

private:
    // A lent connection: back to the pool however the borrower leaves,
    // an exception included, so that no slot is lost for good.
    struct GiveBack {
        RedisPool *pool;
        void operator()(RedisConnection *conn) const;
    };
    using Lease = std::unique_ptr<RedisConnection, GiveBack>;

    Lease take();
    void give_back(std::unique_ptr<RedisConnection> conn);
    void record_failure(const std::string &error);
    void record_success();

    const RedisConfig config_;
    const unsigned size_;
    std::mutex mutex_;
    std::condition_variable freed_;
    unsigned out_ = 0;  // connections lent out; never more than size_
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    bool down_ = false;
    bool probing_ = false;  // after the back-off, one call tries Redis; the rest still skip it
    std::chrono::steady_clock::time_point retry_at_{};
    std::atomic<unsigned long long> calls_{0}, failures_{0};
};

}  // namespace sendas

#endif
