// RFC 4533 refreshAndPersist consumer; see syncrepl_feed.h.
#include "directory/syncrepl_feed.h"

#include <cstring>

#include <ldap.h>

#include "base/string_util.h"

namespace sendas {
namespace {

// Marks a position as ours: one cookie per watched base follows, a line each.
constexpr const char *position_tag = "sync";

std::vector<std::string> split_lines(const std::string &text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(text.substr(start, end - start));
    if (!text.empty()) lines.push_back(text.substr(start));
    return lines;
}

// Copies a berval scanned in place ("m") before its BerElement goes.
void keep(const berval &value, std::string &out) {
    if (value.bv_val) out.assign(value.bv_val, value.bv_len);
}

// A BerElement over a copy of `value`, freed with it.
struct Ber {
    // Empty: no reader (lber would read from a null buffer).
    explicit Ber(const std::string &value) {
        berval bv{static_cast<ber_len_t>(value.size()), const_cast<char *>(value.data())};
        if (!value.empty()) ber = ber_init(&bv);
    }
    ~Ber() {
        if (ber) ber_free(ber, 1);
    }
    Ber(const Ber &) = delete;
    Ber &operator=(const Ber &) = delete;
    BerElement *ber = nullptr;
};

// An optional cookie at the reader's position.
bool optional_cookie(BerElement *ber, std::string &cookie) {
    ber_len_t length = 0;
    berval scanned{0, nullptr};
    if (ber_peek_tag(ber, &length) != LDAP_TAG_SYNC_COOKIE) return true;
    if (ber_scanf(ber, "m", &scanned) == LBER_ERROR) return false;
    keep(scanned, cookie);
    return true;
}

// The Sync State control of an entry message; false without one.
bool entry_sync_state(LDAP *ld, LDAPMessage *msg, int &state, std::string &cookie) {
    LDAPControl **controls = nullptr;
    if (ldap_get_entry_controls(ld, msg, &controls) != LDAP_SUCCESS || !controls) return false;
    LDAPControl *control = ldap_control_find(LDAP_CONTROL_SYNC_STATE, controls, nullptr);
    const bool ok =
        control && parse_sync_state(std::string(control->ldctl_value.bv_val ? control->ldctl_value.bv_val : "",
                                                control->ldctl_value.bv_len),
                                    state, cookie);
    ldap_controls_free(controls);
    return ok;
}

// The Sync Request control: refreshAndPersist, from `cookie` if any.
bool request_control(const std::string &cookie, LDAPControl &control, berval &value) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (!ber) return false;
    berval bv{static_cast<ber_len_t>(cookie.size()), const_cast<char *>(cookie.data())};
    const int rc = cookie.empty() ? ber_printf(ber, "{eb}", LDAP_SYNC_REFRESH_AND_PERSIST, 0)
                                  : ber_printf(ber, "{eOb}", LDAP_SYNC_REFRESH_AND_PERSIST, &bv, 0);
    const bool ok = rc != -1 && ber_flatten2(ber, &value, 1) == 0;
    ber_free(ber, 1);
    control = LDAPControl{const_cast<char *>(LDAP_CONTROL_SYNC), value, 1};
    return ok;
}

}  // namespace

bool parse_sync_state(const std::string &value, int &state, std::string &cookie) {
    Ber reader(value);
    ber_int_t scanned_state = -1;
    berval uuid{0, nullptr};
    if (!reader.ber || ber_scanf(reader.ber, "{em", &scanned_state, &uuid) == LBER_ERROR) return false;
    if (scanned_state < LDAP_SYNC_PRESENT || scanned_state > LDAP_SYNC_DELETE) return false;
    state = scanned_state;
    return optional_cookie(reader.ber, cookie);
}

