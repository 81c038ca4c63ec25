#!/usr/bin/python3
# The test data of the Samba AD fixture (tests/lib/samba.sh), written into a
# freshly provisioned, not yet running domain controller's sam.ldb:
#
#   1. the Exchange attributes Samba's schema lacks: publicDelegates and its
#      back link publicDelegatesBL, linked attributes on mailRecipient;
#   2. the users, groups and rights as Exchange leaves them in AD.
#
#   /usr/bin/python3 samba_fixture.py SMB.CONF BIND_PASSWORD BULK_MEMBERS
#
# Rights (domain example.com, everything under CN=Users):
#   support (a shared mailbox: a disabled account, as Exchange makes them)
#     Send-As ACE for group sendas-support, which holds group support-team,
#       which holds group helpdesk, which holds alice: twice nested;
#     Send-As ACE for bob himself;
#     deny Send-As ACE for carol, who is also in helpdesk;
#     Send-As ACE for grace, a disabled account;
#     Full Access through CN=support@example.com,OU=full-access,OU=mailbox-rights
#       for frank (and alice).
#   boss (a person's mailbox) publicDelegates: dave, and group assistants,
#     which holds group assistants-emea, which holds eve.
#   sales: Send-As ACE for bob. news: Send-As ACE for group all-staff, which
#     has BULK_MEMBERS members (more than AD returns in one range: 1500).
#   heidi: no mail attribute; her addresses are only in proxyAddresses.
#     Send-As ACE for dave.
#   svc-milter: the milter's bind account, a normal user with no rights.
#   The DC's own account also answers to ldap/127.0.0.2 (GSSAPI by IP).
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack, ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

SEND_AS = "ab721a54-1e2f-11d0-9819-00aa0040529b"
# The X.500 object class of DN-syntax attributes (oMObjectClass).
DN_OBJECT_CLASS = b"\x2b\x0c\x02\x87\x73\x1c\x00\x85\x4a"
NORMAL_ACCOUNT, DISABLED, PASSWD_NOTREQD = 0x200, 0x2, 0x20
GLOBAL_SECURITY_GROUP = -2147483646


def add(db, dn, **attrs):
    msg = ldb.Message(ldb.Dn(db, dn))
    for name, value in attrs.items():
        msg[name] = ldb.MessageElement(value, ldb.FLAG_MOD_ADD, name)
    db.add(msg)


def extend_schema(db):
    schema = str(db.get_schema_basedn())
    for cn, name, oid, link, system_only in (
            ("ms-Exch-Public-Delegates", "publicDelegates", "1.2.840.113556.1.2.238", 14, "FALSE"),
            ("ms-Exch-Public-Delegates-BL", "publicDelegatesBL", "1.2.840.113556.1.2.295", 15, "TRUE")):
        add(db, "CN=%s,%s" % (cn, schema), objectClass="attributeSchema", lDAPDisplayName=name,
            attributeID=oid, attributeSyntax="2.5.5.1", oMSyntax="127", oMObjectClass=DN_OBJECT_CLASS,
            isSingleValued="FALSE", linkID=str(link), systemOnly=system_only, adminDisplayName=cn)
    msg = ldb.Message(ldb.Dn(db, "CN=Mail-Recipient,%s" % schema))
    msg["mayContain"] = ldb.MessageElement(["publicDelegates", "publicDelegatesBL"], ldb.FLAG_MOD_ADD, "mayContain")
    db.modify(msg)
    msg = ldb.Message(ldb.Dn(db, ""))
    msg["schemaUpdateNow"] = ldb.MessageElement("1", ldb.FLAG_MOD_REPLACE, "schemaUpdateNow")
    db.modify(msg)


