-- Domain grants (sendas-milter.conf(5), DIRECTORY LAYOUT): crm reaches the
-- Send As group named @notify.example.com through cn=notifiers, so it may
-- send as every address of notify.example.com that has no Send As group of
-- its own; alerts@notify.example.com has one, holding alice only, and it
-- wins ("most specific first"). Detail addresses are decided by their base.
-- config: local_domains = example.com example.org notify.example.com
dofile(mtdir .. "/common.lua")

local function send(conn, auth, from)
    return message(conn, { auth = auth, envfrom = "<" .. auth .. "@example.com>",
        headers = { { "From", from } } })
end

test(function()
    local conn = connect()

    local what = "crm as billing@notify (domain grant)"
    local qid = send(conn, "crm", "Billing <billing@notify.example.com>")
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<billing+Sent@notify.example.com>", what)
    expect_audit(qid, { "user=<crm>", "from=<billing@notify.example.com>", "right=send-as" }, { "base=" })

    what = "crm as alerts@notify (its own group leaves crm out)"
    qid = send(conn, "crm", "Alerts <alerts@notify.example.com>")
    expect_reject(conn, qid, "<crm> is not allowed to send as <alerts@notify.example.com>", what)
    expect_audit(qid, { "user=<crm>", "right=none" })

    what = "alice as alerts@notify (its own group holds alice)"
    qid = send(conn, "alice", "Alerts <alerts@notify.example.com>")
    expect_accept(conn, qid, what)
    expect_audit(qid, { "user=<alice>", "from=<alerts@notify.example.com>", "right=send-as" })

    what = "alice as billing@notify (not in the domain group)"
    qid = send(conn, "alice", "billing@notify.example.com")
    expect_reject(conn, qid, "<alice> is not allowed to send as <billing@notify.example.com>", what)

    what = "crm as billing@example.com (another domain)"
    qid = send(conn, "crm", "billing@example.com")
    expect_reject(conn, qid, "<crm> is not allowed to send as <billing@example.com>", what)

    what = "crm as billing+eu@notify (detail of a domain address)"
    qid = send(conn, "crm", "billing+eu@notify.example.com")
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<billing+Sent@notify.example.com>", what)
    expect_audit(qid, { "from=<billing+eu@notify.example.com>", "base=<billing@notify.example.com>",
        "right=send-as" })

    what = "crm as alerts+x@notify (its base's own group leaves crm out)"
    qid = send(conn, "crm", "alerts+x@notify.example.com")
    expect_reject(conn, qid, "<crm> is not allowed to send as <alerts+x@notify.example.com>", what)
    expect_audit(qid, { "user=<crm>", "base=<alerts@notify.example.com>", "right=none" })
    disconnect(conn)
end)
