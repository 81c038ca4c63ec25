#!/usr/bin/env bash
# Started as root, the daemon opens its socket, hands it to user/group with
# mode 0770, then runs as that user; decisions still work afterwards.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to drop privileges"
getent passwd nobody >/dev/null && getent group nogroup >/dev/null || skip "no nobody/nogroup"
require_stack slapd probe
chmod 755 "$T"  # the dropped user keeps using the socket path
start_slapd
start_milter "user = nobody" "group = nogroup"

uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$MILTER_PID/status")
[ "$uid" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ] ||
    fail "daemon runs with uids '$uid', expected nobody's"
gid=$(awk '/^Gid:/ { print $2 }' "/proc/$MILTER_PID/status")
[ "$gid" = "$(getent group nogroup | cut -d: -f3)" ] || fail "daemon runs with gid $gid, expected nogroup"
path=${MILTER_SOCKET#unix:}
[ "$(stat -c '%U:%G %A' "$path")" = "nobody:nogroup srwxrwx---" ] ||
    fail "socket is $(stat -c '%U:%G %A' "$path"), expected nobody:nogroup srwxrwx---"

out=$("$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=eve" --from '<eve@example.com>' \
    --rcpt '<friend@other.example>' --header 'From: support@example.com')
grep -qxF "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>" <<<"$out" ||
    fail "decision after dropping privileges: $out"
echo PASS
