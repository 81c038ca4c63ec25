-- heidi reaches the Send As group of loop@ through cn=cycle-b -> cn=cycle-a,
-- two groups that contain each other: the walk must end, and grant.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "heidi as loop@ (through a group cycle)"
    local qid = message(conn, { auth = "heidi", envfrom = "<heidi@example.com>",
        headers = { { "From", "loop@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<loop+Sent@example.com>", what)
    expect_audit(qid, { "user=<heidi>", "right=send-as" })
    -- and somebody outside the cycle is still refused
    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "loop@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <loop@example.com>", "eve as loop@")
    disconnect(conn)
end)