class Domain:
    def __init__(self, db):
        self.db = db
        self.base = str(db.domain_dn())
        self.users = "CN=Users," + self.base

    def dn(self, cn):
        return "CN=%s,%s" % (cn, self.users)

    def user(self, name, mail=None, proxies=(), disabled=False, password=None, **extra):
        attrs = dict(objectClass="user", sAMAccountName=name, userPrincipalName=name + "@example.com",
                     displayName=name.capitalize(),
                     userAccountControl=str(NORMAL_ACCOUNT | PASSWD_NOTREQD | (DISABLED if disabled else 0)))
        if mail:
            attrs["mail"] = mail
        if proxies:
            attrs["proxyAddresses"] = list(proxies)
        attrs.update(extra)
        add(self.db, self.dn(name), **attrs)
        if password:
            self.db.setpassword("(sAMAccountName=%s)" % name, password, force_change_at_next_login=False)

    def group(self, name, members=(), base=None):
        dn = "CN=%s,%s" % (name, base) if base else self.dn(name)
        attrs = dict(objectClass="group", sAMAccountName=name.replace("@", "-at-"),
                     groupType=str(GLOBAL_SECURITY_GROUP))
        if members:
            attrs["member"] = [self.dn(m) if "=" not in m else m for m in members]
        add(self.db, dn, **attrs)
        return dn

    def sid(self, name):
        res = self.db.search(self.dn(name), ldb.SCOPE_BASE, attrs=["objectSid"])
        return str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))

    def ace(self, mailbox, sddl_ace):
        """Prepends one ACE to the mailbox's DACL, as samba-tool dsacl set does."""
        dn = self.dn(mailbox)
        res = self.db.search(dn, ldb.SCOPE_BASE, attrs=["nTSecurityDescriptor"], controls=["sd_flags:1:4"])
        sd = ndr_unpack(security.descriptor, res[0]["nTSecurityDescriptor"][0])
        ace = security.descriptor.from_sddl("D:" + sddl_ace, security.dom_sid(self.db.get_domain_sid())).dacl.aces[0]
        sd.dacl_add(ace, 0)
        msg = ldb.Message(ldb.Dn(self.db, dn))
        msg["nTSecurityDescriptor"] = ldb.MessageElement(ndr_pack(sd), ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
        self.db.modify(msg, controls=["sd_flags:1:4"])

    def send_as(self, mailbox, trustee, deny=False):
        self.ace(mailbox, "(O%s;;CR;%s;;%s)" % ("D" if deny else "A", SEND_AS, self.sid(trustee)))


def populate(db, bind_password, bulk):
    d = Domain(db)
    d.user("svc-milter", mail="svc-milter@example.com", password=bind_password)
    for name in ("alice", "bob", "carol", "dave", "eve", "frank"):
        d.user(name, mail=name + "@example.com", proxies=["SMTP:%s@example.com" % name])
    d.user("grace", mail="grace@example.com", disabled=True)
    d.user("heidi", proxies=["SMTP:heidi@example.com", "smtp:h.alias@example.org", "X500:/o=Example/cn=heidi",
                             "sip:heidi.sip@example.com"])
    d.user("support", mail="support@example.com", disabled=True,
           proxies=["SMTP:support@example.com", "smtp:helpdesk@example.com"])
    d.user("sales", mail="sales@example.com", disabled=True)
    d.user("news", mail="news@example.com", disabled=True)
    d.user("boss", mail="boss@example.com")

    d.group("helpdesk", ["alice", "carol"])
    d.group("support-team", ["helpdesk"])
    d.group("sendas-support", ["support-team"])
    d.group("assistants-emea", ["eve"])
    d.group("assistants", ["assistants-emea"])
    rights = "OU=mailbox-rights," + d.base
    add(db, rights, objectClass="organizationalUnit")
    add(db, "OU=full-access," + rights, objectClass="organizationalUnit")
    d.group("support@example.com", ["frank", "alice"], base="OU=full-access," + rights)

    bulk_dns = []
    for i in range(bulk):
        name = "staff%04d" % i
        d.user(name, mail=name + "@example.com")
        bulk_dns.append(d.dn(name))
    d.group("all-staff", bulk_dns)

    d.send_as("support", "sendas-support")
    d.send_as("support", "bob")
    d.send_as("support", "grace")
    d.send_as("sales", "bob")
    d.send_as("news", "all-staff")
    d.send_as("heidi", "dave")
    d.send_as("support", "carol", deny=True)  # last: prepended, so first, as AD keeps denies

    # GSSAPI to ldap://127.0.0.2/ asks for a ticket for this name.
    dc = db.search(d.base, ldb.SCOPE_SUBTREE, "(&(objectClass=computer)(primaryGroupID=516))", ["dn"])[0].dn
    msg = ldb.Message(dc)
    msg["servicePrincipalName"] = ldb.MessageElement("ldap/127.0.0.2", ldb.FLAG_MOD_ADD, "servicePrincipalName")
    db.modify(msg)

    msg = ldb.Message(ldb.Dn(db, d.dn("boss")))
    msg["publicDelegates"] = ldb.MessageElement([d.dn("dave"), d.dn("assistants")], ldb.FLAG_MOD_ADD,
                                                "publicDelegates")
    db.modify(msg)


def passwords_never_expire(db):
    # The provisioned tree is kept as a template between runs.
    msg = ldb.Message(ldb.Dn(db, str(db.domain_dn())))
    msg["maxPwdAge"] = ldb.MessageElement("-9223372036854775808", ldb.FLAG_MOD_REPLACE, "maxPwdAge")
    db.modify(msg)


def main():
    conf, bind_password, bulk = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lp = LoadParm()
    lp.load(conf)
    # Only this process may change the schema.
    lp.set("dsdb:schema update allowed", "true")
    db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp, flags=ldb.FLG_NOSYNC)
    extend_schema(db)
    db.transaction_start()
    try:
        passwords_never_expire(db)
        populate(db, bind_password, bulk)
    except Exception:
        db.transaction_cancel()
        raise
    db.transaction_commit()


if __name__ == "__main__":
    main()
