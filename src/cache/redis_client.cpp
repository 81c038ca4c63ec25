// hiredis connections and pool; see redis_client.h.
#include "cache/redis_client.h"

#include "base/config.h"

#include <poll.h>

#include <hiredis/hiredis.h>

#include "base/log.h"
#include "base/metrics.h"
#include "base/string_util.h"
#include "cache/redis_sentinel.h"

namespace sendas {
namespace {

// After a failure Redis is left alone this long before the next try.
constexpr auto back_off = std::chrono::seconds(2);

timeval to_timeval(double seconds) {
    timeval tv;
    tv.tv_sec = static_cast<time_t>(seconds);
    tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
    return tv;
}

}  // namespace

RedisConfig redis_config(const RedisSection &r) {
    return {r.address, r.sentinels, r.master_name, r.user, r.password, r.db, r.timeout};
}

std::string RedisConfig::label() const {
    return sentinels.empty() ? address : "master " + master_name + " of sentinels " + join_words(sentinels);
}

void RedisReplyDeleter::operator()(redisReply *reply) const { freeReplyObject(reply); }

RedisConnection::RedisConnection(const RedisConfig &config) : config_(config) {}

RedisConnection::~RedisConnection() {
    if (ctx_) redisFree(ctx_);
}

bool RedisConnection::open(std::string &error) {
    if (broken_) {
        error = "connection broken";
        return false;
    }
    if (ctx_) return true;
    std::string address = config_.address;
    if (!config_.sentinels.empty() && !master_from_sentinels(config_, address, error)) {
        broken_ = true;
        return false;
    }
    return connect(address, error) && set_up(error);
}

bool RedisConnection::connect(const std::string &address, std::string &error) {
    timeval tv = to_timeval(config_.timeout);
    if (address.rfind("unix:", 0) == 0) {
        ctx_ = redisConnectUnixWithTimeout(address.substr(5).c_str(), tv);
    } else {
        std::string host;
        int port = 0;
        if (!parse_redis_tcp_address(address, host, port)) {
            error = "bad address " + address;
            broken_ = true;
            return false;
        }
        ctx_ = redisConnectWithTimeout(host.c_str(), port, tv);
    }
    if (!ctx_ || ctx_->err) {
        error = (ctx_ ? std::string(ctx_->errstr) : std::string("out of memory")) + " (" + address + ")";
        broken_ = true;
        return false;
    }
    redisSetTimeout(ctx_, tv);
    return true;
}

// AUTH, SELECT and, for a master named by sentinels, ROLE: right after a
// failover a sentinel may still name the old master, now a replica, and
// writes to it would fail one by one.
bool RedisConnection::set_up(std::string &error) {
    std::vector<std::vector<std::string>> setup;
    if (!config_.password.empty()) {
        if (config_.user.empty())
            setup.push_back({"AUTH", config_.password});
        else
            setup.push_back({"AUTH", config_.user, config_.password});
    }
    if (config_.db != 0) setup.push_back({"SELECT", std::to_string(config_.db)});
    if (!config_.sentinels.empty()) setup.push_back({"ROLE"});
    std::vector<RedisReplyPtr> replies;
    if (setup.empty()) return true;
    if (!pipeline(setup, replies, error)) return false;
    if (config_.sentinels.empty()) return true;
    const redisReply *role = replies.back().get();
    if (role->type == REDIS_REPLY_ARRAY && role->elements > 0 && role->element[0]->type == REDIS_REPLY_STRING &&
        std::string(role->element[0]->str, role->element[0]->len) == "master")
        return true;
    error = "the server the sentinels name for " + config_.master_name + " is not a master (a failover in progress)";
    broken_ = true;
    return false;
}

bool RedisConnection::pipeline(const std::vector<std::vector<std::string>> &commands,
                               std::vector<RedisReplyPtr> &replies, std::string &error) {
    if (!open(error)) return false;
    replies.clear();
    for (const auto &command : commands) {
        std::vector<const char *> argv;
        std::vector<size_t> lengths;
        for (const auto &arg : command) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lengths.data());
    }
    for (size_t i = 0; i < commands.size(); ++i) {
        void *raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
            error = ctx_->errstr[0] ? ctx_->errstr : "no reply";
            broken_ = true;
            return false;
        }
        replies.emplace_back(static_cast<redisReply *>(raw));
        if (replies.back()->type == REDIS_REPLY_ERROR) {
            error = std::string(replies.back()->str, replies.back()->len);
            broken_ = true;  // replies may be out of step now
            return false;
        }
    }
    return true;
}

