-- eve holds nothing on support@.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "Support <support@example.com>" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>", "eve as support@")
    expect_audit(qid, { "user=<eve>", "right=none" })
    disconnect(conn)
end)
