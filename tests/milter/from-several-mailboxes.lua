-- Several mailboxes in From: each need a right, and then Sender: is
-- required (RFC 5322 3.6.2).
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "alice@example.com, support@example.com" } } })
    expect_reject(conn, qid, "From: with several mailboxes requires a Sender: header",
        "alice, From: alice@, support@ without Sender:")

    local what = "alice, From: alice@, support@ with Sender: alice@"
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "alice@example.com, support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    -- the Sender: this From: requires must survive
    if mt.eom_check(conn, MT_HDRDELETE, "Sender") then
        fail(what .. ": Sender: deleted although From: has several mailboxes")
    end

    -- each mailbox needs a right: eve may use eve@ but not support@
    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "eve@example.com, support@example.com" }, { "Sender", "eve@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve, From: eve@, support@ with Sender: eve@")
    disconnect(conn)
end)
