// darknet .cfg files as text (darknet.h): sections and key=value options with their line
// numbers, read the way darknet's parser reads them (every space and tab removed, # and ; start
// a comment). What the keys mean is build_darknet_network's business (darknet.cpp).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "apps/yolo_v1/darknet.h"

namespace yolo {

DarknetConfig parse_darknet_cfg_text(const std::string& text, const std::string& file) {
  DarknetConfig cfg;
  cfg.file = file;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    // darknet's strip(): every space and tab goes, wherever it is ("hue = .1" is hue=.1).
    std::string s;
    for (char c : raw)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') s += c;
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    if (s[0] == '[') {
      MINIDL_CHECK(s.size() > 2 && s.back() == ']', file, ":", line,
                   ": a section header reads [type], got '", s, "'");
      cfg.sections.push_back({s.substr(1, s.size() - 2), line, {}});
      continue;
    }
    const size_t eq = s.find('=');
    MINIDL_CHECK(eq != std::string::npos, file, ":", line,
                 ": expected key=value or [section], got '", s, "'");
    MINIDL_CHECK(!cfg.sections.empty(), file, ":", line, ": '", s,
                 "' comes before the first [section]");
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    MINIDL_CHECK(!key.empty(), file, ":", line, ": no key before '=' in '", s, "'");
    MINIDL_CHECK(!value.empty(), file, ":", line, ": ", key, " has no value");
    for (const DarknetOption& o : cfg.sections.back().options)
      MINIDL_CHECK(o.key != key, file, ":", line, ": ", key, " is set twice in [",
                   cfg.sections.back().type, "] (first at line ", o.line, ")");
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
