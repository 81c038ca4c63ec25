// What the change watchers sharing one Redis keep there: the lease that
// lets one daemon watch for all (SET NX PX, renewed by its holder, taken
// over by another daemon once it lapses), the position the watch resumes
// from (a content-sync cookie or a poll mark, signed under
// redis.hmac_key_file so that no one without the key can make a watcher
// skip changes) and the watcher's status for `sendasctl cache stats`.
//
// Keys (PREFIX = redis.prefix):
//   PREFIXv1:watch:lease     HOST:PID:RANDOM of the watching daemon, expiring
//   PREFIXv1:watch:position  TAG\nPOSITION
//   PREFIXv1:watch:status    hash: holder, mode, state, lag_ms, changes, ...
#ifndef SENDAS_WATCH_STORE_H
#define SENDAS_WATCH_STORE_H

#include <map>
#include <string>

#include "cache/redis_client.h"

namespace sendas {

// Thread-safe: its own small pool, so that renewing the lease never waits
// behind the lookups' Redis traffic.
class WatchStore {
public:
    WatchStore(RedisConfig config, std::string prefix, std::string mac_key);

    // Takes the lease for `holder`, or renews it if `holder` has it, for
    // `ms` milliseconds. `held`: whether `holder` has it now. False when
    // Redis could not be asked (then nobody can be sure: not held).
    bool hold(const std::string &holder, long long ms, bool &held);
    // Gives the lease up if `holder` has it, so another daemon takes over
    // at once.
    void release(const std::string &holder);

    bool save_position(const std::string &position);
    // "" when none is saved, or the saved one does not verify.
    bool load_position(std::string &position);

    // The status hash, replaced whole; it expires unless written again.
    bool publish_status(const std::map<std::string, std::string> &status);
    bool read_status(std::map<std::string, std::string> &status);

private:
    std::string key(const std::string &name) const { return prefix_ + "v1:watch:" + name; }

    const std::string prefix_;
    const std::string mac_key_;
    RedisPool pool_;
};

}  // namespace sendas

#endif
