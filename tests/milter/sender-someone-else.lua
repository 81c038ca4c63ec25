-- Own From:, but a Sender: naming a mailbox eve has no right on: the
-- Sender: is checked like a From:.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "Eve <eve@example.com>" }, { "Sender", "support@example.com" } } })
    expect_reject(conn, qid, "<eve> is not allowed to send as <support@example.com>",
        "eve, own From:, Sender: support@")
    disconnect(conn)
end)
