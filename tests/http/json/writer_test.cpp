// Tests for http/json/writer.hpp: string escaping (controls, quotes,
// UTF-8 kept, invalid UTF-8 replaced), commas and nesting, numbers. Every
// output is also fed back through simdjson to prove it is valid JSON.
#include "http/json/writer.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace ringlane::http {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Parses `json` as one string value and returns it unescaped.
std::string read_back_string(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view v;
  EXPECT_EQ(parser.parse(json).get_string().get(v), simdjson::SUCCESS) << json;
  return std::string(v);
}

// Parses `json` as an array and returns element i as a double (NaN if it
// is not a number simdjson reads as one).
double read_back_double(const std::string& json, std::size_t i) {
  simdjson::dom::parser parser;
  double d = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(parser.parse(json).at(i).get_double().get(d), simdjson::SUCCESS) << json << " [" << i << "]";
  return d;
}

TEST(JsonString, PlainAsciiIsQuotedOnly) {
  EXPECT_EQ(json_quoted(""), R"("")");
  EXPECT_EQ(json_quoted("hello world, 0123456789 ~/"), R"("hello world, 0123456789 ~/")");
}

TEST(JsonString, ShortEscapes) {
  EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonString, OtherControlsAsUnicodeEscapes) {
  EXPECT_EQ(json_quoted(std::string("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(json_quoted("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
}

TEST(JsonString, EveryAsciiByteRoundTrips) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(read_back_string(json_quoted(all)), all);
}

TEST(JsonString, SpecialBytesAtEveryPositionOfAWord) {
  // The 8-byte scan must not skip a byte wherever it sits in the word.
  for (std::size_t at = 0; at < 20; ++at) {
    for (char c : {'"', '\\', '\n', '\x01'}) {
      std::string s(20, 'x');
      s[at] = c;
      EXPECT_EQ(read_back_string(json_quoted(s)), s) << at << " " << int(c);
    }
  }
}

TEST(JsonString, ValidUtf8PassesThrough) {
  std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf";
  EXPECT_EQ(json_quoted(s), "\"" + s + "\"");
}

TEST(JsonString, InvalidUtf8BytesBecomeReplacementEscapes) {
  EXPECT_EQ(json_quoted("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(json_quoted("\x80"), R"("\ufffd")");                      // lone continuation
  EXPECT_EQ(json_quoted("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(json_quoted("\xe0\x80\xaf"), R"("\ufffd\ufffd\ufffd")");  // overlong, 3 bytes
  EXPECT_EQ(json_quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(json_quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(json_quoted("\xe2\x82"), R"("\ufffd\ufffd")");            // truncated at the end
  EXPECT_EQ(json_quoted("\xe2\x82x"), R"("\ufffd\ufffdx")");          // truncated mid-string
  EXPECT_EQ(json_quoted("\xc3\xa9\xa9"), "\"\xc3\xa9\\ufffd\"");       // valid, then a stray byte
}

TEST(JsonString, AppendsAfterExistingText) {
  std::string out = "x=";
  append_json_string(out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(JsonWriter, ObjectsArraysAndCommas) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .key("id").value(7)
      .key("name").value("ringlane")
      .key("tags").begin_array().value("a").value("b").begin_array().end_array().end_array()
      .key("empty").begin_object().end_object()
      .key("nested").begin_object().key("x").null().key("y").value(true).key("z").value(false).end_object()
      .key("raw").raw(R"({"pre":[1,2]})")
      .end_object();
  EXPECT_EQ(out,
            R"({"id":7,"name":"ringlane","tags":["a","b",[]],"empty":{},)"
            R"("nested":{"x":null,"y":true,"z":false},"raw":{"pre":[1,2]}})");
  EXPECT_EQ(w.depth(), 0u);
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).error(), simdjson::SUCCESS);
}

TEST(JsonWriter, ArrayOfObjects) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i) w.begin_object().key("i").value(i).end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(JsonWriter, DeepNestingUpToTheLimit) {
  std::string out;
  json_writer w(out);
  for (unsigned i = 0; i < json_writer::max_depth; ++i) w.begin_array().value(static_cast<int>(i));
  for (unsigned i = 0; i < json_writer::max_depth; ++i) w.end_array().value(-1);
  std::string expect;
  for (unsigned i = 0; i < json_writer::max_depth; ++i) {
    // append() rather than "[" + ... : GCC 12 warns (-Wrestrict) on that.
    expect.append("[").append(std::to_string(i)).append(",");
  }
  expect.pop_back();
  for (unsigned i = 0; i < json_writer::max_depth; ++i) {
    expect += (i + 1 < json_writer::max_depth) ? "],-1" : "]-1";
  }
  EXPECT_EQ(out, expect);  // the top level has no commas: -1 follows directly
}

TEST(JsonWriter, NullCString) {
  std::string out;
  json_writer w(out);
  const char* none = nullptr;
  w.begin_array().value(none).value("s").end_array();
  EXPECT_EQ(out, R"([null,"s"])");
}

TEST(JsonWriter, Integers) {
  std::string out;
  json_writer w(out);
  w.begin_array()
      .value(0)
      .value(-1)
      .value(std::numeric_limits<std::int64_t>::min())
      .value(std::numeric_limits<std::uint64_t>::max())
      .value(42u)
      .value(7LL)
      .end_array();
  EXPECT_EQ(out, "[0,-1,-9223372036854775808,18446744073709551615,42,7]");
}

TEST(JsonWriter, DoublesShortestRoundTrip) {
  std::string out;
  json_writer w(out);
  w.begin_array()
      .value(0.1)
      .value(1.0)
      .value(-0.0)
      .value(1e300)
      .value(2.5e-8)
      .value(123456.789)
      .value(std::numeric_limits<double>::quiet_NaN())
      .value(std::numeric_limits<double>::infinity())
      .value(-std::numeric_limits<double>::infinity())
      .end_array();
  EXPECT_EQ(out, "[0.1,1,-0,1e+300,2.5e-08,123456.789,null,null,null]");
  EXPECT_EQ(read_back_double(out, 0), 0.1);
  EXPECT_EQ(read_back_double(out, 4), 2.5e-8);
}

// Plain digits are shorter for large doubles with many significant digits,
// but past 1e16 (beyond what int64 parsers take) they get an exponent.
TEST(JsonWriter, LargeDoublesKeepAnExponent) {
  std::string out;
  json_writer w(out);
  w.begin_array()
      .value(-5.9944289696919273e19)
      .value(1.2345678901234567e18)
      .value(9.007199254740993e15)  // below 1e16: plain digits read as int64
      .value(1e16)
      .end_array();
  EXPECT_EQ(out, "[-5.994428969691927e+19,1.2345678901234568e+18,9007199254740992,1e+16]");
  EXPECT_EQ(read_back_double(out, 0), -5.9944289696919273e19);
  EXPECT_EQ(read_back_double(out, 1), 1.2345678901234567e18);
  EXPECT_EQ(read_back_double(out, 3), 1e16);
}

TEST(JsonWriter, EscapedKeys) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("a\"b").value("c\nd").end_object();
  EXPECT_EQ(out, R"({"a\"b":"c\nd"})");
}

}  // namespace
}  // namespace ringlane::http
