-- config: on_directory_error = reject
dofile(mtdir .. "/common.lua")
test(function()
    slapd("stop")
    local conn = connect()
    local qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_reject(conn, qid, "sender rights cannot be verified",
        "alice as support@ with slapd down, on_directory_error = reject")
    disconnect(conn)

    -- back up: decided normally again
    slapd("start")
    conn = connect()
    local what = "alice as support@ after slapd is back"
    qid = message(conn, { auth = "alice", envfrom = "<alice@example.com>",
        headers = { { "From", "support@example.com" } } })
    expect_accept(conn, qid, what)
    expect_sent_copy(conn, qid, "<support+Sent@example.com>", what)
    disconnect(conn)
end)
