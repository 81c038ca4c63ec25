-- No {auth_authen}: passed untouched (unauthenticated_local_from defaults
-- to accept), even with a local From: and a Sender:.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local what = "unauthenticated, From: support@"
    local qid = message(conn, { envfrom = "<support@example.com>",
        headers = { { "From", "Support <support@example.com>" }, { "Sender", "someone@other.example" } } })
    expect_passed(conn, qid, what)
    disconnect(conn)
end)
