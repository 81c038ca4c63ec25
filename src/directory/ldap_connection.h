// One owned libldap connection and a bounded pool of them.
//
// libldap handles are not safe to share between threads unlocked, and one
// mutexed handle would serialise every lookup; so each lookup borrows a
// handle from the pool for its duration.
#ifndef SENDAS_LDAP_CONNECTION_H
#define SENDAS_LDAP_CONNECTION_H

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/config.h"

typedef struct ldap LDAP;
typedef struct ldapmsg LDAPMessage;

namespace sendas {

struct LdapEntry {
    std::string dn;
    std::map<std::string, std::vector<std::string>> attributes;  // names lower-cased

    const std::vector<std::string> &values(const std::string &lowercase_name) const;
};

enum class SearchStatus {
    ok,         // entries filled (a missing base is ok with no entries)
    transient,  // server down, timeout: the handle is spent, retry on a new one
    failed,     // the server refused the search (bad filter, base): don't retry
    refused,    // the bind or StartTLS was refused (credentials, TLS): a config error
};

struct SearchResult {
    SearchStatus status = SearchStatus::failed;
    std::vector<LdapEntry> entries;
    std::string error;  // set unless ok
};

enum class Scope { base, subtree };

// One search, with the options that only some callers need.
struct SearchRequest {
    std::string base;
    Scope scope = Scope::subtree;
    std::string filter;
    std::vector<std::string> attributes;
    int size_limit = 0;  // 0: none
    bool paged = false;  // RFC 2696 pages, past the server's size limit
    int sd_flags = 0;    // non-zero: AD's SD_FLAGS control, e.g. 4 for the DACL of nTSecurityDescriptor
    // Non-empty: RFC 3876's values return filter, e.g. "((member=A)(member=B))":
    // only the values it matches come back. Not critical: a server without
    // it returns every value.
    std::string values_return_filter{};
};

// The DN and attributes of a searchResultEntry message.
LdapEntry read_entry(LDAP *ld, LDAPMessage *entry);

// One connection; owned by the pool (or a caller), destroyed when broken.
class LdapConnection {
public:
    // `server`: which of ldap.uri's servers `config` (naming it alone) is.
    explicit LdapConnection(const LdapConfig &config, size_t server = 0);
    ~LdapConnection();
    LdapConnection(const LdapConnection &) = delete;
    LdapConnection &operator=(const LdapConnection &) = delete;

    // Connects and binds if not yet done. Returns false with `error` set.
    bool open(std::string &error);

    // A search with the configured timeout (per request). `size_limit` 0 =
    // none. `paged` reads the result in pages (RFC 2696), past the
    // server's size limit: for whole-directory reads such as the audit.
    SearchResult search(const std::string &base, Scope scope, const std::string &filter,
                        const std::vector<std::string> &attributes, int size_limit = 0, bool paged = false);
    SearchResult search(const SearchRequest &request);

    bool broken() const { return broken_; }
    size_t server() const { return server_; }
    // The open handle, for operations search() does not cover (the change
    // watcher's content-sync session); null before open(). Marks the
    // connection broken with `spent`.
    LDAP *handle() const { return ld_; }
    void spent() { broken_ = true; }

private:
    int bind();  // simple or SASL, as configured; an LDAP result code

    const LdapConfig &config_;
    const size_t server_;
    LDAP *ld_ = nullptr;
    bool broken_ = false;
    bool refused_ = false;  // open() failed for a reason retrying cannot fix
};

// Up to `pool_size` connections, opened lazily and reused. Thread-safe.
// With several servers in ldap.uri (replicas holding the same data) new
// connections go to the first one not failed within the last
// `failback_after`: a dead or hung server costs the message that finds it
// one failed attempt (at most ldap.timeout), the search is retried on the
// next server, and the pool returns to the first once the time is up and
// it answers again.
// A connection lives until it breaks or the pool is destroyed; the pool
// must outlive every lease.
class LdapPool {
public:
    explicit LdapPool(LdapConfig config);

    class Lease {
    public:
        Lease(LdapPool &pool, std::unique_ptr<LdapConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
        ~Lease() { pool_.give_back(std::move(conn_)); }
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;
        LdapConnection *operator->() { return conn_.get(); }
        explicit operator bool() const { return conn_ != nullptr; }

    private:
        LdapPool &pool_;
        std::unique_ptr<LdapConnection> conn_;
    };

    // Waits up to ldap.timeout for a free slot; an empty lease on timeout.
    Lease borrow();

    // Search with one retry on a fresh connection after a transient error.
    SearchResult search(const std::string &base, Scope scope, const std::string &filter,
                        const std::vector<std::string> &attributes, int size_limit = 0, bool paged = false);
    SearchResult search(const SearchRequest &request);

    const LdapConfig &config() const { return config_; }
    unsigned long long searches() const { return searches_; }

private:
    void give_back(std::unique_ptr<LdapConnection> conn);
    size_t preferred_server() const;  // under mutex_
    void note_outcome(const SearchResult &result);
    bool refused_recently(SearchResult &result);

    const LdapConfig config_;
    const std::vector<LdapConfig> servers_;  // config_ with ldap.uri's servers one at a time
    std::mutex mutex_;
    std::vector<std::chrono::steady_clock::time_point> avoid_until_;  // under mutex_, per server
    std::condition_variable freed_;
    std::vector<std::unique_ptr<LdapConnection>> idle_;
    unsigned out_ = 0;  // connections (or slots) currently lent
    std::atomic<unsigned long long> searches_{0};
    bool failing_ = false;  // under mutex_: one warning per outage, one line on recovery
    std::chrono::steady_clock::time_point refused_until_{};  // under mutex_
    std::string refusal_;                                    // under mutex_: the refused bind's error
};

}  // namespace sendas

#endif
