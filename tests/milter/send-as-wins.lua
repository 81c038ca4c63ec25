-- frank holds both Send As and Send on Behalf on sales@: Send As wins, so
-- no Sender: is added.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "frank as sales@ (both rights)"
    local qid = message(conn, { auth = "frank", envfrom = "<frank@example.com>",
        headers = { { "From", "Sales <sales@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_no_header_changes(conn, qid, what)
    expect_sent_copy(conn, qid, "<sales+Sent@example.com>", what)
    expect_audit(qid, { "user=<frank>", "right=send-as" }, { "right=send-on-behalf", "sender_set=" })
    disconnect(conn)
end)
