-- Group syntax in From: (RFC 6854) is rejected, empty or not.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, from in ipairs({ "undisclosed-recipients:;", "Team: alice@example.com;" }) do
        local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
            headers = { { "From", from } } })
        expect_some_reject(conn, qid, nil, "group syntax From: '" .. from .. "'")
    end
    disconnect(conn)
end)
