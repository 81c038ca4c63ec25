-- No From: at all: decided on the envelope sender (missing_from defaults
-- to accept).
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "alice, no From:, MAIL FROM:<alice@example.com>"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>", headers = {} })
    expect_accept(conn, qid, what)
    expect_no_header_changes(conn, qid, what)

    qid = message(conn, { auth = "eve", envfrom = "<support@example.com>", headers = {} })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve, no From:, MAIL FROM:<support@example.com>")
    disconnect(conn)
end)
