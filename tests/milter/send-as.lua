-- Send As through a nested group: alice is in cn=support-team, which is a
-- member of the Send As group of support@example.com.
-- Expect: accept; the Sender: the client added is removed
-- (rewrite.send_as_remove_sender defaults to yes); a sent copy to
-- <support+Sent@example.com> (sent_copy.address defaults to %l+Sent@%d).
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "alice as support@ with Sender: alice@"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "Support <support@example.com>" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sender_deleted(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    expect_audit(qid, { "user=<alice>", "from=<support@example.com>", "right=send-as" })

    what = "alice as support@ without Sender:"
    qid = message(conn, { auth = "alice", envfrom = "<support@example.com>",
        headers = { { "From", "Support <support@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_no_header_changes(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    expect_audit(qid, { "right=send-as" })
    disconnect(conn)
end)
