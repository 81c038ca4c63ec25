// Windows security descriptors as Active Directory keeps them in
// nTSecurityDescriptor: a bounds-checked parser of the self-relative binary
// form (MS-DTYP 2.4.2 SID, 2.4.4 ACE, 2.4.5 ACL, 2.4.6 SECURITY_DESCRIPTOR)
// and the one question the milter asks of it: does this DACL grant the
// Send-As extended right to a token of SIDs. Pure: no I/O, thread-safe.
#ifndef SENDAS_SECURITY_DESCRIPTOR_H
#define SENDAS_SECURITY_DESCRIPTOR_H

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace sendas {

using Guid = std::array<uint8_t, 16>;  // as stored: Data1..3 little-endian

// The Send-As extended right (rightsGuid ab721a54-1e2f-11d0-9819-00aa0040529b).
extern const Guid send_as_right;

// ACE types and flags of MS-DTYP 2.4.4.1 that the evaluation reads.
enum AceType : uint8_t {
    ace_allowed = 0x00,
    ace_denied = 0x01,
    ace_allowed_object = 0x05,
    ace_denied_object = 0x06,
    ace_denied_callback = 0x0A,
    ace_denied_callback_object = 0x0C,
};
constexpr uint8_t ace_flag_inherit_only = 0x08;
constexpr uint8_t ace_flag_inherited = 0x10;
constexpr uint32_t right_control_access = 0x00000100;  // ADS_RIGHT_DS_CONTROL_ACCESS: extended rights
constexpr uint32_t right_generic_all = 0x10000000;

struct Ace {
    uint8_t type = 0;
    uint8_t flags = 0;
    uint32_t mask = 0;
    bool has_object_type = false;  // object ACEs only
    Guid object_type{};
    std::string sid;  // binary SID (MS-DTYP 2.4.2.2), validated
};

struct SecurityDescriptor {
    uint16_t control = 0;
    bool has_dacl = false;  // no DACL: nothing is granted explicitly
    std::vector<Ace> dacl;
};

// Parses `data` into `out`. False (with `error` saying where) when any
// length, offset or count points outside its enclosing structure, or a
// revision is unknown; `out` is then unspecified.
bool parse_security_descriptor(const std::string &data, SecurityDescriptor &out, std::string &error);

// A binary SID as "S-1-5-21-...", or "" when `binary` is no valid SID.
std::string sid_to_string(const std::string &binary);

// "S-1-5-..." as a binary SID, or "" when it does not parse.
std::string sid_from_string(const std::string &text);

// Whether one ACE, inherit-only or not, grants / denies Send-As by the
// rules of send_as_verdict (for the audit, which lists every trustee).
bool ace_grants_send_as(const Ace &ace, bool full_control_grants);
bool ace_denies_send_as(const Ace &ace);
bool ace_applies(const Ace &ace);  // not inherit-only: it concerns the object itself

// How the DACL decides Send-As for a token (the user's objectSid and the
// SIDs of its tokenGroups).
struct SendAsVerdict {
    enum class Kind { none, allowed, denied } kind = Kind::none;
    std::string trustee;  // binary SID of the deciding ACE
    size_t ace = 0;       // its index in the DACL
};

// Any applicable deny ACE wins over every allow ACE, whatever the order.
// Applicable: not inherit-only, trustee in `token`. Allow ACEs grant only
// when they name the Send-As right (object ACE with that object type and
// the control-access bit); with `full_control_grants`, also ACEs granting
// every extended right (control access without object type, or generic
// all), as Windows' own access check counts them. Deny ACEs count for
// Send-As, for every extended right or generic all, including callback
// (conditional) denies, whose condition is not evaluated.
SendAsVerdict send_as_verdict(const SecurityDescriptor &sd, const std::set<std::string> &token,
                              bool full_control_grants);

}  // namespace sendas

#endif