bool parse_sync_info(const std::string &value, SyncInfo &info) {
    Ber reader(value);
    if (!reader.ber) return false;
    info = SyncInfo{};
    ber_len_t length = 0;
    const ber_tag_t tag = ber_peek_tag(reader.ber, &length);
    if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
        berval scanned{0, nullptr};
        if (ber_scanf(reader.ber, "m", &scanned) == LBER_ERROR) return false;
        keep(scanned, info.cookie);
        return true;
    }
    if (tag != LDAP_TAG_SYNC_REFRESH_DELETE && tag != LDAP_TAG_SYNC_REFRESH_PRESENT && tag != LDAP_TAG_SYNC_ID_SET)
        return false;
    info.kind = tag == LDAP_TAG_SYNC_REFRESH_DELETE    ? SyncInfo::Kind::refresh_delete
                : tag == LDAP_TAG_SYNC_REFRESH_PRESENT ? SyncInfo::Kind::refresh_present
                                                       : SyncInfo::Kind::id_set;
    if (ber_scanf(reader.ber, "{") == LBER_ERROR || !optional_cookie(reader.ber, info.cookie)) return false;
    ber_int_t flag = 0;
    // refreshDone (default TRUE), or refreshDeletes (default FALSE): both tagged 0x01.
    if (ber_peek_tag(reader.ber, &length) == LDAP_TAG_REFRESHDONE) {
        if (ber_scanf(reader.ber, "b", &flag) == LBER_ERROR) return false;
        (info.kind == SyncInfo::Kind::id_set ? info.refresh_deletes : info.refresh_done) = flag != 0;
    }
    return true;
}

SyncreplFeed::SyncreplFeed(const LdapConfig &config) : config_(config) {}

SyncreplFeed::~SyncreplFeed() = default;

std::string SyncreplFeed::position() const {
    std::string out = position_tag;
    for (const auto &session : sessions_) out += "\n" + session.cookie;
    return out;
}

bool SyncreplFeed::start(const std::string &position, std::string &error) {
    const std::vector<std::string> bases = watched_bases(config_);
    std::vector<std::string> cookies = split_lines(position);
    // Another mode's mark, or another set of bases: no cookie applies.
    if (cookies.empty() || cookies.front() != position_tag || cookies.size() != bases.size() + 1)
        cookies.assign(bases.size() + 1, "");
    sessions_.clear();
    conn_ = std::make_unique<LdapConnection>(config_);
    if (!conn_->open(error)) return false;
    std::vector<std::string> attributes = {"objectClass", "cn", config_.mail_attribute, "entryCSN"};
    std::vector<char *> attrs;
    attrs.reserve(attributes.size() + 1);
    for (auto &a : attributes) attrs.push_back(a.data());
    attrs.push_back(nullptr);
    for (size_t i = 0; i < bases.size(); ++i) {
        Session session{bases[i], -1, cookies[i + 1], !cookies[i + 1].empty(), true};
        LDAPControl control;
        berval value{0, nullptr};
        if (!request_control(session.cookie, control, value)) {
            error = "cannot encode the content-sync request";
            return false;
        }
        LDAPControl *controls[] = {&control, nullptr};
        const int rc = ldap_search_ext(conn_->handle(), session.base.c_str(), LDAP_SCOPE_SUBTREE, "(objectClass=*)",
                                       attrs.data(), 0, controls, nullptr, nullptr, 0, &session.msgid);
        ber_memfree(value.bv_val);
        if (rc != LDAP_SUCCESS) {
            error = "content-sync search under " + session.base + ": " + ldap_err2string(rc);
            conn_->spent();
            return false;
        }
        sessions_.push_back(std::move(session));
    }
    return true;
}

