-- A login with no LDAP entry owns nothing, not even login@domain.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "nobody-here", envfrom = "<>",
        headers = { { "From", "nobody-here@example.com" } } })
    expect_reject(conn, qid, "<nobody-here> is not allowed to send as <nobody-here@example.com>",
        "unknown login nobody-here as nobody-here@")
    disconnect(conn)
end)
