#!/usr/bin/env bash
# `sendasctl audit --format json` on a directory of 10,000 users and 1,000
# shared mailboxes with nested groups, loaded with slapadd into a real
# slapd: it finishes, within 60 s (the time is printed), reads every page
# (no silent size limit) and names the right holders.
#
# The generated directory (N = 10,000 users, M = 1,000 mailboxes):
#   user U (0..N-1)      uid=userU, mail userU@example.com
#   team T (0..499)      users 20T .. 20T+19
#   dept D (0..49)       teams 10D .. 10D+9       (200 users)
#   division V (0..4)    depts 10V .. 10V+9       (2,000 users)
#   mailbox K (0..M-1)   uid=mbK, mail mbK@example.com, and rights groups:
#     Send As            team K mod 500; also division K/200 when K mod 200 = 0
#     Send on Behalf     user 7K mod N; also team K mod 500 when K mod 100 = 1
#     Full Access        dept (K/10) mod 50 when K mod 10 = 0
#   all-staff            divisions 0..4 (every user, 3 groups down)
#   noreply@             Send As and Send on Behalf: all-staff (10,000 times
#                        SEND_AS_AND_ON_BEHALF: the misconfiguration the audit is for)
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd sendasctl

B=dc=example,dc=com
FIXTURE=$T/scale.ldif
awk -v B="$B" -v N=10000 -v M=1000 'BEGIN {
    printf "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n", B
    split("people groups mailbox-rights", ous, " ")
    for (i = 1; i <= 3; i++) printf "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n", ous[i], B, ous[i]
    split("send-as send-on-behalf full-access", rights, " ")
    for (i = 1; i <= 3; i++)
        printf "dn: ou=%s,ou=mailbox-rights,%s\nobjectClass: organizationalUnit\nou: %s\n\n", rights[i], B, rights[i]
    for (u = 0; u < N; u++)
        printf "dn: uid=user%d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: user%d\ncn: User %d\nsn: %d\nmail: user%d@example.com\n\n", u, B, u, u, u, u
    for (t = 0; t < 500; t++) {
        printf "dn: cn=team%d,ou=groups,%s\nobjectClass: groupOfNames\ncn: team%d\n", t, B, t
        for (u = 20 * t; u < 20 * t + 20; u++) printf "member: uid=user%d,ou=people,%s\n", u, B
        printf "\n"
    }
    for (d = 0; d < 50; d++) {
        printf "dn: cn=dept%d,ou=groups,%s\nobjectClass: groupOfNames\ncn: dept%d\n", d, B, d
        for (t = 10 * d; t < 10 * d + 10; t++) printf "member: cn=team%d,ou=groups,%s\n", t, B
        printf "\n"
    }
    for (v = 0; v < 5; v++) {
        printf "dn: cn=division%d,ou=groups,%s\nobjectClass: groupOfNames\ncn: division%d\n", v, B, v
        for (d = 10 * v; d < 10 * v + 10; d++) printf "member: cn=dept%d,ou=groups,%s\n", d, B
        printf "\n"
    }
    printf "dn: cn=all-staff,ou=groups,%s\nobjectClass: groupOfNames\ncn: all-staff\n", B
    for (v = 0; v < 5; v++) printf "member: cn=division%d,ou=groups,%s\n", v, B
    printf "\n"
    printf "dn: uid=noreply,ou=people,%s\nobjectClass: inetOrgPerson\nuid: noreply\ncn: No Reply\nsn: Mailbox\nmail: noreply@example.com\n\n", B
    split("send-as send-on-behalf", both, " ")
    for (i = 1; i <= 2; i++)
        printf "dn: cn=noreply@example.com,ou=%s,ou=mailbox-rights,%s\nobjectClass: groupOfNames\ncn: noreply@example.com\nmember: cn=all-staff,ou=groups,%s\n\n", both[i], B, B
    for (k = 0; k < M; k++) {
        printf "dn: uid=mb%d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: mb%d\ncn: Mailbox %d\nsn: Mailbox\nmail: mb%d@example.com\n\n", k, B, k, k, k
        printf "dn: cn=mb%d@example.com,ou=send-as,ou=mailbox-rights,%s\nobjectClass: groupOfNames\ncn: mb%d@example.com\n", k, B, k
        printf "member: cn=team%d,ou=groups,%s\n", k % 500, B
        if (k % 200 == 0) printf "member: cn=division%d,ou=groups,%s\n", int(k / 200), B
        printf "\n"
        printf "dn: cn=mb%d@example.com,ou=send-on-behalf,ou=mailbox-rights,%s\nobjectClass: groupOfNames\ncn: mb%d@example.com\n", k, B, k
        printf "member: uid=user%d,ou=people,%s\n", (7 * k) % N, B
        if (k % 100 == 1) printf "member: cn=team%d,ou=groups,%s\n", k % 500, B
        printf "\n"
        if (k % 10 == 0)
            printf "dn: cn=mb%d@example.com,ou=full-access,ou=mailbox-rights,%s\nobjectClass: groupOfNames\ncn: mb%d@example.com\nmember: cn=dept%d,ou=groups,%s\n\n", k, B, k, int(k / 10) % 50, B
    }
}' >"$FIXTURE"
say "generated $(grep -c '^dn: ' "$FIXTURE") entries"
start_slapd

