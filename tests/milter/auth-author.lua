-- {auth_author} (the client's own AUTH= claim) never grants anything: the
-- login is {auth_authen} only.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "eve", author = "alice", envfrom = "<eve@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve with {auth_author}=alice as support@")
    expect_audit(qid, { "user=<eve>" }, { "user=<alice>" })
    disconnect(conn)
end)
