-- A delegate: dave holds Send on Behalf on the personal mailbox boss@.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "dave on behalf of boss@"
    local qid = message(conn, { auth = "dave", envfrom = "<dave@example.com>",
        headers = { { "From", "The Boss <boss@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_sender_set(conn, qid, '"Dave Delegate" <dave@example.com>', false, what)
    expect_sent_copy(conn, qid, "<boss+Sent@example.com>", what)
    expect_audit(qid, { "user=<dave>", "from=<boss@example.com>", "right=send-on-behalf" })
    disconnect(conn)
end)
