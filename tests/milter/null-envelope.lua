-- The header From: is checked even with a null envelope sender <>.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "eve", envfrom = "<>",
        headers = { { "From", "support@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve, MAIL FROM:<>, From: support@")

    local what = "alice, MAIL FROM:<>, From: alice@"
    qid = message(conn, { auth = "alice", envfrom = "<>", headers = { { "From", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)
    disconnect(conn)
end)