MILTER_SOCKET=unix:$T/unused.sock
# slapd's default size limit (500 entries per search, paged or not, as the
# server counts it) holds for everyone but the rootdn: a directory this big
# needs `limits ... size=unlimited` for the audit's bind DN, or the rootdn.
printf '%s' "$LDAP_ROOTPW" >"$T/rootpw"
write_milter_config "$T/ctl.conf" "ldap.bind_dn = $LDAP_ROOTDN" "ldap.bind_password_file = $T/rootpw"
start=$(date +%s%N)
rc=0
"$SENDASCTL" -c "$T/ctl.conf" audit --format json >"$T/audit.json" 2>"$T/audit.err" || rc=$?
end=$(date +%s%N)
elapsed_ms=$(((end - start) / 1000000))
printf 'sendasctl audit --format json: 10000 users, 1000 mailboxes: %d.%03d s, %s bytes\n' \
    $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$(wc -c <"$T/audit.json")"
[ "$rc" = 0 ] || fail "audit exited $rc: $(cat "$T/audit.err")"
[ "$elapsed_ms" -lt 60000 ] || fail "audit took ${elapsed_ms} ms, more than 60 s"

if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$T/audit.json" >/dev/null || fail "audit output is not JSON"
else
    say "python3 not found: JSON syntax check skipped"
fi
count() {  # FIXED-STRING: occurrences in the report
    grep -oF -- "$1" "$T/audit.json" | wc -l
}
expect_count() {  # WHAT EXPECTED FIXED-STRING
    local n
    n=$(count "$3")
    [ "$n" = "$2" ] || fail "$1: expected $2, found $n"
}
rights_dn() { printf 'cn=%s,ou=%s,ou=mailbox-rights,%s' "$2" "$1" "$B"; }

