// libldap connections and their pool; see ldap_connection.h.
#include "directory/ldap_connection.h"
#include "base/string_util.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <ldap.h>
#include <sasl/sasl.h>

#include "base/log.h"
#include "base/metrics.h"

namespace sendas {
namespace {

// How long a refused bind is answered from memory before binding again.
constexpr std::chrono::seconds refusal_hold{5};
// How long a server that failed is passed over for the next one in ldap.uri.
constexpr std::chrono::seconds failback_after{30};

// ldap.uri's servers, each alone in a copy of `config`.
std::vector<LdapConfig> one_per_server(const LdapConfig &config) {
    std::vector<LdapConfig> servers;
    for (const auto &uri : split_words(config.uri)) {
        servers.push_back(config);
        servers.back().uri = uri;
    }
    if (servers.empty()) servers.push_back(config);
    return servers;
}

bool is_transient(int rc) {
    return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE ||
           rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

// Owns a libldap message chain.
struct MessageGuard {
    LDAPMessage *msg = nullptr;
    ~MessageGuard() {
        if (msg) ldap_msgfree(msg);
    }
};

}  // namespace

LdapEntry read_entry(LDAP *ld, LDAPMessage *entry) {
    LdapEntry out;
    if (char *dn = ldap_get_dn(ld, entry)) {
        out.dn = dn;
        ldap_memfree(dn);
    }
    BerElement *ber = nullptr;
    for (char *attr = ldap_first_attribute(ld, entry, &ber); attr; attr = ldap_next_attribute(ld, entry, ber)) {
        std::vector<std::string> &values = out.attributes[lower(attr)];
        if (berval **vals = ldap_get_values_len(ld, entry, attr)) {
            for (berval **v = vals; *v; ++v) values.emplace_back((*v)->bv_val, (*v)->bv_len);
            ldap_value_free_len(vals);
        }
        ldap_memfree(attr);
    }
    if (ber) ber_free(ber, 0);
    return out;
}

namespace {

// SASL prompts (GSSAPI and EXTERNAL ask at most for an authorization
// identity): each gets its default, which is none: the identity the
// mechanism proves.
int sasl_defaults(LDAP *, unsigned, void *, void *prompts) {
    for (auto *p = static_cast<sasl_interact_t *>(prompts); p && p->id != SASL_CB_LIST_END; ++p) {
        p->result = p->defresult ? p->defresult : "";
        p->len = static_cast<unsigned>(std::strlen(static_cast<const char *>(p->result)));
    }
    return LDAP_SUCCESS;
}

}  // namespace

const std::vector<std::string> &LdapEntry::values(const std::string &lowercase_name) const {
    static const std::vector<std::string> none;
    auto it = attributes.find(lowercase_name);
    return it == attributes.end() ? none : it->second;
}

LdapConnection::LdapConnection(const LdapConfig &config, size_t server) : config_(config), server_(server) {}

LdapConnection::~LdapConnection() {
    if (ld_) ldap_unbind_ext_s(ld_, nullptr, nullptr);
}

bool LdapConnection::open(std::string &error) {
    if (ld_) return true;
    LDAP *ld = nullptr;
    int rc = ldap_initialize(&ld, config_.uri.c_str());
    if (rc != LDAP_SUCCESS) {
        error = std::string("ldap_initialize: ") + ldap_err2string(rc);
        return false;
    }
    ld_ = ld;
    int version = LDAP_VERSION3;
    timeval timeout{static_cast<time_t>(config_.timeout), 0};
    ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld_, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld_, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(ld_, LDAP_OPT_TIMEOUT, &timeout);
    if (!config_.ca_file.empty()) {
        int demand = LDAP_OPT_X_TLS_DEMAND, newctx = 0;
        ldap_set_option(ld_, LDAP_OPT_X_TLS_CACERTFILE, config_.ca_file.c_str());
        ldap_set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        ldap_set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, &newctx);
    }
    if (config_.starttls) {
        rc = ldap_start_tls_s(ld_, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            error = std::string("StartTLS: ") + ldap_err2string(rc);
            broken_ = true;
            refused_ = !is_transient(rc);
            return false;
        }
    }
    // A bind, even anonymous, makes the connection now, so a dead server
    // shows here and not in the middle of a lookup.
    rc = bind();
    if (rc != LDAP_SUCCESS) {
        error = std::string("bind: ") + ldap_err2string(rc);
        broken_ = true;
        // Wrong credentials or a refused bind is the config, not the network.
        refused_ = !is_transient(rc);
        return false;
    }
    return true;
}

int LdapConnection::bind() {
    if (!config_.sasl_mech.empty())
        return ldap_sasl_interactive_bind_s(ld_, nullptr, config_.sasl_mech.c_str(), nullptr, nullptr, LDAP_SASL_QUIET,
                                            sasl_defaults, nullptr);
    berval cred{static_cast<ber_len_t>(config_.bind_password.size()), const_cast<char *>(config_.bind_password.data())};
    return ldap_sasl_bind_s(ld_, config_.bind_dn.empty() ? nullptr : config_.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred,
                            nullptr, nullptr, nullptr);
}

namespace {

// AD's SD_FLAGS control (1.2.840.113556.1.4.801): which parts of
// nTSecurityDescriptor to return; without it a normal user gets none.
// Critical: a server that does not know it must say so, not leave the
// descriptor out. Null when it cannot be built.
LDAPControl *sd_flags_control(int flags) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (!ber) return nullptr;
    LDAPControl *control = nullptr;
    berval value{0, nullptr};
    if (ber_printf(ber, "{i}", static_cast<ber_int_t>(flags)) != -1 && ber_flatten2(ber, &value, 0) == 0)
        ldap_control_create("1.2.840.113556.1.4.801", 1, &value, 1, &control);
    ber_free(ber, 1);
    return control;
}

// RFC 3876's values return filter control; null when it cannot be built.
LDAPControl *values_return_control(const std::string &filter) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (!ber) return nullptr;
    LDAPControl *control = nullptr;
    berval value{0, nullptr};
    if (ldap_put_vrFilter(ber, filter.c_str()) == 0 && ber_flatten2(ber, &value, 0) == 0)
        ldap_control_create(LDAP_CONTROL_VALUESRETURNFILTER, 0, &value, 1, &control);
    ber_free(ber, 1);
    return control;
}

