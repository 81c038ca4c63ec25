// A small JSON reader for tests: checks that output is JSON and gives its
// shape (tests/unit: the decision log, sendasctl audit --format json).
#ifndef SENDAS_TESTS_JSON_READER_H
#define SENDAS_TESTS_JSON_READER_H

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sendas_test {

struct Json {
    enum Type { null, boolean, number, string, array, object } type = null;
    std::string text;  // string value, or the number / literal as written
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;  // in document order

    const Json *get(const std::string &key) const {
        for (const auto &m : members)
            if (m.first == key) return &m.second;
        return nullptr;
    }
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto &m : members) out.push_back(m.first);
        return out;
    }
    std::vector<std::string> strings() const {  // an array of strings
        std::vector<std::string> out;
        for (const auto &i : items) out.push_back(i.text);
        return out;
    }
};

// Strict RFC 8259: throws std::runtime_error naming the offset on anything else.
class JsonReader {
public:
    explicit JsonReader(const std::string &text) : s_(text) {}

    Json document() {
        Json v = value();
        space();
        if (at_ < s_.size()) error("trailing data");
        return v;
    }

private:
    [[noreturn]] void error(const std::string &what) const {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(at_) + " in: " + s_);
    }
    void space() {
        while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
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
        if (!take(c)) error(std::string("expected '") + c + "'");
    }
    Json value() {
        space();
        if (at_ >= s_.size()) error("unexpected end");
        Json v;
        const char c = s_[at_];
        if (c == '{') {
            v.type = Json::object;
            ++at_;
            if (take('}')) return v;
            do {
                space();
                std::string key = string_body();
                expect(':');
                for (const auto &m : v.members)
                    if (m.first == key) error("duplicate key " + key);
                v.members.emplace_back(key, value());
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            v.type = Json::array;
            ++at_;
            if (take(']')) return v;
            do v.items.push_back(value());
            while (take(','));
            expect(']');
        } else if (c == '"') {
            v.type = Json::string;
            v.text = string_body();
        } else if (s_.compare(at_, 4, "true") == 0 || s_.compare(at_, 5, "false") == 0) {
            v.type = Json::boolean;
            v.text = c == 't' ? "true" : "false";
            at_ += v.text.size();
        } else if (s_.compare(at_, 4, "null") == 0) {
            at_ += 4;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.type = Json::number;
            size_t start = at_;
            while (at_ < s_.size() && std::string("+-0123456789.eE").find(s_[at_]) != std::string::npos) ++at_;
            v.text = s_.substr(start, at_ - start);
        } else {
            error("unexpected character");
        }
        return v;
    }
    std::string string_body() {
        if (at_ >= s_.size() || s_[at_] != '"') error("expected a string");
        ++at_;
        std::string out;
        while (true) {
            if (at_ >= s_.size()) error("unterminated string");
            unsigned char c = static_cast<unsigned char>(s_[at_++]);
            if (c == '"') return out;
            if (c < 0x20) error("raw control character in a string");
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            if (at_ >= s_.size()) error("unterminated escape");
            switch (s_[at_++]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if (at_ + 4 > s_.size()) error("short \\u escape");
                unsigned code = std::stoul(s_.substr(at_, 4), nullptr, 16);
                at_ += 4;
                if (code >= 0x80) error("test reader only decodes \\u00XX..\\u007F");
                out += static_cast<char>(code);
                break;
            }
            default: error("bad escape");
            }
        }
    }

    const std::string &s_;
    size_t at_ = 0;
};

inline Json parse_json(const std::string &text) { return JsonReader(text).document(); }

}  // namespace sendas_test

#endif
