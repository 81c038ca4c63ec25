-- slapd down and nothing cached: on_directory_error defaults to tempfail.
-- slapd back up: the daemon reconnects by itself (no restart).
dofile(mtdir .. "/common.lua")
test(function()
    slapd("stop")
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_reply(conn, qid, "451", "4.7.1", "sender rights cannot be verified now, try again later",
        "alice as support@ with slapd down")
    expect_audit(qid, { "action=tempfail" })
    disconnect(conn)

    slapd("start")
    conn = connect()
    local what = "alice as support@ after slapd is back"
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sender_deleted(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    disconnect(conn)
end)
