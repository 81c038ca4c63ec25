-- Sendmail's macro set: the MTA version `v` at connect says Sendmail, and
-- {auth_authen} arrives xtext-encoded ("team+2Blead" for team+lead). It is
-- decoded exactly once; Postfix's raw login is never decoded.
dofile(mtdir .. "/common.lua")

local function connect_as(mta_version)
    local conn = mt.connect(socket, 40, 0.25)
    if conn == nil then fail("cannot connect to the milter at " .. tostring(socket)) end
    check_ok = mt.macro(conn, SMFIC_CONNECT, "v", mta_version, "j", "mx.example.com",
        "_", "mua.example.net [192.0.2.25]", "{daemon_name}", "MTA-MSA")
    if check_ok ~= nil then fail("mt.macro connect: " .. check_ok) end
    if not mt.test_option(conn, SMFIP_NOCONNECT) then
        if mt.conninfo(conn, "mua.example.net", "192.0.2.25") ~= nil then fail("mt.conninfo") end
    end
    return conn
end

test(function()
    local conn = connect_as("8.17.1")
    local what = "Sendmail, xtext login team+2Blead as own address"
    local qid = message(conn, { auth = "team+2Blead", envfrom = "<teamlead@example.com>",
        headers = { { "From", "Team Lead <teamlead@example.com>" } } })
    expect_accept(conn, qid, what)
    expect_audit(qid, { "user=<team+lead>", "right=own", "action=accept" })

    what = "Sendmail, a login that decodes to team+lead is not decoded again"
    qid = message(conn, { auth = "team+2B2Blead", envfrom = "<teamlead@example.com>",
        headers = { { "From", "teamlead@example.com" } } })
    expect_reject(conn, qid, "<team+2Blead> is not allowed to send as <teamlead@example.com>", what)
    disconnect(conn)

    conn = connect_as("Postfix 3.7.11")
    what = "Postfix, raw login team+lead"
    qid = message(conn, { auth = "team+lead", envfrom = "<teamlead@example.com>",
        headers = { { "From", "teamlead@example.com" } } })
    expect_accept(conn, qid, what)

    what = "Postfix, a login that looks like xtext is taken as is"
    qid = message(conn, { auth = "team+2Blead", envfrom = "<teamlead@example.com>",
        headers = { { "From", "teamlead@example.com" } } })
    expect_reject(conn, qid, "<team+2Blead> is not allowed to send as <teamlead@example.com>", what)
    disconnect(conn)
end)
