// Unix seconds, injected where answers expire so tests can move time.
#ifndef SENDAS_CLOCK_H
#define SENDAS_CLOCK_H

#include <chrono>
#include <cstdint>
#include <functional>

namespace sendas {

using Clock = std::function<int64_t()>;

inline int64_t system_clock_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace sendas

#endif