// Sends one search request, one page of it when `cookie` is given, and
// waits for the answer.
int send_request(LDAP *ld, const SearchRequest &request, char **attrs, unsigned timeout_seconds, berval *cookie,
                 LDAPMessage **answer) {
    constexpr ber_int_t page_size = 500;
    timeval timeout{static_cast<time_t>(timeout_seconds), 0};
    LDAPControl *page = nullptr, *sd_flags = nullptr, *values = nullptr;
    if (cookie) ldap_create_page_control(ld, page_size, cookie, 0, &page);
    if (request.sd_flags && !(sd_flags = sd_flags_control(request.sd_flags))) return LDAP_NO_MEMORY;
    if (!request.values_return_filter.empty()) values = values_return_control(request.values_return_filter);
    LDAPControl *server_controls[4] = {};
    size_t n = 0;
    for (LDAPControl *control : {page, sd_flags, values})
        if (control) server_controls[n++] = control;
    const int rc = ldap_search_ext_s(
        ld, request.base.c_str(), request.scope == Scope::base ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE,
        request.filter.c_str(), attrs, 0, n ? server_controls : nullptr, nullptr, &timeout, request.size_limit, answer);
    if (page) ldap_control_free(page);
    if (sd_flags) ldap_control_free(sd_flags);
    if (values) ldap_control_free(values);
    return rc;
}

// The paged-results cookie of an answer into `cookie`: left empty after
// the last page.
void next_page_cookie(LDAP *ld, LDAPMessage *answer, berval &cookie) {
    LDAPControl **controls = nullptr;
    int err = LDAP_SUCCESS;
    const int rc = ldap_parse_result(ld, answer, &err, nullptr, nullptr, nullptr, &controls, 0);
    LDAPControl *response =
        rc == LDAP_SUCCESS ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nullptr) : nullptr;
    ber_int_t estimate = 0;
    if (response) ldap_parse_pageresponse_control(ld, response, &estimate, &cookie);
    if (controls) ldap_controls_free(controls);
}

}  // namespace

SearchResult LdapConnection::search(const std::string &base, Scope scope, const std::string &filter,
                                    const std::vector<std::string> &attributes, int size_limit, bool paged) {
    return search(SearchRequest{base, scope, filter, attributes, size_limit, paged});
}

