// The JSON reader; see json_reader.h.
#include "base/json_reader.h"

#include <cstring>
#include <stdexcept>

namespace sendas {
namespace {

constexpr int max_depth = 64;

struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Reader {
public:
    explicit Reader(const std::string &s) : s_(s) {}

    JsonValue document() {
        JsonValue v = value(0);
        space();
        if (at_ < s_.size()) fail("trailing data");
        return v;
    }

    size_t offset() const { return at_; }

private:
    [[noreturn]] void fail(const std::string &what) const { throw ParseError(what); }

    void space() {
        while (at_ < s_.size() && std::strchr(" \t\n\r", s_[at_]) && s_[at_] != '\0') ++at_;
    }

    bool take(char c) {
        space();
        if (at_ < s_.size() && s_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "'");
    }

    bool literal(const char *word) {
        const size_t n = std::strlen(word);
        if (s_.compare(at_, n, word) != 0) return false;
        at_ += n;
        return true;
    }

    JsonValue value(int depth) {
        if (depth >= max_depth) fail("nested too deep");
        space();
        if (at_ >= s_.size()) fail("unexpected end");
        JsonValue v;
        const char c = s_[at_];
        if (c == '{') {
            v.type = JsonValue::object;
            ++at_;
            if (take('}')) return v;
            do {
                space();
                std::string key = string_body();
                expect(':');
                v.members.emplace_back(std::move(key), value(depth + 1));
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            v.type = JsonValue::array;
            ++at_;
            if (take(']')) return v;
            do v.items.push_back(value(depth + 1));
            while (take(','));
            expect(']');
        } else if (c == '"') {
            v.type = JsonValue::string;
            v.text = string_body();
        } else if (literal("true") || literal("false")) {
            v.type = JsonValue::boolean;
            v.text = c == 't' ? "true" : "false";
        } else if (literal("null")) {
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.type = JsonValue::number;
            v.text = number();
        } else {
            fail("unexpected character");
        }
        return v;
    }

    std::string number() {
        const size_t start = at_;
        auto digits = [this] {
            const size_t from = at_;
            while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
            return at_ > from;
        };
        if (s_[at_] == '-') ++at_;
        if (at_ < s_.size() && s_[at_] == '0')
            ++at_;
        else if (!digits())
            fail("bad number");
        if (at_ < s_.size() && s_[at_] == '.' && (++at_, !digits())) fail("bad number");
        if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
            ++at_;
            if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) ++at_;
            if (!digits()) fail("bad number");
        }
        return s_.substr(start, at_ - start);
    }

    unsigned hex4() {
        if (at_ + 4 > s_.size()) fail("short \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[at_++];
            const int d = (h >= '0' && h <= '9')   ? h - '0'
                          : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                          : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                   : -1;
            if (d < 0) fail("bad \\u escape");
            code = code * 16 + static_cast<unsigned>(d);
        }
        return code;
    }

    static void utf8(std::string &out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    void escape(std::string &out) {
        if (at_ >= s_.size()) fail("unterminated escape");
        const char e = s_[at_++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        if (const char *p = e ? std::strchr(from, e) : nullptr) {
            out += to[p - from];
            return;
        }
        if (e != 'u') fail("bad escape");
        unsigned code = hex4();
        if (code >= 0xDC00 && code <= 0xDFFF) fail("lone low surrogate");
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (!literal("\\u")) fail("lone high surrogate");
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("lone high surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        utf8(out, code);
    }

    std::string string_body() {
        if (at_ >= s_.size() || s_[at_] != '"') fail("expected a string");
        ++at_;
        std::string out;
        for (;;) {
            if (at_ >= s_.size()) fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(s_[at_++]);
            if (c == '"') return out;
            if (c < 0x20) fail("control character in a string");
            if (c == '\\')
                escape(out);
            else
                out += static_cast<char>(c);
        }
    }

    const std::string &s_;
    size_t at_ = 0;
};

}  // namespace

const JsonValue *JsonValue::get(const std::string &key) const {
    for (const auto &member : members)
        if (member.first == key) return &member.second;
    return nullptr;
}

bool parse_json(const std::string &text, JsonValue &value, std::string &error) {
    Reader reader(text);
    try {
        value = reader.document();
        return true;
    } catch (const ParseError &e) {
        error = std::string(e.what()) + " at offset " + std::to_string(reader.offset());
        return false;
    }
}

}  // namespace sendas
