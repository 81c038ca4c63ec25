-- Full Access is reading only: carol is refused, and told why.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "carol", envfrom = "<carol@example.com>",
        headers = { { "From", "Support <support@example.com>" } } })
    expect_reject(conn, qid,
        "<carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right",
        "carol (Full Access only) as support@")
    expect_audit(qid, { "user=<carol>", "right=full-access" })
    disconnect(conn)
end)
