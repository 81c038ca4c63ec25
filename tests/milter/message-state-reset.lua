-- Several messages on one connection: nothing of one message (login,
-- headers, decision) leaks into the next, nor out of an aborted one.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "message 1: alice as support@ with Sender:"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sender_deleted(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)

    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "message 2 on the same connection: eve as support@")

    what = "message 3: alice as herself"
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)

    -- message 4 is aborted before its end: its headers must not count for 5
    if mt.macro(conn, SMFIC_MAIL, "i", "QIDABORT", "{auth_authen}", "alice") ~= nil then fail("mt.macro failed") end
    if mt.mailfrom(conn, "<alice@example.com>") ~= nil then fail("mt.mailfrom failed") end
    if not mt.test_option(conn, SMFIP_NORCPT) then
        if mt.rcptto(conn, "<friend@example.net>") ~= nil then fail("mt.rcptto failed") end
    end
    if mt.header(conn, "From", "eve@example.com") ~= nil then fail("mt.header failed") end
    if mt.header(conn, "From", "support@example.com") ~= nil then fail("mt.header failed") end
    if mt.abort(conn) ~= nil then fail("mt.abort failed") end

    what = "message 5 after an aborted one: alice as support@"
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_header_changes(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    disconnect(conn)
end)
