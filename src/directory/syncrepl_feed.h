// The change feed over an RFC 4533 content-sync session in
// refreshAndPersist mode, one per watched base on one connection: the
// server pushes every add, modify, rename and delete as it happens, and a
// cookie lets a new session resume where the last one stopped.
//
// libldap's ldap_sync_* helpers hand the head of a message chain to the
// entry handler for every entry of the chain (2.5.13), so entries that
// arrive in one read would be lost or repeated; this reads one message at
// a time with ldap_result(LDAP_MSG_ONE) and parses the sync controls with
// lber itself.
#ifndef SENDAS_SYNCREPL_FEED_H
#define SENDAS_SYNCREPL_FEED_H

#include <memory>
#include <string>
#include <vector>

#include "directory/change_feed.h"
#include "directory/ldap_connection.h"

namespace sendas {

// What a Sync Info message (RFC 4533 syncInfoValue) says.
struct SyncInfo {
    enum class Kind { new_cookie, refresh_delete, refresh_present, id_set } kind = Kind::new_cookie;
    std::string cookie;            // empty: none given
    bool refresh_done = true;      // refreshDelete / refreshPresent
    bool refresh_deletes = false;  // syncIdSet: the UUIDs are deletions
};

// Parses a syncInfoValue from the server; false when it is none.
bool parse_sync_info(const std::string &value, SyncInfo &info);

// Parses a Sync State control's value: `state` one of LDAP_SYNC_PRESENT,
// _ADD, _MODIFY, _DELETE; `cookie` set when one is given. False when it
// is none.
bool parse_sync_state(const std::string &value, int &state, std::string &cookie);

class SyncreplFeed : public ChangeFeed {
public:
    explicit SyncreplFeed(const LdapConfig &config);
    ~SyncreplFeed() override;

    bool start(const std::string &position, std::string &error) override;
    bool next(double wait, FeedBatch &batch, std::string &error) override;
    const char *name() const override { return "syncrepl"; }

private:
    struct Session {
        std::string base;
        int msgid = -1;
        std::string cookie;
        bool resumed = false;    // started from a cookie: the refresh carries changes
        bool refreshing = true;  // before refreshDone
    };
    bool handle(LDAPMessage *msg, FeedBatch &batch, std::string &error);
    void on_entry(Session &session, LDAPMessage *msg, FeedBatch &batch);
    void on_info(Session &session, LDAPMessage *msg, FeedBatch &batch);
    std::string position() const;

    const LdapConfig config_;
    std::unique_ptr<LdapConnection> conn_;
    std::vector<Session> sessions_;
};

}  // namespace sendas

#endif
