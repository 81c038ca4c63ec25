// Security descriptor parsing and the Send-As check; see security_descriptor.h.
#include "directory/security_descriptor.h"

#include <algorithm>
#include <cstdlib>

namespace sendas {

const Guid send_as_right = {0x54, 0x1a, 0x72, 0xab, 0x2f, 0x1e, 0xd0, 0x11,
                            0x98, 0x19, 0x00, 0xaa, 0x00, 0x40, 0x52, 0x9b};

namespace {

constexpr size_t sid_header = 8;  // revision, count, 6-byte authority
constexpr unsigned max_sub_authorities = 15;
constexpr size_t sd_header = 20;
constexpr size_t acl_header = 8;
constexpr size_t ace_header = 4;
constexpr uint16_t control_self_relative = 0x8000;
constexpr uint16_t control_dacl_present = 0x0004;
constexpr uint32_t object_type_present = 0x1;
constexpr uint32_t inherited_object_type_present = 0x2;

// A window on the input: every read is checked against its end.
class Reader {
public:
    Reader(const std::string &data, size_t begin, size_t end) : data_(data), pos_(begin), end_(end) {}

    bool u8(uint8_t &v) {
        if (end_ - pos_ < 1) return false;
        v = static_cast<uint8_t>(data_[pos_++]);
        return true;
    }
    bool u16(uint16_t &v) {  // little-endian, as every integer here but the SID authority
        uint8_t lo = 0, hi = 0;
        if (!u8(lo) || !u8(hi)) return false;
        v = static_cast<uint16_t>(lo | hi << 8);
        return true;
    }
    bool u32(uint32_t &v) {
        uint16_t lo = 0, hi = 0;
        if (!u16(lo) || !u16(hi)) return false;
        v = static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
        return true;
    }
    bool bytes(size_t n, std::string &out) {
        if (end_ - pos_ < n) return false;
        out = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    bool guid(Guid &out) {
        std::string raw;
        if (!bytes(out.size(), raw)) return false;
        std::copy(raw.begin(), raw.end(), out.begin());
        return true;
    }
    size_t pos() const { return pos_; }
    size_t left() const { return end_ - pos_; }

private:
    const std::string &data_;
    size_t pos_;
    const size_t end_;
};

// A SID at the reader's position, the exact bytes it spans.
bool read_sid(Reader &in, std::string &sid) {
    std::string head;
    if (!in.bytes(sid_header, head)) return false;
    const auto revision = static_cast<uint8_t>(head[0]), count = static_cast<uint8_t>(head[1]);
    if (revision != 1 || count > max_sub_authorities) return false;
    std::string subs;
    if (!in.bytes(size_t{4} * count, subs)) return false;
    sid = head + subs;
    return true;
}

// One ACE within [begin, begin + size); unknown types keep only the header.
bool read_ace_body(Reader &in, Ace &ace) {
    switch (ace.type) {
    case ace_allowed:
    case ace_denied:
    case ace_denied_callback: return in.u32(ace.mask) && read_sid(in, ace.sid);
    case ace_allowed_object:
    case ace_denied_object:
    case ace_denied_callback_object: {
        uint32_t object_flags = 0;
        Guid inherited{};
        if (!in.u32(ace.mask) || !in.u32(object_flags)) return false;
        ace.has_object_type = (object_flags & object_type_present) != 0;
        if (ace.has_object_type && !in.guid(ace.object_type)) return false;
        if ((object_flags & inherited_object_type_present) && !in.guid(inherited)) return false;
        return read_sid(in, ace.sid);
    }
    default: return true;
    }
}

bool read_acl(const std::string &data, size_t offset, std::vector<Ace> &aces, std::string &error) {
    Reader head(data, offset, data.size());
    uint8_t revision = 0, sbz1 = 0;
    uint16_t size = 0, count = 0, sbz2 = 0;
    if (!head.u8(revision) || !head.u8(sbz1) || !head.u16(size) || !head.u16(count) || !head.u16(sbz2)) {
        error = "ACL header beyond the end";
        return false;
    }
    if (revision != 2 && revision != 4) {
        error = "ACL revision " + std::to_string(revision);
        return false;
    }
    if (size < acl_header || size > data.size() - offset) {
        error = "ACL size " + std::to_string(size) + " beyond the descriptor";
        return false;
    }
    const size_t end = offset + size;
    size_t at = offset + acl_header;
    for (unsigned i = 0; i < count; ++i) {
        Reader ace_head(data, at, end);
        Ace ace;
        uint16_t ace_size = 0;
        if (!ace_head.u8(ace.type) || !ace_head.u8(ace.flags) || !ace_head.u16(ace_size) || ace_size < ace_header ||
            ace_size > end - at) {
            error = "ACE " + std::to_string(i) + " beyond the ACL";
            return false;
        }
        Reader body(data, ace_head.pos(), at + ace_size);
        if (!read_ace_body(body, ace)) {
            error = "ACE " + std::to_string(i) + " of type " + std::to_string(ace.type) + " truncated";
            return false;
        }
        aces.push_back(std::move(ace));
        at += ace_size;
    }
    return true;
}

// A SID the header points at (owner or group), checked, then dropped.
bool check_sid_at(const std::string &data, uint32_t offset) {
    if (offset == 0) return true;
    if (offset < sd_header || offset >= data.size()) return false;
    Reader in(data, offset, data.size());
    std::string sid;
    return read_sid(in, sid);
}

bool in_token(const Ace &ace, const std::set<std::string> &token) { return token.count(ace.sid) != 0; }

// The ACE concerns every extended right, or Send-As by name.
bool covers_send_as(const Ace &ace) { return !ace.has_object_type || ace.object_type == send_as_right; }

bool denies_send_as(const Ace &ace) {
    switch (ace.type) {
    case ace_denied:
    case ace_denied_callback: return (ace.mask & (right_control_access | right_generic_all)) != 0;
    case ace_denied_object:
    case ace_denied_callback_object: return (ace.mask & right_control_access) != 0 && covers_send_as(ace);
    default: return false;
    }
}

bool grants_send_as(const Ace &ace, bool full_control_grants) {
    if (ace.type == ace_allowed_object && (ace.mask & right_control_access)) {
        if (ace.has_object_type) return ace.object_type == send_as_right;
        return full_control_grants;
    }
    return ace.type == ace_allowed && full_control_grants &&
           (ace.mask & (right_control_access | right_generic_all)) != 0;
}

}  // namespace

bool parse_security_descriptor(const std::string &data, SecurityDescriptor &out, std::string &error) {
    out = SecurityDescriptor{};
    Reader in(data, 0, data.size());
    uint8_t revision = 0, sbz1 = 0;
    uint32_t owner = 0, group = 0, sacl = 0, dacl = 0;
    if (!in.u8(revision) || !in.u8(sbz1) || !in.u16(out.control) || !in.u32(owner) || !in.u32(group) || !in.u32(sacl) ||
        !in.u32(dacl)) {
        error = "shorter than a security descriptor header";
        return false;
    }
    if (revision != 1) {
        error = "security descriptor revision " + std::to_string(revision);
        return false;
    }
    if (!(out.control & control_self_relative)) {
        error = "not in self-relative form";
        return false;
    }
    if (!check_sid_at(data, owner) || !check_sid_at(data, group)) {
        error = "owner or group SID beyond the descriptor";
        return false;
    }
    out.has_dacl = (out.control & control_dacl_present) && dacl != 0;
    if (!out.has_dacl) return true;
    if (dacl < sd_header || dacl >= data.size()) {
        error = "DACL offset " + std::to_string(dacl) + " beyond the descriptor";
        return false;
    }
    return read_acl(data, dacl, out.dacl, error);
}

bool ace_grants_send_as(const Ace &ace, bool full_control_grants) { return grants_send_as(ace, full_control_grants); }
bool ace_denies_send_as(const Ace &ace) { return denies_send_as(ace); }
bool ace_applies(const Ace &ace) { return !(ace.flags & ace_flag_inherit_only); }

std::string sid_to_string(const std::string &binary) {
    Reader in(binary, 0, binary.size());
    std::string sid;
    if (!read_sid(in, sid) || in.left() != 0) return "";
    uint64_t authority = 0;
    for (size_t i = 2; i < sid_header; ++i) authority = authority << 8 | static_cast<uint8_t>(sid[i]);
    std::string text = "S-1-" + std::to_string(authority);
    Reader subs(sid, sid_header, sid.size());
    for (uint32_t sub = 0; subs.u32(sub);) text += "-" + std::to_string(sub);
    return text;
}

std::string sid_from_string(const std::string &text) {
    if (text.compare(0, 4, "S-1-") != 0) return "";
    std::vector<uint64_t> parts;
    size_t pos = 4;
    while (pos <= text.size()) {
        const size_t dash = std::min(text.find('-', pos), text.size());
        const std::string part = text.substr(pos, dash - pos);
        if (part.empty() || part.size() > 15 || part.find_first_not_of("0123456789") != std::string::npos) return "";
        parts.push_back(std::strtoull(part.c_str(), nullptr, 10));
        pos = dash + 1;
    }
    if (parts.empty() || parts.size() - 1 > max_sub_authorities || parts[0] >= (1ull << 48)) return "";
    std::string sid{char(1), char(parts.size() - 1)};
    for (int shift = 40; shift >= 0; shift -= 8) sid += static_cast<char>(parts[0] >> shift & 0xff);
    for (size_t i = 1; i < parts.size(); ++i) {
        if (parts[i] > 0xffffffffull) return "";
        for (int shift = 0; shift < 32; shift += 8) sid += static_cast<char>(parts[i] >> shift & 0xff);
    }
    return sid;
}

SendAsVerdict send_as_verdict(const SecurityDescriptor &sd, const std::set<std::string> &token,
                              bool full_control_grants) {
    SendAsVerdict verdict;
    for (size_t i = 0; i < sd.dacl.size(); ++i) {
        const Ace &ace = sd.dacl[i];
        if (!ace_applies(ace) || !in_token(ace, token)) continue;
        if (denies_send_as(ace)) return {SendAsVerdict::Kind::denied, ace.sid, i};
        if (verdict.kind == SendAsVerdict::Kind::none && grants_send_as(ace, full_control_grants))
            verdict = {SendAsVerdict::Kind::allowed, ace.sid, i};
    }
    return verdict;
}

}  // namespace sendas
