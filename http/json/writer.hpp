// writer.hpp -- JSON out: a string escaper and a streaming writer.
//
//   std::string out;
//   json_writer w(out);
//   w.begin_object()
//      .key("id").value(7)
//      .key("tags").begin_array().value("a").value("b").end_array()
//    .end_object();                      // {"id":7,"tags":["a","b"]}
//
// The writer appends straight into `out` and tracks only what it needs to
// place commas: one bit per nesting level ("this level already holds a
// value") and whether a key is waiting for its value. Nothing allocates
// except `out` growing, and a reused `out` stops doing that too.
//
// The writer trusts its caller about structure: it does not check that
// keys appear only in objects or that every begin has its end (debug
// builds assert on the depth). Nesting deeper than max_depth is a caller
// bug; release builds keep writing, but commas at the levels beyond share
// one bit and may come out wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace ringlane::http {

// Appends `s` as a JSON string: quoted; '"' '\\' and the controls \b \f \n
// \r \t as short escapes, other bytes below 0x20 as \u00XX; well-formed
// UTF-8 copied as is; every byte that is not part of a well-formed UTF-8
// sequence (stray continuation bytes, overlong forms, surrogates, beyond
// U+10FFFF, truncated sequences) becomes \ufffd, so the output is always
// valid JSON in valid UTF-8.
void append_json_string(std::string& out, std::string_view s);

// The overloads below assume LP64 Linux, where std::int64_t is long and
// long long is a separate type that needs its own overload.
static_assert(!std::is_same_v<long long, std::int64_t>, "json_writer overloads assume LP64");

class json_writer {
 public:
  static constexpr unsigned max_depth = 64;

  explicit json_writer(std::string& out) noexcept : out_(&out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);

  json_writer& value(std::string_view s);
  json_writer& value(const char* s);  // null pointer -> null
  json_writer& value(std::int64_t v);
  json_writer& value(std::uint64_t v);
  json_writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
  json_writer& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
  json_writer& value(long long v) { return value(static_cast<std::int64_t>(v)); }
  json_writer& value(unsigned long long v) { return value(static_cast<std::uint64_t>(v)); }
  // Shortest text that reads back as the same double; NaN and infinities
  // have no JSON form and are written as null.
  json_writer& value(double v);
  json_writer& value(bool b);
  json_writer& null();
  // A value that is already JSON, copied verbatim (not validated).
  json_writer& raw(std::string_view json);

  unsigned depth() const noexcept { return depth_; }

 private:
  void before_value();  // the comma, unless first at its level or after a key
  void open(char c);
  void close(char c);

  std::string* out_;
  std::uint64_t has_items_ = 0;  // bit d-1: level d already holds a value
  unsigned depth_ = 0;
  bool after_key_ = false;
};

}  // namespace ringlane::http
