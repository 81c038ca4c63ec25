-- An RFC 2047 encoded word inside an address (some clients show
-- support@=?utf-8?q?example.com?= as support@example.com) is rejected
-- 550 5.7.1 as unparsable, in From:, Sender: and the envelope; in a display
-- name it stays allowed.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, from in ipairs({ "Support <support@=?utf-8?q?example.com?=>", "=?utf-8?q?support?=@example.com" }) do
        local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
            headers = { { "From", from } } })
        expect_reject(conn, qid, "From: header rejected: address contains an encoded word", "eve, From: " .. from)
        expect_audit(qid, { "reason=from_syntax" })
    end
    local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
        headers = { { "From", "eve@example.com" }, { "Sender", "support@=?utf-8?q?example.com?=" } } })
    expect_reject(conn, qid, "Sender: header rejected: address contains an encoded word", "eve, Sender: encoded")
    expect_audit(qid, { "reason=sender_syntax" })
    qid = message(conn, { auth = "eve", envfrom = "<support@=?utf-8?q?example.com?=>",
        headers = { { "From", "eve@example.com" } } })
    expect_reject(conn, qid, "envelope sender is not a valid address", "eve, envelope encoded")
    expect_audit(qid, { "reason=envelope_syntax" })
    local from = "=?utf-8?q?Support?= <eve@example.com>"
    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>", headers = { { "From", from } } })
    expect_accept(conn, qid, "eve, From: " .. from)
    disconnect(conn)
end)
