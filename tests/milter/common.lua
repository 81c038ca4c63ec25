-- Helpers shared by the miltertest scripts of sendas-milter.
--
-- Loaded by each script with
--     dofile(mtdir .. "/common.lua")
-- where run-lua defines these globals (miltertest -D):
--     socket      milter socket spec ("unix:/tmp/sendas-it.X/milter.sock")
--     slapd_ctl   shell command controlling the test's slapd:
--                 os.execute(slapd_ctl .. " stop"), " start", " restart"
--     milter_log  the daemon's stderr (audit lines, one per decision)
--     mtdir       directory of the scripts (works for out-of-tree builds)
--
-- Debian's miltertest (2.11.0~beta2) prints nothing for a Lua error, so
-- a script runs its body through test(), which writes any error (from
-- fail() or from a mt.* function) with a traceback to stderr.
--
-- What miltertest cannot see, and how these scripts cope:
--   * smfi_addrcpt_par (SMFIR_ADDRCPT_PAR, the sent copy with NOTIFY=NEVER)
--     is recorded but never matched by mt.eom_check(MT_RCPTADD), which only
--     looks at plain smfi_addrcpt. The sent copy is checked in the daemon's
--     audit line (sent_copy=<...>), and MT_RCPTADD must stay false for it:
--     a plain addrcpt would lack NOTIFY=NEVER. The envelope and ESMTP
--     arguments are checked by tests/tools/milter_probe.
--   * MT_SMTPREPLY compares the whole "code xcode text" string, so a reply
--     whose text is only partly known is checked through getreply() and
--     the audit line (action=reject, reason=...).

local counter = 0

function fail(msg)
    error(msg, 0) -- test() writes it to stderr
end

-- Runs the test body; any error (ours or a mt.* one) ends up on stderr.
function test(body)
    local ok, err = xpcall(body, function(e)
        return debug.traceback(tostring(e), 2)
    end)
    if not ok then
        io.stderr:write("FAIL: ", tostring(err), "\n")
        error("test failed", 0)
    end
    io.stdout:write("PASS\n")
end

local function check(what, result)
    -- mt.* functions return nil on success or an error string.
    if result ~= nil then
        fail(what .. " failed: " .. tostring(result))
    end
end

local reply_names = {}
for _, name in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT", "SMFIR_TEMPFAIL",
    "SMFIR_DISCARD", "SMFIR_REPLYCODE", "SMFIR_SKIP" }) do
    if _G[name] ~= nil then
        reply_names[_G[name]] = name
    end
end

function reply_name(r)
    if reply_names[r] then
        return reply_names[r]
    end
    if type(r) == "number" and r > 0 and r < 256 then
        return string.format("'%s' (%d)", string.char(r), r)
    end
    return tostring(r)
end

-- Connects and sends the connection information (unless negotiated away).
function connect()
    local conn = mt.connect(socket, 40, 0.25)
    if conn == nil then
        fail("cannot connect to the milter at " .. tostring(socket))
    end
    if not mt.test_option(conn, SMFIP_NOCONNECT) then
        check("mt.conninfo", mt.conninfo(conn, "mua.example.net", "192.0.2.25"))
        if mt.getreply(conn) ~= SMFIR_CONTINUE then
            fail("connect: expected SMFIR_CONTINUE, got " .. reply_name(mt.getreply(conn)))
        end
    end
    if not mt.test_option(conn, SMFIP_NOHELO) then
        check("mt.helo", mt.helo(conn, "mua.example.net"))
    end
    return conn
end

-- Sends one message up to and including end-of-message.
--   m.auth     {auth_authen} (nil: unauthenticated, no macro sent)
--   m.author   {auth_author} (optional)
--   m.qid      queue id macro "i" (default QID<n>)
--   m.envfrom  envelope sender, e.g. "<alice@example.com>" or "<>" (required)
--   m.rcpt     envelope recipient (default <friend@example.net>)
--   m.headers  list of {name, value} in order; may repeat names
-- Returns the queue id. Nothing is decided before eom: every earlier step
-- must be answered with SMFIR_CONTINUE.
function message(conn, m)
    counter = counter + 1
    local qid = m.qid or ("QID" .. counter)
    if m.envfrom == nil then
        fail("message(): envfrom is required")
    end
    local macros = { "i", qid }
    if m.auth ~= nil then
        table.insert(macros, "{auth_authen}")
        table.insert(macros, m.auth)
        table.insert(macros, "{auth_type}")
        table.insert(macros, "PLAIN")
    end
    if m.author ~= nil then
        table.insert(macros, "{auth_author}")
        table.insert(macros, m.author)
    end
    check("mt.macro", mt.macro(conn, SMFIC_MAIL, table.unpack(macros)))
    if not mt.test_option(conn, SMFIP_NOMAIL) then
        check("mt.mailfrom", mt.mailfrom(conn, m.envfrom))
        expect_continue(conn, "MAIL FROM " .. m.envfrom)
    else
        fail("the milter negotiated SMFIP_NOMAIL: it cannot see the envelope sender")
    end
    if not mt.test_option(conn, SMFIP_NORCPT) then
        check("mt.rcptto", mt.rcptto(conn, m.rcpt or "<friend@example.net>"))
        expect_continue(conn, "RCPT TO")
    end
    if mt.test_option(conn, SMFIP_NOHDRS) then
        fail("the milter negotiated SMFIP_NOHDRS: it cannot see From:")
    end
    for _, h in ipairs(m.headers or {}) do
        check("mt.header " .. h[1], mt.header(conn, h[1], h[2]))
        expect_continue(conn, "header " .. h[1] .. ": " .. h[2])
    end
    check("mt.header Subject", mt.header(conn, "Subject", "integration test " .. qid))
    expect_continue(conn, "header Subject")
    if not mt.test_option(conn, SMFIP_NOEOH) then
        check("mt.eoh", mt.eoh(conn))
        expect_continue(conn, "end of headers")
    end
    if not mt.test_option(conn, SMFIP_NOBODY) then
        check("mt.bodystring", mt.bodystring(conn, "Hello.\r\n"))
        expect_continue(conn, "body")
    end
    check("mt.eom", mt.eom(conn))
    return qid
