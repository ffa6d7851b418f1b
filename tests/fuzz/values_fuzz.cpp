// values_fuzz -- libFuzzer target for what handlers read out of a request
// and what they write back: path decoding, query strings, cookies, and JSON
// strings and numbers. Each oracle is a promise the headers make:
//   - a decoded path (of a target the parser would pass on) starts with '/',
//     never climbs, and percent-encoding it then decoding again gives the
//     same path;
//   - query_value / cookie_value agree with the first pair parse_* returns;
//     cookie names are tokens and every view lies inside the header;
//   - append_json_string always yields one valid JSON string in valid UTF-8,
//     equal to the input when the input is valid UTF-8;
//   - a finite double written by json_writer reads back as the same double.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "http/json/writer.hpp"
#include "http/proto/cookies.hpp"
#include "http/proto/query.hpp"
#include "http/proto/uri.hpp"
#include "http/ws/utf8.hpp"

namespace {

using namespace ringlane::http;

// A broken promise: say which, then abort (libFuzzer keeps the input).
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "values_fuzz.cpp:%d: CHECK(%s) failed\n", __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= '0' && u <= '9') return true;
  if ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

void paths(std::string_view in) {
  for (const char c : in) {  // the parser lets no such byte into a target
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return;
  }
  std::string decoded;
  if (!decode_path(in, decoded)) return;
  CHECK(!decoded.empty() && decoded.front() == '/');
  CHECK(decoded.size() <= in.size());
  CHECK(decoded.find('\0') == std::string::npos);  // %00 is refused
  CHECK(decoded.find("/../") == std::string::npos && decoded.find("/./") == std::string::npos);
  std::string encoded;
  percent_encode_path(decoded, encoded);
  for (const char c : encoded) CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
  std::string again;
  CHECK(decode_path(encoded, again));
  CHECK(again == decoded);
}

void queries(std::string_view in) {
  const auto params = parse_query(in);
  for (const query_param& p : params) {
    CHECK(!p.name.empty());
    const auto v = query_value(in, p.name);
    CHECK(v.has_value());
    for (const query_param& q : params) {  // the first pair of that name wins
      if (q.name == p.name) {
        CHECK(*v == q.value);
        break;
      }
    }
  }
}

void cookies(std::string_view in) {
  const auto all = parse_cookies(in);
  for (const cookie& c : all) {
    CHECK(!c.name.empty() && inside(c.name, in) && inside(c.value, in));
    for (const char ch : c.name) CHECK(is_tchar(ch));
    const auto v = cookie_value(in, c.name);
    CHECK(v.has_value());
    for (const cookie& d : all) {
      if (d.name == c.name) {
        CHECK(*v == d.value);
        break;
      }
    }
  }
}

void json_strings(std::string_view in, simdjson::dom::parser& parser) {
  std::string out;
  append_json_string(out, in);
  CHECK(ringlane::http::ws::valid_utf8(out));
  simdjson::dom::element e;
  CHECK(parser.parse(out).get(e) == simdjson::SUCCESS);
  std::string_view s;
  CHECK(e.get_string().get(s) == simdjson::SUCCESS);
  if (ringlane::http::ws::valid_utf8(in)) CHECK(s == in);
}

void json_number(std::string_view in, simdjson::dom::parser& parser) {
  if (in.size() < sizeof(double)) return;
  double v;
  std::memcpy(&v, in.data(), sizeof v);
  std::string out;
  json_writer(out).value(v);
  simdjson::dom::element e;
  CHECK(parser.parse(out).get(e) == simdjson::SUCCESS);
  if (v != v || v - v != 0) {  // NaN or an infinity: null
    CHECK(e.is_null());
    return;
  }
  double back;
  if (e.get_double().get(back) != simdjson::SUCCESS) {  // written as an integer
    std::int64_t i;
    CHECK(e.get_int64().get(i) == simdjson::SUCCESS);
    back = static_cast<double>(i);
  }
  CHECK(back == v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static simdjson::dom::parser parser;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  paths(in);
  queries(in);
  cookies(in);
  json_strings(in, parser);
  json_number(in, parser);
  return 0;
}
