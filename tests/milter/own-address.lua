-- Own address: alice sends as herself; case folding and +detail still own.
-- Expect: accept, nothing changed, no sent copy.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    for _, from in ipairs({ "Alice Example <alice@example.com>", "<Alice@EXAMPLE.com>",
        "alice+tag@example.com" }) do
        local what = "alice, From: " .. from
        local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
            headers = { { "From", from } } })
        expect_accept(conn, qid, what)
        expect_no_changes(conn, qid, what)
        expect_audit(qid, { "user=<alice>", "right=own" })
    end
    disconnect(conn)
end)
