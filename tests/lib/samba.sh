# shellcheck shell=bash
# A throwaway Samba Active Directory domain controller for the tests of
# ldap.layout = ad: the domain example.com on 127.0.0.2 (LDAP 389, LDAPS
# 636, StartTLS with a CA made for the test), holding the users, groups,
# Send-As ACEs and publicDelegates of tests/lib/samba_fixture.py. Sourced
# after tests/lib/harness.sh (or a lib.sh that sources it):
#
#   . "$(dirname "$0")/lib.sh"; . "$SENDAS_LIB_DIR/../lib/samba.sh"
#   require_stack samba probe      # 77 without root, samba-ad-dc, samba-ad-provision
#   start_samba                    # provisioned once per build tree, then copied
#   start_milter "${SAMBA_MILTER_LINES[@]}"
#   samba_search -b "$SAMBA_BASE" '(sAMAccountName=alice)' mail   # as the bind account
#   samba_admin_modify < LDIF      # as Administrator
#
# Samba has no setting for its LDAP port, so every test that uses it holds
# an exclusive lock on 127.0.0.2 (flock) from start_samba until it exits:
# they run one after the other, whatever make -j says.
#
# With SAMBA_KDC=yes (before start_samba) the DC is a KDC too, on
# 127.0.0.2:88: KRB5_CONFIG is exported for it and SAMBA_KEYTAB holds the
# bind account's keys (for ldap.sasl_mech = GSSAPI).
#
# Sets: SAMBA_URI SAMBA_BASE SAMBA_BIND_DN SAMBA_BIND_PASSWORD_FILE SAMBA_CA
# SAMBA_ADMIN_DN SAMBA_ADMIN_PASSWORD SAMBA_LOG SAMBA_PID, and
# SAMBA_MILTER_LINES: the config lines of a daemon reading this domain
# with ldap.layout = ad as the bind account, a user with no rights of its own.
#
# Environment: SAMBA_TEMPLATE (default $top_builddir/tests/samba-template):
# where the provisioned domain is kept between tests.

SAMBA_FIXTURE_SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/samba_fixture.py
SAMBA_HOST=127.0.0.2
SAMBA_URI=ldap://$SAMBA_HOST/
SAMBA_BASE=DC=example,DC=com
SAMBA_USERS=CN=Users,$SAMBA_BASE
SAMBA_BIND_DN=CN=svc-milter,$SAMBA_USERS
SAMBA_ADMIN_DN=CN=Administrator,$SAMBA_USERS
SAMBA_ADMIN_PASSWORD='Adm1n-only-for-tests!'
SAMBA_BIND_PASSWORD='Svc-milter-test-1!'
# More members than AD returns in one range of values (MaxValRange 1500).
SAMBA_BULK_MEMBERS=1600
SAMBA_BIND_PASSWORD_FILE=
SAMBA_KDC=${SAMBA_KDC:-no}
SAMBA_KEYTAB=
SAMBA_CA=
SAMBA_LOG=
SAMBA_PID=
SAMBA_MILTER_LINES=()

# The samba part of `require_stack samba`.
_samba_require() {
    [ "$(id -u)" -eq 0 ] || skip "the Samba AD DC runs as root"
    local packages="samba-ad-dc samba-ad-provision"
    _need SAMBA samba "$packages"
    _need SAMBA_TOOL samba-tool "$packages"
    _need OPENSSL openssl openssl
    _need FLOCK flock util-linux
    _need LDAPSEARCH ldapsearch ldap-utils
    _need LDAPMODIFY ldapmodify ldap-utils
    /usr/bin/python3 -c 'import samba.samdb' 2>/dev/null || skip "python3-samba missing (install $packages)"
}