bool SyncreplFeed::next(double wait, FeedBatch &batch, std::string &error) {
    if (!conn_ || conn_->broken()) {
        error = "no content-sync session";
        return false;
    }
    const auto micros = static_cast<long long>(wait * 1e6);
    timeval timeout{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
    // Drains what has arrived, in bounded batches, after the first wait.
    for (int n = 0; n < 1000; ++n) {
        LDAPMessage *msg = nullptr;
        const int rc = ldap_result(conn_->handle(), LDAP_RES_ANY, LDAP_MSG_ONE, &timeout, &msg);
        if (rc == 0) break;
        if (rc < 0) {
            int code = LDAP_OTHER;
            ldap_get_option(conn_->handle(), LDAP_OPT_RESULT_CODE, &code);
            error = std::string("content-sync session: ") + ldap_err2string(code);
            conn_->spent();
            return false;
        }
        const bool ok = handle(msg, batch, error);
        ldap_msgfree(msg);
        if (!ok) {
            conn_->spent();
            return false;
        }
        timeout = {0, 0};
    }
    batch.position = position();
    return true;
}

bool SyncreplFeed::handle(LDAPMessage *msg, FeedBatch &batch, std::string &error) {
    const int msgid = ldap_msgid(msg);
    Session *session = nullptr;
    for (auto &s : sessions_)
        if (s.msgid == msgid) session = &s;
    if (!session) return true;  // nothing of ours
    switch (ldap_msgtype(msg)) {
    case LDAP_RES_SEARCH_ENTRY: on_entry(*session, msg, batch); return true;
    case LDAP_RES_INTERMEDIATE: on_info(*session, msg, batch); return true;
    case LDAP_RES_SEARCH_RESULT: {
        int code = LDAP_OTHER;
        ldap_parse_result(conn_->handle(), msg, &code, nullptr, nullptr, nullptr, nullptr, 0);
        // The server cannot resume from the cookie: a full refresh, and
        // what changed meanwhile is unknown.
        if (code == LDAP_SYNC_REFRESH_REQUIRED) {
            session->cookie.clear();
            batch.everything = true;
            batch.position = position();
        }
        error = "content-sync search under " + session->base + " ended: " + ldap_err2string(code);
        return false;
    }
    default: return true;
    }
}

void SyncreplFeed::on_entry(Session &session, LDAPMessage *msg, FeedBatch &batch) {
    int state = -1;
    std::string cookie;
    if (!entry_sync_state(conn_->handle(), msg, state, cookie)) return;
    if (!cookie.empty()) session.cookie = cookie;
    if (session.refreshing && !session.resumed) return;  // the initial content, no change
    // A present entry means a present phase, whose deletions are implied
    // by what is not sent: they cannot be named.
    if (state == LDAP_SYNC_PRESENT) {
        batch.everything = true;
        return;
    }
    ChangedEntry change = changed_entry(read_entry(conn_->handle(), msg), config_);
    change.deleted = state == LDAP_SYNC_DELETE;
    batch.changes.push_back(std::move(change));
}

void SyncreplFeed::on_info(Session &session, LDAPMessage *msg, FeedBatch &batch) {
    char *oid = nullptr;
    berval *data = nullptr;
    if (ldap_parse_intermediate(conn_->handle(), msg, &oid, &data, nullptr, 0) != LDAP_SUCCESS) return;
    SyncInfo info;
    const bool ours = oid && data && std::strcmp(oid, LDAP_SYNC_INFO) == 0 &&
                      parse_sync_info(std::string(data->bv_val ? data->bv_val : "", data->bv_len), info);
    if (oid) ldap_memfree(oid);
    if (data) ber_bvfree(data);
    if (!ours) return;
    if (!info.cookie.empty()) session.cookie = info.cookie;
    if (info.kind == SyncInfo::Kind::new_cookie) return;
    // An ID set names entries by UUID only, and a present phase implies
    // deletions: neither can be mapped to DNs.
    const bool unnamed = info.kind == SyncInfo::Kind::id_set || info.kind == SyncInfo::Kind::refresh_present;
    if (unnamed && (session.resumed || !session.refreshing)) batch.everything = true;
    if (info.kind != SyncInfo::Kind::id_set && info.refresh_done && session.refreshing) {
        session.refreshing = false;
        // Nothing is known about the time before a first session.
        if (!session.resumed) batch.everything = true;
    }
}

}  // namespace sendas
