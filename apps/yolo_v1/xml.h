// A small, strict XML reader for annotation files such as Pascal VOC's: elements, their text and
// children, with line numbers for messages. Attributes are read and dropped; comments, the XML
// declaration and processing instructions are skipped; the five predefined entities and numeric
// character references are decoded. DOCTYPE and CDATA are refused, as is anything malformed.
#pragma once

#include <string>
#include <vector>

namespace yolo {

struct XmlElement {
  std::string name;
  std::string text;  // the element's own character data, concatenated, surrounding space trimmed
  int line = 0;      // the line of its start tag
  std::vector<XmlElement> children;

  /// The first child called `name`, or null.
  const XmlElement* child(const std::string& name) const;
  /// Every child called `name`, in document order.
  std::vector<const XmlElement*> children_named(const std::string& name) const;
};

/// Parses a whole document and returns its root element. `file` names it in messages. Throws
/// minidl::Error "file:line: malformed XML: reason" for a tag that is not closed or closed by
/// another name, a second root element, text outside the root, a bad name, attribute, entity or
/// comment, a DOCTYPE or CDATA section, and an empty document.
XmlElement parse_xml(const std::string& text, const std::string& file);

}  // namespace yolo