SearchResult LdapConnection::search(const SearchRequest &request) {
    SearchResult result;
    if (!open(result.error)) {
        result.status = refused_ ? SearchStatus::refused : SearchStatus::transient;
        return result;
    }
    std::vector<char *> attrs;
    attrs.reserve(request.attributes.size() + 1);
    for (const auto &a : request.attributes) attrs.push_back(const_cast<char *>(a.c_str()));
    attrs.push_back(nullptr);
    berval cookie{0, nullptr};
    do {
        MessageGuard res;
        int rc = send_request(ld_, request, attrs.data(), config_.timeout, request.paged ? &cookie : nullptr, &res.msg);
        if (cookie.bv_val) ber_memfree(cookie.bv_val);
        cookie = {0, nullptr};
        if (rc == LDAP_NO_SUCH_OBJECT) break;
        // A truncated answer is only fine when the caller asked for a limit
        // (to spot an ambiguous login); elsewhere it would hide members.
        if ((rc == LDAP_SIZELIMIT_EXCEEDED && request.size_limit == 0) ||
            (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)) {
            result.error =
                std::string(rc == LDAP_SIZELIMIT_EXCEEDED ? "search (raise the server's size limit for this bind DN)"
                                                          : "search") +
                ": " + ldap_err2string(rc);
            result.status = is_transient(rc) ? SearchStatus::transient : SearchStatus::failed;
            broken_ = result.status == SearchStatus::transient;
            result.entries.clear();
            return result;
        }
        for (LDAPMessage *e = ldap_first_entry(ld_, res.msg); e; e = ldap_next_entry(ld_, e))
            result.entries.push_back(read_entry(ld_, e));
        if (request.paged) next_page_cookie(ld_, res.msg, cookie);
    } while (cookie.bv_len > 0);
    if (cookie.bv_val) ber_memfree(cookie.bv_val);
    result.status = SearchStatus::ok;
    return result;
}

LdapPool::LdapPool(LdapConfig config)
    : config_(std::move(config)), servers_(one_per_server(config_)), avoid_until_(servers_.size()) {}

size_t LdapPool::preferred_server() const {
    const auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < servers_.size(); ++i)
        if (now >= avoid_until_[i]) return i;
    return 0;  // every one failed lately: the first, as configured
}

LdapPool::Lease LdapPool::borrow() {
    std::unique_lock<std::mutex> lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.timeout);
    if (!freed_.wait_until(lock, deadline, [this] { return !idle_.empty() || out_ < config_.pool_size; }))
        return Lease(*this, nullptr);
    ++out_;
    const size_t server = preferred_server();
    // A kept connection to a server passed over earlier is closed, so that
    // the pool moves back once the preferred one answers again.
    while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->server() == server) return Lease(*this, std::move(conn));
    }
    lock.unlock();
    return Lease(*this, std::make_unique<LdapConnection>(servers_[server], server));
}

void LdapPool::give_back(std::unique_ptr<LdapConnection> conn) {
    if (!conn) return;  // an empty lease never took a slot
    std::lock_guard<std::mutex> lock(mutex_);
    --out_;
    if (conn->broken()) {
        idle_.clear();  // they talked to the same server: likely dead too
        if (servers_.size() > 1) avoid_until_[conn->server()] = std::chrono::steady_clock::now() + failback_after;
    } else {
        idle_.push_back(std::move(conn));
    }
    freed_.notify_one();  // one connection or slot came back: one waiter can use it
}

SearchResult LdapPool::search(const std::string &base, Scope scope, const std::string &filter,
                              const std::vector<std::string> &attributes, int size_limit, bool paged) {
    return search(SearchRequest{base, scope, filter, attributes, size_limit, paged});
}

SearchResult LdapPool::search(const SearchRequest &request) {
    SearchResult result;
    if (refused_recently(result)) return result;
    result.status = SearchStatus::transient;
    result.error = "no LDAP connection free within ldap.timeout";
    // A kept connection may have died since its last use: one retry on a
    // fresh one tells a restarted server from a dead one.
    const size_t attempts = servers_.size() + 1;  // each failed server moves the retry on to the next
    for (size_t attempt = 0; attempt < attempts && result.status == SearchStatus::transient; ++attempt) {
        Lease conn = borrow();
        if (!conn) break;
        ++searches_;
        auto started = std::chrono::steady_clock::now();
        result = conn->search(request);
        metrics::ldap_search(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                             result.status == SearchStatus::ok);
    }
    note_outcome(result);
    return result;
}

bool LdapPool::refused_recently(SearchResult &result) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::chrono::steady_clock::now() >= refused_until_) return false;
    result.status = SearchStatus::refused;
    result.error = refusal_;
    return true;
}

void LdapPool::note_outcome(const SearchResult &result) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (result.status == SearchStatus::refused) {
        // No bind per message while the credentials are wrong; a reload
        // with fixed ones builds a new pool.
        refused_until_ = std::chrono::steady_clock::now() + refusal_hold;
        refusal_ = result.error;
    }
    bool ok = result.status == SearchStatus::ok;
    if (ok == !failing_) return;
    failing_ = !ok;
    if (ok)
        log(Severity::info, "LDAP " + config_.uri + " answering again");
    else
        log(Severity::warning,
            "LDAP " + config_.uri + " unavailable, rights cannot be looked up: " + result.error +
                (result.status != SearchStatus::refused ? ""
                 : config_.sasl_mech.empty() ? " (check ldap.bind_dn, ldap.bind_password_file and the TLS settings)"
                                             : " (check ldap.sasl_mech, ldap.keytab and the TLS settings)"));
}

}  // namespace sendas
