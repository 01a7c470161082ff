// The XML reader of xml.h: a recursive-descent parser over the text that counts lines as it goes.
#include "apps/yolo_v1/xml.h"

#include <minidl/minidl.h>

#include <cstdint>
#include <cstring>

namespace yolo {

const XmlElement* XmlElement::child(const std::string& n) const {
  for (const XmlElement& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::children_named(const std::string& n) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

namespace {

constexpr int kMaxDepth = 256;  // deeper nesting is refused rather than risk the stack

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;  // a UTF-8 sequence: not checked further
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && is_space(s[a])) ++a;
  while (b > a && is_space(s[b - 1])) --b;
  return s.substr(a, b - a);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  XmlElement document() {
    if (starts("\xEF\xBB\xBF")) pos_ += 3;  // a UTF-8 byte order mark
    if (starts("<?xml") && pos_ + 5 < s_.size() && is_space(s_[pos_ + 5])) instruction(true);
    misc();
    if (eof()) fail("no root element");
    if (peek() != '<') fail("text before the root element");
    XmlElement root = element(0);
    misc();
    if (!eof()) fail(peek() == '<' ? "a second root element" : "text after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& why, int line = 0) const {
    throw minidl::Error(minidl::str(file_, ":", line ? line : line_, ": malformed XML: ", why));
  }
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  bool starts(const char* t) const { return s_.compare(pos_, std::strlen(t), t) == 0; }
  void advance(size_t n = 1) {
    for (size_t k = 0; k < n && pos_ < s_.size(); ++k) line_ += s_[pos_++] == '\n';
  }
  void skip_space() {
    while (!eof() && is_space(peek())) advance();
  }
  // Moves past the next `end`; false (at the end of the text) when there is none.
  bool skip_past(const char* end) {
    const size_t at = s_.find(end, pos_);
    if (at == std::string::npos) return false;
    advance(at - pos_ + std::strlen(end));
    return true;
  }

  // Whitespace, comments and processing instructions between the declaration and the root.
  void misc() {
    while (true) {
      skip_space();
      if (starts("<!--")) {
        comment();
      } else if (starts("<?")) {
        instruction();
      } else if (starts("<!DOCTYPE")) {
        fail("DOCTYPE is not supported");
      } else {
        return;
      }
    }
  }

  void comment() {
    const int line = line_;
    advance(4);
    const size_t end = s_.find("--", pos_);
    if (end == std::string::npos) fail("comment not closed ('-->')", line);
    advance(end - pos_);
    if (!starts("-->")) fail("'--' inside a comment");
    advance(3);
  }

  // <?target ...?>; the XML declaration (target xml) only as the document's first bytes.
  void instruction(bool first = false) {
    const int line = line_;
    advance(2);
    const std::string target = name("a processing instruction");
    if (target == "xml" && !first) fail("the XML declaration must come first");
    if (!skip_past("?>")) fail("'<?" + target + "' not closed ('?>')", line);
  }

  std::string name(const char* what) {
    if (eof() || !is_name_start(peek()))
      fail(minidl::str(
          "expected the name of ", what,
          eof() ? " at the end of the file" : ", got '" + std::string(1, peek()) + "'"));
    const size_t a = pos_;
    while (!eof() && is_name_char(peek())) advance();
    return s_.substr(a, pos_ - a);
  }

  // Entities and character references of `raw` decoded (raw starts on line `line`).
  std::string decode(const std::string& raw, int line) const {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      line += raw[i] == '\n';
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == std::string::npos || semi - i > 12) fail("'&' not followed by an entity", line);
      const std::string e = raw.substr(i + 1, semi - i - 1);
      static const char* const named[][2] = {
          {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}};
      bool done = false;
      for (const auto& n : named)
        if (e == n[0]) out += n[1], done = true;
      if (!done && e.size() >= 2 && e[0] == '#') {
        const bool hex = e[1] == 'x';
        const std::string digits = e.substr(hex ? 2 : 1);
        uint32_t cp = 0;
        bool ok = !digits.empty() && digits.size() <= 8;
        for (char c : digits) {
          const int d = c >= '0' && c <= '9'          ? c - '0'
                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                      : -1;
          ok = ok && d >= 0;
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d < 0 ? 0 : d);
        }
        if (!ok || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          fail("bad character reference '&" + e + ";'", line);
        append_utf8(out, cp);
        done = true;
      }
      if (!done) fail("unknown entity '&" + e + ";'", line);
      i = semi;
    }
    return out;
  }

  void attributes(const std::string& element_name) {
    std::vector<std::string> seen;
    while (true) {
      const bool spaced = !eof() && is_space(peek());
      skip_space();
      if (eof()) fail("<" + element_name + "> not closed with '>'");
      if (peek() == '>' || starts("/>")) return;
      if (!spaced) fail("expected a space before an attribute of <" + element_name + ">");
      const std::string attr = name("an attribute");
      for (const std::string& s : seen)
        if (s == attr) fail("attribute '" + attr + "' given twice");
      seen.push_back(attr);
      skip_space();
      if (eof() || peek() != '=') fail("attribute '" + attr + "' has no '=value'");
      advance();
      skip_space();
      if (eof() || (peek() != '"' && peek() != '\'')) fail("attribute '" + attr + "' not quoted");
      const char quote = peek();
      const int line = line_;
      advance();
      const size_t end = s_.find(quote, pos_);
      if (end == std::string::npos) fail("attribute '" + attr + "' not closed", line);
      const std::string raw = s_.substr(pos_, end - pos_);
      if (raw.find('<') != std::string::npos) fail("'<' in attribute '" + attr + "'", line);
      decode(raw, line);  // checked, then dropped
      advance(end - pos_ + 1);
    }
  }

  XmlElement element(int depth) {
    if (depth >= kMaxDepth) fail(minidl::str("elements nested deeper than ", kMaxDepth));
    XmlElement e;
    e.line = line_;
    advance();  // '<'
    e.name = name("an element");
    attributes(e.name);
    if (starts("/>")) {
      advance(2);
      return e;
    }
    advance();  // '>'
    std::string text;
    while (true) {
      if (eof()) fail("<" + e.name + "> is not closed", e.line);
      if (starts("</")) {
        advance(2);
        const std::string closing = name("a closing tag");
        skip_space();
        if (eof() || peek() != '>') fail("</" + closing + " not closed with '>'");
        if (closing != e.name)
          fail(minidl::str("</", closing, "> closes <", e.name, "> of line ", e.line));
        advance();
        break;
      }
      if (starts("<!--")) {
        comment();
      } else if (starts("<![CDATA[")) {
        fail("CDATA sections are not supported");
      } else if (starts("<?")) {
        instruction();
      } else if (starts("<!")) {
        fail("unexpected '<!'");
      } else if (peek() == '<') {
        e.children.push_back(element(depth + 1));
      } else {
        const int line = line_;
        const size_t end = s_.find('<', pos_);
        const size_t stop = end == std::string::npos ? s_.size() : end;
        text += decode(s_.substr(pos_, stop - pos_), line);
        advance(stop - pos_);
      }
    }
    e.text = trim(text);
    return e;
  }

  const std::string& s_;
  const std::string& file_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

XmlElement parse_xml(const std::string& text, const std::string& file) {
  return Parser(text, file).document();
}

}  // namespace yolo
