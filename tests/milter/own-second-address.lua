-- Every mail value is an own address: bob's second address bob.b@example.com.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "bob, From: bob.b@example.com"
    local qid = message(conn, { auth = "bob", envfrom = "<bob.b@example.com>",
        headers = { { "From", "Bob B <bob.b@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)
    expect_audit(qid, { "user=<bob>", "right=own" })
    disconnect(conn)
end)
