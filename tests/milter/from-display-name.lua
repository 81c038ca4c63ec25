-- Only the addr-spec decides: display names, quoted strings and comments
-- are never read as the address.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, from in ipairs({ '"support@example.com" <alice@example.com>', '"Alice, Example" <alice@example.com>',
        "alice@example.com (Support <support@example.com>)", "Alice <@relay.example:alice@example.com>",
        "=?UTF-8?Q?support=40example.com?= <alice@example.com>", 'Alice <"alice"@example.com>' }) do
        local what = "alice, From: " .. from
        local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
            headers = { { "From", from } } })
        expect_accept(conn, qid, what)
        expect_no_changes(conn, qid, what)
    end
    for _, from in ipairs({ '"eve@example.com" <support@example.com>', "support@example.com (eve@example.com)" }) do
        local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
            headers = { { "From", from } } })
        expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>", "eve, From: " .. from)
    end
    -- a quoted local part is the same mailbox (the reply may show it either way)
    local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", '"eve" <"support"@example.com>' } } })
    expect_some_reject(conn, qid, nil, "eve, From: \"eve\" <\"support\"@example.com>")
    disconnect(conn)
end)
