-- Addresses that read like another one are rejected 550 5.7.1 as
-- unparsable: non-ASCII letters (U+017F LATIN SMALL LETTER LONG S,
-- fullwidth s) in the local part or domain, and quoted local parts with
-- leading, trailing or repeated spaces. Non-ASCII display names and
-- single inner spaces stay allowed.
dofile(mtdir .. "/common.lua")
test(function()
    local conn = connect()
    local non_ascii = "From: header rejected: address contains non-ASCII characters"
    local spaces = "From: header rejected: quoted local part with leading, trailing or repeated spaces or a tab"
    for _, case in ipairs({ { "ſupport@example.com", non_ascii }, { "Support <ｓupport@example.com>", non_ascii },
        { "support@exａmple.com", non_ascii }, { '" support"@example.com', spaces },
        { '"  support"@example.com', spaces }, { 'Support <"support "@example.com>', spaces },
        { '"sup  port"@example.com', spaces } }) do
        local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>",
            headers = { { "From", case[1] } } })
        expect_reject(conn, qid, case[2], "eve, From: " .. case[1])
        expect_audit(qid, { "reason=from_syntax" })
    end
    local from = "Ève <eve@example.com>"
    local qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>", headers = { { "From", from } } })
    expect_accept(conn, qid, "eve, From: " .. from)
    -- parsed, then refused for want of a right
    from = '"sup port"@example.com'
    qid = message(conn, { auth = "eve", envfrom = "<eve@example.com>", headers = { { "From", from } } })
    expect_some_reject(conn, qid, "no_right", "eve, From: " .. from)
    disconnect(conn)
end)
