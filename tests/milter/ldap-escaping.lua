-- Logins made of LDAP filter metacharacters (RFC 4515) must match only
-- themselves. Unescaped, "*" would match every user, "sup*" the shared
-- mailbox entry uid=support (whose own address is support@example.com),
-- and "alice)(uid=*" would break out of the filter.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, login in ipairs({ "*", "sup*", "alice)(uid=*", "support)(|(uid=*", "s\\2a" }) do
        local qid = message(conn, { auth = login, envfrom = "<>",
            headers = { { "From", "support@example.com" } } })
        expect_reject(conn, qid, "<" .. login .. "> is not allowed to send as <support@example.com>",
            "login '" .. login .. "' as support@")
    end
    -- a real login full of metacharacters still works, through its DN too:
    -- uid=odd(user)* holds Send As on odd@example.com
    local what = "login 'odd(user)*' as odd@"
    local qid = message(conn, { auth = "odd(user)*", envfrom = "<>",
        headers = { { "From", "odd@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<odd+Sent@example.com>", what)
    expect_audit(qid, { "right=send-as" })
    what = "login 'odd(user)*' as own odd.user@"
    qid = message(conn, { auth = "odd(user)*", envfrom = "<>",
        headers = { { "From", "odd.user@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)
    disconnect(conn)
end)
