// darknet .cfg files as text (darknet.h): sections and key=value options with their line
// numbers, read the way darknet's parser reads them (every space and tab removed, # and ; start
// a comment). What the keys mean is build_darknet_network's business (darknet.cpp).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "apps/yolo_v1/darknet.h"

namespace yolo {

std::string darknet_clip(std::string_view s) {
  constexpr size_t kMax = 80;  // characters of `s` shown
  std::string out;
  size_t shown = 0;
  for (; shown < s.size() && shown < kMax; ++shown) {
    const auto c = static_cast<unsigned char>(s[shown]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      const char* hex = "0123456789abcdef";
      out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    }
  }
  if (shown < s.size()) out += "...";
  return out;
}

DarknetConfig parse_darknet_cfg_text(const std::string& text, const std::string& file) {
  DarknetConfig cfg;
  cfg.file = file;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  std::unordered_map<std::string, int> seen;  // the keys of the current section -> their line
  while (std::getline(in, raw)) {
    ++line;
    // darknet's strip(): every space and tab goes, wherever it is ("hue = .1" is hue=.1).
    std::string s;
    for (char c : raw)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') s += c;
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    if (s[0] == '[') {
      MINIDL_CHECK(s.size() > 2 && s.back() == ']', file, ":", line,
                   ": a section header reads [type], got '", darknet_clip(s), "'");
      cfg.sections.push_back({s.substr(1, s.size() - 2), line, {}});
      seen.clear();
      continue;
    }
    const size_t eq = s.find('=');
    MINIDL_CHECK(eq != std::string::npos, file, ":", line,
                 ": expected key=value or [section], got '", darknet_clip(s), "'");
    MINIDL_CHECK(!cfg.sections.empty(), file, ":", line, ": '", darknet_clip(s),
                 "' comes before the first [section]");
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    MINIDL_CHECK(!key.empty(), file, ":", line, ": no key before '=' in '", darknet_clip(s), "'");
    MINIDL_CHECK(!value.empty(), file, ":", line, ": ", darknet_clip(key), " has no value");
    const auto [first, fresh] = seen.emplace(key, line);
    MINIDL_CHECK(fresh, file, ":", line, ": ", darknet_clip(key), " is set twice in [",
                 darknet_clip(cfg.sections.back().type), "] (first at line ", first->second, ")");
    cfg.sections.back().options.push_back({std::move(key), std::move(value), line});
  }
  return cfg;
}

DarknetConfig parse_darknet_cfg(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  MINIDL_CHECK(in, "cannot read '", path.string(), "': ", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  MINIDL_CHECK(!in.bad(), "cannot read '", path.string(), "': read failed");
  return parse_darknet_cfg_text(text.str(), path.string());
}

}  // namespace yolo
