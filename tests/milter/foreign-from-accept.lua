-- config: foreign_from = accept
-- With foreign_from = accept a foreign From: passes untouched, while a
-- local mailbox is still protected.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "alice as someone@other.example with foreign_from = accept"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "Someone <someone@other.example>" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)
    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve as support@ with foreign_from = accept")
    disconnect(conn)
end)
