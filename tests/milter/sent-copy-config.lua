-- config: sent_copy.send_as = no
-- config: sent_copy.address = archive+%l@%d
-- config: rewrite.send_as_remove_sender = no
-- sent_copy.send_as = no: no copy under Send As; Send on Behalf still gets
-- one, at the configured address. send_as_remove_sender = no keeps Sender:.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "alice as support@, sent_copy.send_as = no, send_as_remove_sender = no"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_header_changes(conn, qid, what)
    expect_no_sent_copy(qid, what)
    expect_audit(qid, { "right=send-as" })

    what = "bob on behalf of support@, sent_copy.address = archive+%l@%d"
    qid = message(conn, { auth = "bob", envfrom = "<bob@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sender_set(conn, qid, '"Bob Builder" <bob@example.com>', false, what)
    expect_sent_copy(conn, qid, "<archive+support@example.com>", what)
    disconnect(conn)
end)