bool RedisConnection::read_push(RedisReplyPtr &reply, double wait_seconds, bool &timed_out, std::string &error) {
    timed_out = false;
    if (!open(error)) return false;
    void *raw = nullptr;
    // A reply may already sit in hiredis' buffer; otherwise wait for the
    // socket ourselves, because a hiredis read timeout ruins the context.
    if (redisGetReplyFromReader(ctx_, &raw) == REDIS_OK && !raw) {
        pollfd readable{ctx_->fd, POLLIN, 0};
        int ready = poll(&readable, 1, static_cast<int>(wait_seconds * 1000));
        if (ready == 0) {
            timed_out = true;
            return false;
        }
        if (ready > 0 && redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
    }
    if (!raw) {
        error = ctx_->errstr[0] ? ctx_->errstr : "connection lost";
        broken_ = true;
        return false;
    }
    reply.reset(static_cast<redisReply *>(raw));
    return true;
}

RedisPool::RedisPool(RedisConfig config, unsigned size) : config_(std::move(config)), size_(size) {}

void RedisPool::GiveBack::operator()(RedisConnection *conn) const {
    pool->give_back(std::unique_ptr<RedisConnection>(conn));
}

// At most size_ connections exist: a caller waits (up to redis.timeout) for
// one to come back rather than open one more that give_back would close
// again, which under load is a new connection per message.
RedisPool::Lease RedisPool::take() {
    std::unique_lock<std::mutex> lock(mutex_);
    bool probe = false;
    if (down_) {
        if (probing_ || std::chrono::steady_clock::now() < retry_at_) return Lease(nullptr, GiveBack{this});
        probing_ = probe = true;
    }
    const auto wait =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(config_.timeout));
    // A caller waiting for a connection gives up as soon as Redis is found
    // down, rather than paying another timeout on it.
    bool got = freed_.wait_for(lock, wait, [&] { return (down_ && !probe) || !idle_.empty() || out_ < size_; });
    if (!got || (down_ && !probe)) {
        if (probe) probing_ = false;
        return Lease(nullptr, GiveBack{this});
    }
    std::unique_ptr<RedisConnection> conn;
    if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
    } else {
        conn = std::make_unique<RedisConnection>(config_);
    }
    ++out_;  // only once the lease exists to give it back
    return Lease(conn.release(), GiveBack{this});
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> conn) {
    std::lock_guard<std::mutex> lock(mutex_);
    --out_;
    if (!conn->broken()) idle_.push_back(std::move(conn));
    freed_.notify_one();
}

void RedisPool::record_failure(const std::string &error) {
    ++failures_;
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.clear();  // same server: the others are no better
    retry_at_ = std::chrono::steady_clock::now() + back_off;
    probing_ = false;
    if (!down_) log(Severity::warning, "Redis " + config_.label() + " unavailable, using LDAP directly: " + error);
    down_ = true;
    freed_.notify_all();
}

void RedisPool::record_success() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (down_) log(Severity::info, "Redis " + config_.label() + " available again");
    down_ = false;
    probing_ = false;
}

bool RedisPool::run(const std::vector<std::vector<std::string>> &commands, std::vector<RedisReplyPtr> &replies) {
    auto conn = take();
    if (!conn) return false;
    ++calls_;
    std::string error;
    auto started = std::chrono::steady_clock::now();
    bool ok = conn->pipeline(commands, replies, error);
    metrics::redis_call(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), ok);
    // The outcome first, then the lease goes back as `conn` leaves scope:
    // waiters woken by give_back see the outcome.
    if (ok)
        record_success();
    else
        record_failure(error);
    return ok;
}

}  // namespace sendas