# The provisioned, populated domain, made once per build tree and content
# of the fixture scripts; never started itself.
_samba_template() {
    local key dir tmp
    key=$(cat "${BASH_SOURCE[0]}" "$SAMBA_FIXTURE_SCRIPT" | sha1sum | cut -c1-12)
    dir=${SAMBA_TEMPLATE:-$top_builddir/tests/samba-template}/sendas-samba-$key
    if [ ! -f "$dir/ready" ]; then
        local started=$SECONDS
        rm -rf -- "${dir%/*}"/sendas-samba-*  # templates of older fixture scripts
        tmp=$dir.tmp
        rm -rf -- "$tmp" && mkdir -p "$tmp" && : >"$tmp/empty.conf"
        # An empty smb.conf (-s): /etc/samba/smb.conf must not leak in.
        "$SAMBA_TOOL" domain provision -s "$tmp/empty.conf" --targetdir="$tmp" --realm=EXAMPLE.COM \
            --domain=EXAMPLE --server-role=dc --dns-backend=NONE --host-ip=$SAMBA_HOST \
            --adminpass="$SAMBA_ADMIN_PASSWORD" \
            --option="interfaces = $SAMBA_HOST/8" --option="bind interfaces only = yes" \
            --option="server services = ldap" --option="pid directory = $tmp/run" \
            --option="ncalrpc dir = $tmp/ncalrpc" --option="winbindd socket directory = $tmp/winbindd" \
            --option="ntp signd socket directory = $tmp/ntp" --option="log file = $tmp/samba.log" \
            >"$tmp/provision.log" 2>&1 || {
            tail -n 20 "$tmp/provision.log" >&2
            die "samba-tool domain provision failed"
        }
        /usr/bin/python3 "$SAMBA_FIXTURE_SCRIPT" "$tmp/etc/smb.conf" "$SAMBA_BIND_PASSWORD" "$SAMBA_BULK_MEMBERS" \
            >"$tmp/fixture.log" 2>&1 || {
            cat "$tmp/fixture.log" >&2
            die "$SAMBA_FIXTURE_SCRIPT failed"
        }
        printf '%s\n' "$tmp" >"$tmp/provisioned-in"
        rm -rf -- "$dir" && mv -- "$tmp" "$dir" && : >"$dir/ready"
        say "samba: domain provisioned and populated in $((SECONDS - started)) s"
    fi
    printf '%s\n' "$dir"
}

# A CA and a certificate for 127.0.0.2 (Samba's own has no subject
# alternative name, so it cannot be verified).
_samba_certificates() {
    local d=$1
    mkdir -p "$d" && chmod 700 "$d"
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/ca.key" \
        -out "$d/ca.pem" -days 2 -subj "/CN=sendas-milter test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        >"$d/openssl.log" 2>&1 &&
        "$OPENSSL" req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/key.pem" \
            -out "$d/req.csr" -subj "/CN=$SAMBA_HOST" >>"$d/openssl.log" 2>&1 &&
        printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SAMBA_HOST" \
            >"$d/ext.cnf" &&
        "$OPENSSL" x509 -req -in "$d/req.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -out "$d/cert.pem" -days 2 -extfile "$d/ext.cnf" >>"$d/openssl.log" 2>&1 ||
        { cat "$d/openssl.log" >&2; die "could not make the test CA"; }
    chmod 600 "$d/key.pem"
}

# The KDC service, a krb5.conf for the realm on 127.0.0.2 (no DNS), and
# the bind account's keytab, exported before the DC starts.
_samba_kerberos() {
    local d=$1
    sed -i 's/^\(\s*server services = \).*/\1ldap kdc/' "$d/etc/smb.conf"
    cat >"$T/krb5.conf" <<EOF
[libdefaults]
    default_realm = EXAMPLE.COM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
[realms]
    EXAMPLE.COM = {
        kdc = $SAMBA_HOST
    }
EOF
    export KRB5_CONFIG=$T/krb5.conf
    SAMBA_KEYTAB=$T/svc-milter.keytab
    "$SAMBA_TOOL" domain exportkeytab "$SAMBA_KEYTAB" --principal=svc-milter@EXAMPLE.COM -s "$d/etc/smb.conf" \
        >"$T/exportkeytab.log" 2>&1 || { cat "$T/exportkeytab.log" >&2; die "could not export the keytab"; }
}

# True when the DC answers a bind as the milter's account.
samba_answers() {
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$SAMBA_URI" -o nettimeout=2 -l 2 -D "$SAMBA_BIND_DN" \
        -w "$SAMBA_BIND_PASSWORD" -b "$SAMBA_BASE" -s base 1.1 >/dev/null 2>&1
}

# True while anything listens on the DC's LDAP port.
_samba_port_open() {
    (exec 3<>"/dev/tcp/$SAMBA_HOST/389") 2>/dev/null
}

