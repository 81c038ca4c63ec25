-- Domain grants when the group filter has %D (the server decides
-- membership, as with AD's in-chain rule): such a filter only finds the
-- groups holding the user, so alerts@notify.example.com's own Send on
-- Behalf group, which leaves crm out, is invisible to it; the daemon must
-- still see that it exists and let it win over the domain group
-- @notify.example.com, which holds crm directly.
-- config: local_domains = example.com example.org notify.example.com
-- config: ldap.group_filter = (&(objectClass=groupOfNames)(cn=%m)(member=%D))
dofile(mtdir .. "/common.lua")

local function send(conn, auth, from)
    return message(conn, { auth = auth, envfrom = "<" .. auth .. "@example.com>",
        headers = { { "From", from } } })
end

test(function()
    local conn = connect()

    local what = "crm on behalf of billing@notify (domain group, direct member)"
    local qid = send(conn, "crm", "billing@notify.example.com")
    expect_accept(conn, qid, what)
    expect_sender_set(conn, qid, '"CRM Service" <crm@example.com>', false, what)
    expect_audit(qid, { "user=<crm>", "from=<billing@notify.example.com>", "right=send-on-behalf" })

    what = "crm as alerts@notify (its own groups leave crm out)"
    qid = send(conn, "crm", "alerts@notify.example.com")
    expect_reject(conn, qid, "<crm> is not allowed to send as <alerts@notify.example.com>", what)

    what = "alice as alerts@notify (in its own groups; Send As wins)"
    qid = send(conn, "alice", "alerts@notify.example.com")
    expect_accept(conn, qid, what)
    expect_audit(qid, { "user=<alice>", "right=send-as" })
    disconnect(conn)
end)
