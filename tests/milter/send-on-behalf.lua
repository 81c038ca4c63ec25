-- Send on Behalf: bob holds it on support@example.com.
-- Expect: accept; Sender: set to bob's display name and primary address,
-- added when the message had none, replacing the one it had; a sent copy.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local sender = '"Bob Builder" <bob@example.com>'
    local what = "bob on behalf of support@, no Sender:"
    local qid = message(conn, { auth = "bob", envfrom = "<bob@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sender_set(conn, qid, sender, false, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    expect_audit(qid, { "user=<bob>", "from=<support@example.com>", "right=send-on-behalf" })

    what = "bob on behalf of support@, Sender: Bob <bob.b@example.com>"
    qid = message(conn, { auth = "bob", envfrom = "<bob@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "Bob <bob.b@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_sender_set(conn, qid, sender, true, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    expect_audit(qid, { "right=send-on-behalf" })
    disconnect(conn)
end)
