-- config: ldap.nested_depth = 10
-- With ldap.nested_depth = 10 grace's 7 levels are followed: granted.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "grace as deep@ with nested_depth 10"
    local qid = message(conn, { auth = "grace", envfrom = "<grace@example.com>",
        headers = { { "From", "deep@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<deep+Sent@example.com>", what)
    expect_audit(qid, { "user=<grace>", "right=send-as" })
    disconnect(conn)
end)