# Samba renames its processes, so _terminate cannot recognise them: the
# root process is our own child, and takes its workers with it on SIGTERM.
# The port must be free before the lock passes to the next test.
_samba_exit() {
    local n=100
    if [ -n "$SAMBA_PID" ] && _pid_alive "$SAMBA_PID"; then
        kill -TERM "$SAMBA_PID" 2>/dev/null || true
        _wait_gone "$SAMBA_PID" 100 || kill -KILL "$SAMBA_PID" 2>/dev/null || true
    fi
    while _samba_port_open && [ $n -gt 0 ]; do
        sleep 0.1
        n=$((n - 1))
    done
    [ $n -gt 0 ] || say "samba: something still listens on $SAMBA_HOST:389"
    dump_on_failure "samba log" "$SAMBA_LOG" 30
}

# start_samba: the lock on 127.0.0.2, the domain copied from the template
# into $T/samba, its own CA, then `samba -i` until LDAP answers.
start_samba() {
    [ -n "$T" ] || die "start_samba: call require_stack samba first"
    local lock=${TMPDIR:-/tmp}/sendas-samba-$SAMBA_HOST.lock started template d=$T/samba n=300
    exec {SAMBA_LOCK_FD}>"$lock"
    "$FLOCK" -w 900 "$SAMBA_LOCK_FD" || die "$lock: held by another test for 15 minutes"
    _samba_port_open && die "something already listens on $SAMBA_HOST:389 (not one of these tests: they hold $lock)"
    started=$SECONDS
    template=$(_samba_template)
    cp -a -- "$template" "$d"
    rm -f -- "$d/ready"
    sed -i "s|$(cat "$template/provisioned-in")|$d|g" "$d/etc/smb.conf"
    _samba_certificates "$d/tls"
    # Provision drops this option; without it simple binds are refused.
    sed -i "/^\[global\]/a\\
\tldap server require strong auth = no\\
\ttls enabled = yes\\
\ttls keyfile = $d/tls/key.pem\\
\ttls certfile = $d/tls/cert.pem\\
\ttls cafile = $d/tls/ca.pem" "$d/etc/smb.conf"
    [ "$SAMBA_KDC" != yes ] || _samba_kerberos "$d"
    SAMBA_CA=$d/tls/ca.pem
    SAMBA_LOG=$T/samba.log
    SAMBA_BIND_PASSWORD_FILE=$T/samba-bind.password
    printf '%s\n' "$SAMBA_BIND_PASSWORD" >"$SAMBA_BIND_PASSWORD_FILE"
    on_exit _samba_exit
    # -i: in the foreground, until stdin closes.
    "$SAMBA" -i -s "$d/etc/smb.conf" --debug-stdout -d 1 </dev/null >>"$SAMBA_LOG" 2>&1 &
    SAMBA_PID=$!
    until samba_answers; do
        _pid_alive "$SAMBA_PID" || { tail -n 30 "$SAMBA_LOG" >&2; die "samba exited during startup"; }
        n=$((n - 1))
        [ $n -gt 0 ] || die "samba did not answer on $SAMBA_URI within 30 s"
        sleep 0.1
    done
    say "samba: copied and answering in $((SECONDS - started)) s"
    SAMBA_MILTER_LINES=(
        "ldap.layout = ad"
        "ldap.uri = $SAMBA_URI"
        "ldap.base = $SAMBA_BASE"
        "ldap.bind_dn = $SAMBA_BIND_DN"
        "ldap.bind_password_file = $SAMBA_BIND_PASSWORD_FILE"
        "ldap.full_access_base = OU=full-access,OU=mailbox-rights,$SAMBA_BASE"
    )
}

# samba_search LDAPSEARCH-ARG...: as the milter's bind account, LDIF without wrapping.
samba_search() {
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -o ldif-wrap=no -H "$SAMBA_URI" -D "$SAMBA_BIND_DN" \
        -w "$SAMBA_BIND_PASSWORD" "$@"
}

# samba_admin_modify < LDIF: as Administrator.
samba_admin_modify() {
    LDAPNOINIT=1 "$LDAPMODIFY" -x -H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -w "$SAMBA_ADMIN_PASSWORD" >/dev/null
}
