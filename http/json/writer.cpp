// writer.cpp -- see writer.hpp.
#include "http/json/writer.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

namespace ringlane::http {
namespace {

// True when one of the 8 bytes in `w` needs attention: '"', '\\', a
// control byte (< 0x20) or a non-ASCII byte (>= 0x80, UTF-8 to validate).
// The classic "has a zero / has a byte less than n" bit tricks: they may
// flag extra bytes *after* a real hit, never miss one, and are exact about
// whether the word has any hit at all, which is all we ask.
bool word_needs_care(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  std::uint64_t controls = (w - 0x20 * ones) & ~w & highs;
  return ((w & highs) | controls | has_zero(w ^ ('"' * ones)) | has_zero(w ^ ('\\' * ones))) != 0;
}

bool byte_needs_care(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

// The length of the well-formed UTF-8 sequence at p (Unicode 15, table
// 3-7), or 0 if there is none. The second byte's range depends on the lead
// byte: that is what rules out overlong forms, surrogates (ED A0..BF) and
// code points above U+10FFFF (F4 90..).
std::size_t utf8_sequence(const unsigned char* p, std::size_t n) noexcept {
  unsigned char c = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // a continuation byte on its own, C0, C1, or F5..FF
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return len;
}

// Appends the escape for one ASCII byte that needs one.
void append_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out.append("\\\"", 2); return;
    case '\\': out.append("\\\\", 2); return;
    case '\b': out.append("\\b", 2); return;
    case '\f': out.append("\\f", 2); return;
    case '\n': out.append("\\n", 2); return;
    case '\r': out.append("\\r", 2); return;
    case '\t': out.append("\\t", 2); return;
    default: {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      out.append(u, 6);
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  out.reserve(out.size() + n + 2);  // exact for the common case, nothing to escape
  out.push_back('"');
  std::size_t i = 0;
  while (i < n) {
    // Find the end of the run that can be copied as is, 8 bytes at a time.
    std::size_t run = i;
    while (run + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + run, 8);
      if (word_needs_care(w)) break;
      run += 8;
    }
    while (run < n && !byte_needs_care(p[run])) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i == n) break;
    // p[i] needs care.
    if (p[i] < 0x80) {
      append_escape(out, p[i]);
      ++i;
    } else if (std::size_t len = utf8_sequence(p + i, n - i)) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\\ufffd", 6);  // one replacement per offending byte
      ++i;
    }
  }
  out.push_back('"');
}

void json_writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  // Levels beyond max_depth share the last bit (see writer.hpp).
  std::uint64_t bit = std::uint64_t{1} << (depth_ <= max_depth ? depth_ - 1 : max_depth - 1);
  if (has_items_ & bit) out_->push_back(',');
  has_items_ |= bit;
}

void json_writer::open(char c) {
  before_value();
  out_->push_back(c);
  ++depth_;
  assert(depth_ <= max_depth && "json_writer: nesting deeper than max_depth");
  if (depth_ <= max_depth) has_items_ &= ~(std::uint64_t{1} << (depth_ - 1));
}

void json_writer::close(char c) {
  assert(depth_ > 0 && "json_writer: end without begin");
  out_->push_back(c);
  if (depth_ > 0) --depth_;
  after_key_ = false;
}

json_writer& json_writer::begin_object() {
  open('{');
  return *this;
}
json_writer& json_writer::end_object() {
  close('}');
  return *this;
}
json_writer& json_writer::begin_array() {
  open('[');
  return *this;
}
json_writer& json_writer::end_array() {
  close(']');
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  before_value();
  append_json_string(*out_, k);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  before_value();
  append_json_string(*out_, s);
  return *this;
}

json_writer& json_writer::value(const char* s) {
  if (!s) return null();
  return value(std::string_view(s));
}

json_writer& json_writer::value(std::int64_t v) {
  before_value();
  char buf[24];
  out_->append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf));
  return *this;
}

json_writer& json_writer::value(std::uint64_t v) {
  before_value();
  char buf[24];
  out_->append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf));
  return *this;
}

json_writer& json_writer::value(double v) {
  if (!std::isfinite(v)) return null();
  before_value();
  // to_chars without a format gives the shortest round-trip form, which is
  // valid JSON ("1e+20", "-0", "0.1") -- never "nan" or "inf" here. It picks
  // plain digits when they are shorter, so 5.9944289696919273e19 would come
  // out as a 20-digit integer that parsers reading into int64 (simdjson
  // among them) refuse; past 1e16 such values are written with an exponent.
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  if (std::fabs(v) >= 1e16 && std::find_if(buf, end, [](char c) { return c == '.' || c == 'e'; }) == end) {
    end = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific).ptr;
  }
  out_->append(buf, static_cast<std::size_t>(end - buf));
  return *this;
}

json_writer& json_writer::value(bool b) {
  before_value();
  if (b) {
    out_->append("true", 4);
  } else {
    out_->append("false", 5);
  }
  return *this;
}

json_writer& json_writer::null() {
  before_value();
  out_->append("null", 4);
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  before_value();
  out_->append(json);
  return *this;
}

}  // namespace ringlane::http
