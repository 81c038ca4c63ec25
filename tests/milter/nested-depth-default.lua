-- grace is 7 group levels below the Send As group of deep@; the default
-- ldap.nested_depth is 5, so she is refused.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "grace", envfrom = "<grace@example.com>",
        headers = { { "From", "deep@example.com" } } })
    expect_reject(conn, qid, "<grace> is not allowed to send as <deep@example.com>",
        "grace as deep@ with the default nested_depth 5")
    disconnect(conn)
end)
