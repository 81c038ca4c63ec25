#!/usr/bin/env bash
# mta = auto through a Postfix whose mail_name is changed, so that its {v}
# macro no longer says "Postfix": logins must still be taken raw. Decoded as
# Sendmail's xtext, the real login "+61lice" became "alice" and sent with
# alice's rights.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e
# A login with a '+' (Dovecot allows only plain characters by default).
E2E_USERS="$E2E_USERS +61lice"
E2E_DOVECOT_EXTRA="auth_username_chars ="
E2E_POSTFIX_EXTRA="mail_name = Mailer"
start_stack

out=$(submit +61lice 'Support <support@example.com>')
expect_reply "$out" "550 5.7.1 <+61lice> is not allowed to send as <support@example.com>"
# Positive control: the same Postfix, a real right, accepted.
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: renamed postfix')
expect_audit "$qid" "user=<alice> from=<support@example.com> (.* )?right=send-as action=accept.*"
echo PASS
