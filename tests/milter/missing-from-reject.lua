-- config: missing_from = reject
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>", headers = {} })
    expect_reject(conn, qid, "message has no From: header", "alice, no From:, missing_from = reject")
    disconnect(conn)
end)
