-- A From: outside local_domains from an authenticated user: foreign_from
-- defaults to reject.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "Someone <someone@other.example>" } } })
    expect_reject(conn, qid, "<alice> is not allowed to send as <someone@other.example>",
        "alice as someone@other.example (foreign_from default)")
    disconnect(conn)
end)
