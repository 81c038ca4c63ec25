// Collapses concurrent calls for the same key into one: the first caller
// runs the work, the others wait for its result. Used so that a burst of
// messages from one user makes one LDAP search, not one per connection.
#ifndef SENDAS_SINGLE_FLIGHT_H
#define SENDAS_SINGLE_FLIGHT_H

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sendas {

// Thread-safe. `Result` must be copyable and default-constructible; a
// default Result is what waiters get if the work throws.
template <typename Result>
class SingleFlight {
public:
    Result run(const std::string &key, const std::function<Result()> &work) {
        std::shared_ptr<Call> call;
        bool leader = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto &slot = calls_[key];
            if (!slot) {
                slot = std::make_shared<Call>();
                leader = true;
            }
            call = slot;
        }
        if (!leader) {
            std::unique_lock<std::mutex> lock(call->mutex);
            call->done_cv.wait(lock, [&] { return call->done; });
            return call->result;
        }
        Result result{};
        try {
            result = work();
        } catch (...) {
            finish(key, *call, Result{});
            throw;
        }
        finish(key, *call, result);
        return result;
    }

private:
    struct Call {
        std::mutex mutex;
        std::condition_variable done_cv;
        bool done = false;
        Result result{};
    };

    void finish(const std::string &key, Call &call, const Result &result) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            calls_.erase(key);
        }
        {
            std::lock_guard<std::mutex> lock(call.mutex);
            call.result = result;
            call.done = true;
        }
        call.done_cv.notify_all();
    }

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace sendas

#endif
