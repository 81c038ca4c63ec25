-- config: unauthenticated_local_from = reject
-- A local From: without SMTP AUTH is refused; a foreign one still passes.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { envfrom = "<support@example.com>",
        headers = { { "From", "Support <support@example.com>" } } })
    expect_reject(conn, qid, "<support@example.com> is a local address: authenticate to send as it",
        "unauthenticated From: support@ with unauthenticated_local_from = reject")

    local what = "unauthenticated foreign From: with unauthenticated_local_from = reject"
    qid = message(conn, { envfrom = "<someone@other.example>",
        headers = { { "From", "someone@other.example" } } })
    expect_passed(conn, qid, what)
    disconnect(conn)
end)
