-- config: on_directory_error = accept
-- slapd down: the message passes unchanged (no Sender: removal, no copy).
dofile(mtdir .. "/common.lua")
test(function()
    slapd("stop")
    local conn = connect()
    local what = "alice as support@ with slapd down, on_directory_error = accept"
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" }, { "Sender", "alice@example.com" } } })
    expect_accept(conn, qid, what)
    expect_no_changes(conn, qid, what)
    disconnect(conn)
end)
