#!/usr/bin/env bash
# Installs what building and testing sendas-milter needs on Debian 12,
# without letting the server packages start system instances: the tests
# start their own in temporary directories.
set -euo pipefail

packages=(
    autoconf automake make g++ pkg-config
    libmilter-dev libldap-dev libsasl2-dev libhiredis-dev libboost-program-options-dev libcppunit-dev prometheus-cpp-dev libssl-dev libsystemd-dev
    slapd ldap-utils miltertest redis-server redis-tools redis-sentinel
    samba-ad-dc samba-ad-provision libsasl2-modules-gssapi-mit
    postfix dovecot-core dovecot-imapd dovecot-lmtpd swaks curl groff-base iproute2 python3
    sasl2-bin libsasl2-modules m4
    chromium fonts-dejavu-core
    clang-14 libclang-rt-14-dev clang-tidy-14 clang-format-14
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
    exit 1
fi

# Keep postinst scripts from starting daemons, and skip the interactive setup.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=yes
fi
trap 'if [ "$own_policy" = yes ]; then rm -f "$policy"; fi' EXIT
debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
slapd slapd/no_configuration boolean true
SEL

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