end

-- Every step before eom: the daemon decides at end of message only.
function expect_continue(conn, step)
    local r = mt.getreply(conn)
    if r ~= SMFIR_CONTINUE then
        fail(step .. ": expected SMFIR_CONTINUE (no decision before end of message), got " .. reply_name(r))
    end
end

-- The audit line the daemon wrote for QID (nil if none within TENTHS/10 s,
-- default 3 s).
function audit_line(qid, tenths)
    if milter_log == nil then
        return nil
    end
    local prefix = qid .. ": "
    for _ = 1, tenths or 30 do
        local f = io.open(milter_log, "r")
        if f then
            local found = nil
            for line in f:lines() do
                local at = line:find(prefix, 1, true)
                if at and line:find(" action=", at, true) then
                    found = line:sub(at)
                end
            end
            f:close()
            if found then
                return found
            end
        end
        mt.sleep(0.1)
    end
    return nil
end

local function context(qid)
    local line = audit_line(qid)
    return "\n  audit line: " .. (line or "(none found in " .. tostring(milter_log) .. ")")
end

-- Checks that the audit line for QID has every FIELDS string and none of
-- the ABSENT strings (plain substring match).
function expect_audit(qid, fields, absent)
    local line = audit_line(qid)
    if line == nil then
        fail(qid .. ": no audit line in " .. tostring(milter_log))
    end
    for _, f in ipairs(fields or {}) do
        if not line:find(f, 1, true) then
            fail(qid .. ": audit line lacks '" .. f .. "'\n  audit line: " .. line)
        end
    end
    for _, f in ipairs(absent or {}) do
        if line:find(f, 1, true) then
            fail(qid .. ": audit line must not contain '" .. f .. "'\n  audit line: " .. line)
        end
    end
    return line
end

function expect_accept(conn, qid, what)
    local r = mt.getreply(conn)
    if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then
        fail(what .. ": expected accept (SMFIR_ACCEPT or SMFIR_CONTINUE at eom), got " .. reply_name(r) .. context(qid))
    end
    expect_audit(qid, { "action=accept" })
end

-- Passed untouched where the daemon need not log a decision (mail without
-- SMTP AUTH): accepted, no header change; an audit line, if any, must say
-- accept and list no change.
function expect_passed(conn, qid, what)
    local r = mt.getreply(conn)
    if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then
        fail(what .. ": expected accept (SMFIR_ACCEPT or SMFIR_CONTINUE at eom), got " .. reply_name(r) .. context(qid))
    end
    expect_no_header_changes(conn, qid, what)
    local line = audit_line(qid, 5)
    if line ~= nil then
        expect_audit(qid, { "action=accept" }, { "sent_copy=", "sender_set=", "sender_removed=", "envelope_set=" })
    end
end

-- Exact reply: code, enhanced code and text.
function expect_reply(conn, qid, code, xcode, text, what)
    local r = mt.getreply(conn)
    if r ~= SMFIR_REPLYCODE then
        fail(what .. ": expected reply " .. code .. " " .. xcode .. " " .. text ..
            " (SMFIR_REPLYCODE), got " .. reply_name(r) .. context(qid))
    end
    if not mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text) then
        fail(what .. ": expected exactly '" .. code .. " " .. xcode .. " " .. text .. "'" .. context(qid))
    end
    expect_no_changes(conn, qid, what .. " (rejected)")
end

function expect_reject(conn, qid, text, what)
    expect_reply(conn, qid, "550", "5.7.1", text, what)
    expect_audit(qid, { "action=reject" })
end

