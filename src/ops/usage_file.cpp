// The per-host usage state file; see usage_file.h.
#include "ops/usage_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace sendas {
namespace {

// Closes the descriptor (and so drops its lock) however the scope ends.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::vector<UsageOutcome> apply_usage(UsageTable &table, const std::vector<UsageDelta> &deltas, int64_t now,
                                      int64_t retention) {
    const int64_t today = day_of(now);
    const int64_t oldest_day = day_of(now - retention);
    for (auto it = table.begin(); it != table.end();) {
        it->second.prune(oldest_day);
        it = it->second.last < now - retention ? table.erase(it) : std::next(it);
    }
    std::vector<UsageOutcome> outcomes;
    for (const auto &delta : deltas) {
        UsageOutcome outcome;
        auto [it, created] = table.try_emplace(delta.key);
        UsageRecord &record = it->second;
        outcome.first_use = created;
        if (created) record.first = now;
        record.dn = delta.dn;
        record.last = std::max(record.last, delta.last);
        uint64_t &day = record.days[today];
        outcome.day_before = day;
        day += delta.count;
        outcome.day_after = day;
        outcome.record = record;
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

FileUsageStore::FileUsageStore(std::string path, int64_t retention) : path_(std::move(path)), retention_(retention) {}

bool FileUsageStore::load(UsageTable &table, size_t &bad, std::string &error) const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return true;  // nothing recorded yet
        error = "cannot read " + path_ + ": " + error_text(errno);
        return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    table = decode_usage_file(text.str(), bad);
    return true;
}

bool FileUsageStore::save(const UsageTable &table, std::string &error) const {
    // A new file renamed into place: a reader sees the old or the new one.
    const std::string temporary = path_ + ".tmp";
    const std::string text = encode_usage_file(table);
    Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    bool ok = fd.get() >= 0;
    for (size_t done = 0; ok && done < text.size();) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        ok = n > 0;
        if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && ::rename(temporary.c_str(), path_.c_str()) == 0;
    if (!ok) error = "cannot write " + path_ + ": " + error_text(errno);
    return ok;
}

bool FileUsageStore::add(const std::vector<UsageDelta> &deltas, int64_t now, std::vector<UsageOutcome> &outcomes,
                         std::string &error) {
    const std::string lock_path = path_ + ".lock";
    Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
    if (lock.get() < 0 || ::flock(lock.get(), LOCK_EX) != 0) {
        error = "cannot lock " + lock_path + ": " + error_text(errno);
        return false;
    }
    UsageTable table;
    size_t bad = 0;
    if (!load(table, bad, error)) return false;
    outcomes = apply_usage(table, deltas, now, retention_);
    return save(table, error);
}

bool FileUsageStore::read(UsageTable &table, size_t &bad, std::string &error) {
    bad = 0;
    return load(table, bad, error);
}

}  // namespace sendas
