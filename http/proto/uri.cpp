#include "http/proto/uri.hpp"

#include <cstring>

namespace ringlane::http {
namespace {

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded bytes of `in`. Runs without escapes are copied in one
// append, so a path with a single "%20" costs three appends, not one per byte.
bool decode_append(std::string_view in, std::string& out, bool plus_is_space, bool reject_nul) {
  std::size_t run = 0;  // start of the pending literal run
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;  // truncated escape
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0' && reject_nul) return false;
      out.append(in.data() + run, i - run);
      out.push_back(decoded);
      i += 2;
      run = i + 1;
    } else if (c == '+' && plus_is_space) {
      out.append(in.data() + run, i - run);
      out.push_back(' ');
      run = i + 1;
    }
  }
  out.append(in.data() + run, in.size() - run);
  return true;
}

// RFC 3986 5.2.4 in place on out[base, end): segments are copied down over
// removed ones with a read index r and a write index w (w <= r always), so
// no second buffer is needed. A trailing "." or ".." leaves a trailing '/'
// ("/a/." -> "/a/", "/a/b/.." -> "/a/"), as the RFC's algorithm does.
bool remove_dot_segments(std::string& out, std::size_t base) {
  char* s = out.data();
  const std::size_t end = out.size();
  std::size_t r = base, w = base;
  while (r < end) {  // s[r] == '/'
    const char* slash = static_cast<const char*>(std::memchr(s + r + 1, '/', end - r - 1));
    const std::size_t seg_end = slash ? static_cast<std::size_t>(slash - s) : end;
    const std::size_t len = seg_end - r - 1;
    const bool last = seg_end == end;
    if (len == 1 && s[r + 1] == '.') {
      if (last) s[w++] = '/';
    } else if (len == 2 && s[r + 1] == '.' && s[r + 2] == '.') {
      if (w == base) return false;  // would climb above root
      while (s[--w] != '/') {
      }
      if (last) s[w++] = '/';
    } else {
      std::memmove(s + w, s + r, len + 1);
      w += len + 1;
    }
    r = seg_end;
  }
  out.resize(w);
  return true;
}

}  // namespace

bool decode_path_append(std::string_view raw, std::string& out) {
  if (raw.empty() || raw.front() != '/') return false;
  const std::size_t base = out.size();
  // raw[0] is a literal '/', so the decoded path begins with one too, which
  // remove_dot_segments relies on.
  return decode_append(raw, out, false, true) && remove_dot_segments(out, base);
}

bool decode_path(std::string_view raw, std::string& out) {
  out.clear();
  return decode_path_append(raw, out);
}

void percent_encode_path(std::string_view path, std::string& out) {
  // pchar (RFC 3986 3.3) and '/': unreserved, sub-delims, ':' and '@'.
  auto as_is = [](unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos;
  };
  static constexpr char hex[] = "0123456789ABCDEF";
  out.reserve(out.size() + path.size());
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (as_is(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  return decode_append(in, out, plus_is_space, false);
}

}  // namespace ringlane::http