-- A 550 5.7.1 whose text is not known exactly (see the note at the top):
-- a reply code was set, the daemon logged a reject, nothing was changed.
function expect_some_reject(conn, qid, reason, what)
    local r = mt.getreply(conn)
    if r ~= SMFIR_REPLYCODE then
        fail(what .. ": expected a 550 5.7.1 reply (SMFIR_REPLYCODE), got " .. reply_name(r) .. context(qid))
    end
    expect_no_changes(conn, qid, what .. " (rejected)")
    local fields = { "action=reject" }
    if reason then
        table.insert(fields, "reason=" .. reason)
    end
    expect_audit(qid, fields)
end

-- No header added, inserted, changed or deleted, no plain recipient added.
function expect_no_header_changes(conn, qid, what)
    if mt.eom_check(conn, MT_HDRADD) then
        fail(what .. ": a header was added" .. context(qid))
    end
    if MT_HDRINSERT ~= nil and mt.eom_check(conn, MT_HDRINSERT) then
        fail(what .. ": a header was inserted" .. context(qid))
    end
    if mt.eom_check(conn, MT_HDRCHANGE) then -- also matches deletions
        fail(what .. ": a header was changed or deleted" .. context(qid))
    end
end

-- Untouched: no header change, and the audit line names no sent copy.
function expect_no_changes(conn, qid, what)
    expect_no_header_changes(conn, qid, what)
    expect_audit(qid, {}, { "sent_copy=", "sender_set=", "sender_removed=", "envelope_set=" })
end

function expect_sender_deleted(conn, qid, what)
    if not mt.eom_check(conn, MT_HDRDELETE, "Sender") then
        fail(what .. ": expected the Sender: header to be deleted (chgheader Sender with empty value)" .. context(qid))
    end
    if mt.eom_check(conn, MT_HDRADD, "Sender") or (MT_HDRINSERT and mt.eom_check(conn, MT_HDRINSERT, "Sender")) then
        fail(what .. ": Sender: deleted but another one added" .. context(qid))
    end
end

-- Sender: set to VALUE. had_sender: the message carried a Sender: (then it
-- must be changed in place, or deleted and added again).
function expect_sender_set(conn, qid, value, had_sender, what)
    local added = mt.eom_check(conn, MT_HDRADD, "Sender", value) or
        (MT_HDRINSERT ~= nil and mt.eom_check(conn, MT_HDRINSERT, "Sender", value))
    if had_sender then
        local changed = mt.eom_check(conn, MT_HDRCHANGE, "Sender", value)
        local replaced = added and mt.eom_check(conn, MT_HDRDELETE, "Sender")
        if not (changed or replaced) then
            fail(what .. ": expected the existing Sender: changed to '" .. value .. "' (MT_HDRCHANGE)" .. context(qid))
        end
    else
        if not added then
            fail(what .. ": expected Sender: '" .. value .. "' added (MT_HDRADD)" .. context(qid))
        end
        if mt.eom_check(conn, MT_HDRCHANGE, "Sender") then
            fail(what .. ": there was no Sender: to change or delete" .. context(qid))
        end
    end
    if mt.eom_check(conn, MT_HDRCHANGE, "From") or mt.eom_check(conn, MT_HDRADD, "From") then
        fail(what .. ": From: must never be touched" .. context(qid))
    end
end

function expect_sender_untouched(conn, qid, what)
    if mt.eom_check(conn, MT_HDRCHANGE, "Sender") or mt.eom_check(conn, MT_HDRADD, "Sender") or
        (MT_HDRINSERT ~= nil and mt.eom_check(conn, MT_HDRINSERT, "Sender")) then
        fail(what .. ": Sender: must not be added, changed or deleted" .. context(qid))
    end
end

-- The sent copy RCPT (e.g. "<support+Sent@example.com>"), see the top note.
function expect_sent_copy(conn, qid, rcpt, what)
    expect_audit(qid, { "sent_copy=" .. rcpt })
    if mt.eom_check(conn, MT_RCPTADD, rcpt) then
        fail(what .. ": sent copy " .. rcpt .. " added with smfi_addrcpt: it must use smfi_addrcpt_par with NOTIFY=NEVER")
    end
    local line = audit_line(qid)
    local _, n = line:gsub("sent_copy=", "")
    if n ~= 1 then
        fail(what .. ": expected exactly one sent copy, audit line has " .. n .. "\n  audit line: " .. line)
    end
end

function expect_no_sent_copy(qid, what)
    expect_audit(qid, {}, { "sent_copy=" })
end

-- slapd control from inside a script.
function slapd(cmd)
    if slapd_ctl == nil then
        fail("slapd_ctl not defined (run through run-lua)")
    end
    local ok, how, code = os.execute(slapd_ctl .. " " .. cmd)
    if not ok then
        fail("slapd " .. cmd .. " failed (" .. tostring(how) .. " " .. tostring(code) .. ")")
    end
end

function disconnect(conn)
    check("mt.disconnect", mt.disconnect(conn))
end