expect_count "mailboxes" 1000 '{"mailbox":"mb'
expect_count "noreply@" 1 '{"mailbox":"noreply@example.com"'
# Every page was read: nothing is missing, so nothing dangles.
expect_count "findings other than the two kinds generated" 0 '"code":"DANGLING_MEMBER"'
expect_count "NOT_A_USER" 0 '"code":"NOT_A_USER"'
expect_count "EMPTY_GROUP" 0 '"code":"EMPTY_GROUP"'
expect_count "MAILBOX_WITHOUT_ENTRY" 0 '"code":"MAILBOX_WITHOUT_ENTRY"'
# mb7@: team7 (users 140..159) by Send As through one group; user49 on behalf.
expect_count "Send As holders of mb7@" 20 "\"$(rights_dn send-as mb7@example.com)\"],\"last_used\":null}"
expect_count "user145's path to mb7@" 1 "{\"user\":\"user145@example.com\",\"dn\":\"uid=user145,ou=people,$B\",\"path\":[\"uid=user145,ou=people,$B\",\"cn=team7,ou=groups,$B\",\"$(rights_dn send-as mb7@example.com)\"],\"last_used\":null}"
expect_count "user49 on behalf of mb7@" 1 "{\"user\":\"user49@example.com\",\"dn\":\"uid=user49,ou=people,$B\",\"path\":[\"uid=user49,ou=people,$B\",\"$(rights_dn send-on-behalf mb7@example.com)\"],\"last_used\":null}"
# mb0@: team0 and division0 (users 0..1999), each user once; user0 by the shortest path.
expect_count "Send As holders of mb0@" 2000 "\"$(rights_dn send-as mb0@example.com)\"],\"last_used\":null}"
expect_count "user0's path to mb0@" 1 "\"path\":[\"uid=user0,ou=people,$B\",\"cn=team0,ou=groups,$B\",\"$(rights_dn send-as mb0@example.com)\"],\"last_used\":null}"
expect_count "user1999's path to mb0@" 1 "\"path\":[\"uid=user1999,ou=people,$B\",\"cn=team99,ou=groups,$B\",\"cn=dept9,ou=groups,$B\",\"cn=division0,ou=groups,$B\",\"$(rights_dn send-as mb0@example.com)\"],\"last_used\":null}"
# mb10@: Full Access through dept1 (users 200..399); team10 (200..219) may send.
expect_count "Full Access holders of mb10@" 200 "\"$(rights_dn full-access mb10@example.com)\"],\"last_used\":null}"
expect_count "FULL_ACCESS_WITHOUT_SEND on mb10@" 180 '"code":"FULL_ACCESS_WITHOUT_SEND","mailbox":"mb10@example.com"'
# mb101@: team101 both Send As and on behalf.
expect_count "SEND_AS_AND_ON_BEHALF on mb101@" 20 '"code":"SEND_AS_AND_ON_BEHALF","mailbox":"mb101@example.com"'
# noreply@, 10 mailboxes x 20, and the on-behalf user happens to be in the Send As team
# on mb0@ (user0), mb768@ (user5376) and mb769@ (user5383).
expect_count "SEND_AS_AND_ON_BEHALF on noreply@" 10000 '"code":"SEND_AS_AND_ON_BEHALF","mailbox":"noreply@example.com"'
expect_count "Send As holders of noreply@" 10000 "\"$(rights_dn send-as noreply@example.com)\"],\"last_used\":null}"
expect_count "user9999's path to noreply@" 1 "\"path\":[\"uid=user9999,ou=people,$B\",\"cn=team499,ou=groups,$B\",\"cn=dept49,ou=groups,$B\",\"cn=division4,ou=groups,$B\",\"cn=all-staff,ou=groups,$B\",\"$(rights_dn send-on-behalf noreply@example.com)\"],\"last_used\":null}"
expect_count "SEND_AS_AND_ON_BEHALF overall" 10203 '"code":"SEND_AS_AND_ON_BEHALF"'

# Anonymous, the server stops every search at 500 entries: the audit must
# say so and fail, not print a report with half the mailboxes missing.
write_milter_config "$T/anon.conf"
rc=0
"$SENDASCTL" -c "$T/anon.conf" audit --format json >"$T/anon.json" 2>"$T/anon.err" || rc=$?
if [ "$rc" = 0 ]; then
    fail "audit under slapd's size limit exited 0 with $(grep -oF '{"mailbox":"mb' "$T/anon.json" | wc -l) of 1000 mailboxes; stderr: $(cat "$T/anon.err")"
fi
grep -qi 'size limit' "$T/anon.err" || fail "size limit: stderr should name it: $(cat "$T/anon.err")"
echo PASS
