-- Own From:, but an envelope sender eve has no right on: the envelope
-- sender is checked too (doc/design.md, section 2).
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "eve", envfrom = "<support@example.com>",
        headers = { { "From", "Eve <eve@example.com>" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve, own From:, MAIL FROM:<support@example.com>")
    disconnect(conn)
end)
