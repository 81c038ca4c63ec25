-- A From: that does not parse is rejected 550 5.7.1 with a text starting
-- "From: header rejected: ". miltertest compares reply texts only whole, so
-- the reply is checked as "a reply code was set", plus the audit line.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, from in ipairs({ "support@example.com <", "<support@example.com", "alice@example.com>",
        "Alice <alice@example.com> trailing", '"unterminated <alice@example.com>', "@example.com",
        "alice@", "" }) do
        local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
            headers = { { "From", from } } })
        expect_some_reject(conn, qid, nil, "unparsable From: '" .. from .. "'")
    end
    disconnect(conn)
end)
