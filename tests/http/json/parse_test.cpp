// Tests for http/json/parse.hpp: success, errors as values, the in-place
// path for padded bodies and the copy path for the rest, and reuse.
#include "http/json/parse.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringlane::http {
namespace {

// A body the way the engine makes them: spare capacity for the padding.
std::string padded_body(std::string_view json) {
  std::string s;
  s.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  s.assign(json);
  return s;
}

TEST(JsonBody, ParsesAndReadsFields) {
  json_body j;
  std::string body = padded_body(R"({"id": 42, "name": "ring\nlane", "tags": [1, 2, 3]})");
  ASSERT_EQ(j.parse(body), simdjson::SUCCESS);
  std::int64_t id = 0;
  ASSERT_EQ(j.doc()["id"].get_int64().get(id), simdjson::SUCCESS);
  EXPECT_EQ(id, 42);
  std::string_view name;
  ASSERT_EQ(j.doc()["name"].get_string().get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "ring\nlane");
  simdjson::ondemand::array tags;
  ASSERT_EQ(j.doc()["tags"].get_array().get(tags), simdjson::SUCCESS);
  std::int64_t sum = 0;
  for (auto t : tags) {
    std::int64_t v = 0;
    ASSERT_EQ(t.get_int64().get(v), simdjson::SUCCESS);
    sum += v;
  }
  EXPECT_EQ(sum, 6);
}

TEST(JsonBody, PaddedBodyIsParsedInPlace) {
  json_body j;
  std::string body = padded_body(R"({"k":[1,2]})");
  ASSERT_EQ(j.parse(body), simdjson::SUCCESS);
  EXPECT_TRUE(j.parsed_in_place());
  std::string_view raw;
  ASSERT_EQ(j.doc()["k"].raw_json_token().get(raw), simdjson::SUCCESS);
  // The token is a view of the body itself: no copy was made.
  EXPECT_GE(raw.data(), body.data());
  EXPECT_LT(raw.data(), body.data() + body.size());
}

TEST(JsonBody, UnpaddedBodyIsCopied) {
  json_body j;
  std::string body = R"({"k":"v"})";
  body.shrink_to_fit();
  ASSERT_LT(body.capacity() - body.size(), simdjson::SIMDJSON_PADDING);
  ASSERT_EQ(j.parse(body), simdjson::SUCCESS);
  EXPECT_FALSE(j.parsed_in_place());
  std::string_view raw;
  ASSERT_EQ(j.doc()["k"].raw_json_token().get(raw), simdjson::SUCCESS);
  EXPECT_TRUE(raw.data() < body.data() || raw.data() >= body.data() + body.size());
  std::string_view v;
  ASSERT_EQ(j.doc()["k"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "v");
}

TEST(JsonBody, ErrorsAreReturned) {
  json_body j;
  EXPECT_EQ(j.parse(padded_body("")), simdjson::EMPTY);
  EXPECT_EQ(j.parse(padded_body("   \n")), simdjson::EMPTY);
  EXPECT_EQ(j.parse(padded_body(R"({"a":"unterminated)")), simdjson::UNCLOSED_STRING);
  EXPECT_EQ(j.parse(padded_body("\"\xff\"")), simdjson::UTF8_ERROR);
  EXPECT_EQ(j.parse(padded_body(std::string("\"a\x01\"", 4))), simdjson::UNESCAPED_CHARS);
}

TEST(JsonBody, GrammarErrorsSurfaceOnAccess) {
  json_body j;
  std::string body = padded_body(R"({"a": tru})");
  ASSERT_EQ(j.parse(body), simdjson::SUCCESS);  // On-Demand: checked lazily
  bool b = false;
  EXPECT_NE(j.doc()["a"].get_bool().get(b), simdjson::SUCCESS);
  std::string body2 = padded_body(R"({"a": 1})");
  std::string_view s;
  ASSERT_EQ(j.parse(body2), simdjson::SUCCESS);
  EXPECT_EQ(j.doc()["a"].get_string().get(s), simdjson::INCORRECT_TYPE);
}

TEST(JsonBody, ReusedForManyBodies) {
  json_body j;
  for (int i = 0; i < 100; ++i) {
    std::string body = R"({"n":)";
    body.append(std::to_string(i)).append(static_cast<std::size_t>(i), ' ').append("}");
    if (i % 2) body.shrink_to_fit();  // alternate the two paths
    ASSERT_EQ(j.parse(body), simdjson::SUCCESS) << i;
    std::uint64_t n = 0;
    ASSERT_EQ(j.doc()["n"].get_uint64().get(n), simdjson::SUCCESS) << i;
    EXPECT_EQ(n, static_cast<std::uint64_t>(i));
  }
}

TEST(JsonBody, LargeBody) {
  std::string json = "[";
  for (int i = 0; i < 10000; ++i) json += std::to_string(i) + ",";
  json.back() = ']';
  json_body j;
  std::string body = padded_body(json);
  ASSERT_EQ(j.parse(body), simdjson::SUCCESS);
  std::int64_t sum = 0;
  simdjson::ondemand::array a;
  ASSERT_EQ(j.doc().get_array().get(a), simdjson::SUCCESS);
  for (auto v : a) {
    std::int64_t x = 0;
    ASSERT_EQ(v.get_int64().get(x), simdjson::SUCCESS);
    sum += x;
  }
  EXPECT_EQ(sum, 10000LL * 9999 / 2);
}

}  // namespace
}  // namespace ringlane::http
