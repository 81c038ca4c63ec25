#!/usr/bin/env bash
# Where the Sent copy goes, through Postfix and Dovecot (sendas-milter.conf(5),
# "SENT COPY KEYS"): for each sent_copy.target (owner, sender, both, none)
# and for mailboxes listed under ldap.sent_copy_owner_base,
# ldap.sent_copy_sender_base and ldap.sent_copy_both_base (which win over
# the target), the copy lands in the right Sent folder(s) and nowhere else;
# the sender's copy, like the owner's, never bounces (NOTIFY=NEVER).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e ldapadd
rights=ou=mailbox-rights,$LDAP_BASE
lists=("ldap.sent_copy_owner_base = ou=sent-copy-owner,$rights"
    "ldap.sent_copy_sender_base = ou=sent-copy-sender,$rights"
    "ldap.sent_copy_both_base = ou=sent-copy-both,$rights")
start_stack "sent_copy.target = owner" "${lists[@]}"

# list MAILBOX TARGET: lists the mailbox under ou=sent-copy-TARGET.
list() {
    local base=ou=sent-copy-$2,$rights
    LDAPNOINIT=1 "$LDAPADD" -x -H "$SLAPD_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -c >/dev/null 2>&1 <<LDIF || true
dn: $base
objectClass: organizationalUnit
ou: sent-copy-$2

dn: cn=$1,$base
objectClass: organizationalRole
cn: $1
LDIF
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$SLAPD_URI" -b "cn=$1,$base" -s base dn >/dev/null 2>&1 ||
        fail "cannot list $1 under $base"
}

# Before the first message, so that no cache holds an older answer:
# sales@ (frank's Send As) says sender, loop@ (heidi's Send As, through a
# group cycle) both, boss@ (dave's Send on Behalf) owner; support@ (alice's
# Send As) is on no list and follows sent_copy.target.
list sales@example.com sender
list loop@example.com both
list boss@example.com owner

# send USER MAILBOX SUBJECT EXPECTED_RECIPIENTS: one message from USER as
# MAILBOX; Postfix must deliver it to exactly those recipients (sorted,
# one a line) and the audit line must name the same copies.
send() {
    local qid copies
    qid=$(deliver "$1" "<$2@example.com>" --header "Subject: $3")
    expect_eq "$3: recipients" "$4" "$(recipients "$qid")"
    copies=$(grep -v '^friend@' <<<"$4" | sed 's/.*/<&>/' | sort | paste -sd, -)
    if [ -n "$copies" ]; then
        audit_line "$qid" | grep -q " sent_copy=" || fail "$3: no sent_copy= in the audit line: $(audit_line "$qid")"
        expect_eq "$3: audit sent_copy" "$copies" \
            "$(audit_line "$qid" | sed -n 's/.* sent_copy=\([^ ]*\).*/\1/p' | tr , '\n' | sort | paste -sd, -)"
    else
        expect_no_match "$3: audit" "$(audit_line "$qid")" "sent_copy="
    fi
}

# folders SUBJECT USER... -- FOLDER...: of the INBOX and Sent folders of
# USERs (friend, the recipient, always included), exactly the FOLDERs
# (user/Folder) hold the message, once each.
folders() {
    local subject=$1 user folder got want
    shift
    local users=(friend) expected=(friend/INBOX)
    while [ "$1" != -- ]; do users+=("$1"); shift; done
    shift
    expected+=("$@")
    for user in "${users[@]}"; do
        for folder in INBOX Sent; do
            want=0
            [[ " ${expected[*]} " == *" $user/$folder "* ]] && want=1
            got=$(subject_count "$user" "$folder" "$subject")
            expect_eq "$subject: in $user's $folder" "$want" "$got"
        done
    done
}

# One message as support@ under each global target.
for target in owner sender both none; do
    [ "$target" = owner ] || restart_milter "sent_copy.target = $target" "${lists[@]}"
    case $target in
    owner) want="friend@example.org
support+Sent@example.com" ;;
    sender) want="alice+Sent@example.com
friend@example.org" ;;
    both) want="alice+Sent@example.com
friend@example.org
support+Sent@example.com" ;;
    none) want="friend@example.org" ;;
    esac
    send alice support "target $target" "$want"
done

# Under target none, each listed mailbox still gets its copy where its list says.
send frank sales "listed sender" "frank+Sent@example.com
friend@example.org"
send heidi loop "listed both" "friend@example.org
heidi+Sent@example.com
loop+Sent@example.com"
send dave boss "listed owner, on behalf" "boss+Sent@example.com
friend@example.org"

# What each mailbox's and each user's folders hold.
folders "target owner" alice support -- support/Sent
folders "target sender" alice support -- alice/Sent
folders "target both" alice support -- support/Sent alice/Sent
folders "target none" alice support --
folders "listed sender" frank sales -- frank/Sent
folders "listed both" heidi loop -- heidi/Sent loop/Sent
folders "listed owner, on behalf" dave boss -- boss/Sent

# A sender's copy Dovecot refuses bounces inside Postfix; the recipient
# still gets the message and alice no bounce.
restart_milter "sent_copy.target = sender" "sent_copy.address = %l-missing+Sent@%d"
out=$(submit alice 'Support <support@example.com>' --header 'Subject: sender copy undeliverable')
qid=$(accepted "$out")
wait_removed "$qid"
delivery_lines "$qid" | grep -F 'to=<friend@example.org>' | grep -qF ' status=sent ' ||
    fail "undeliverable sender copy: friend did not get the message:
$(delivery_lines "$qid")"
delivery_lines "$qid" | grep -F 'to=<alice-missing+Sent@example.com>' | grep -qF ' status=bounced ' ||
    fail "undeliverable sender copy: expected it to bounce:
$(delivery_lines "$qid")"
if grep -E "[[:space:]]$qid: sender non-delivery notification" "$POSTFIX_LOG"; then
    fail "undeliverable sender copy: Postfix sent alice a bounce (NOTIFY=NEVER missing)"
fi
wait_queue_empty
expect_eq "undeliverable sender copy: alice's INBOX" 0 "$(imap_count alice INBOX)"
echo PASS
