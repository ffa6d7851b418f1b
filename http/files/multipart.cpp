// multipart.cpp -- heads, tail and total length of a multipart/byteranges body.
#include "http/files/multipart.hpp"

#include <random>

namespace ringlane::http {

multipart_plan plan_multipart(const std::vector<byte_range>& ranges, std::uint64_t size,
                              std::string_view part_type, std::string_view boundary) {
  multipart_plan p;
  p.content_type.append("multipart/byteranges; boundary=").append(boundary);
  p.heads.reserve(ranges.size());
  for (const byte_range& r : ranges) {
    std::string h;
    if (!p.heads.empty()) h += "\r\n";  // the CRLF before a delimiter belongs to it
    h.append("--").append(boundary).append("\r\n");
    if (!part_type.empty()) h.append("Content-Type: ").append(part_type).append("\r\n");
    h.append("Content-Range: bytes ")
        .append(std::to_string(r.first))
        .append("-")
        .append(std::to_string(r.last))
        .append("/")
        .append(std::to_string(size))
        .append("\r\n\r\n");
    p.length += h.size() + r.length();
    p.heads.push_back(std::move(h));
  }
  p.tail.append("\r\n--").append(boundary).append("--\r\n");
  p.length += p.tail.size();
  return p;
}

std::string_view multipart_boundary() {
  static const std::string b = [] {
    std::random_device rd;
    const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    static constexpr char hex[] = "0123456789abcdef";
    std::string s = "ringlane-";
    for (int shift = 60; shift >= 0; shift -= 4) s += hex[(v >> shift) & 0xF];
    return s;
  }();
  return b;
}

}  // namespace ringlane::http
