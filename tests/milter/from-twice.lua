-- Two From: headers (the second spelled FROM): never guess, reject.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "alice@example.com" }, { "FROM", "support@example.com" } } })
    expect_reject(conn, qid, "message has more than one From: header", "two From: headers")
    -- also when both name the user's own address
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "alice@example.com" }, { "from", "alice@example.com" } } })
    expect_reject(conn, qid, "message has more than one From: header", "two identical From: headers")
    disconnect(conn)
end)
