// Tests for http/proto/query: form-encoded pairs of a query string.
#include "http/proto/query.hpp"

#include <gtest/gtest.h>

namespace ringlane::http {
namespace {

TEST(ParseQuery, DecodesPairsInOrder) {
  const std::vector<query_param> q = parse_query("a=1&b=x+y&c=%41&d");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].name, "a");
  EXPECT_EQ(q[0].value, "1");
  EXPECT_EQ(q[1].name, "b");
  EXPECT_EQ(q[1].value, "x y");
  EXPECT_EQ(q[2].name, "c");
  EXPECT_EQ(q[2].value, "A");
  EXPECT_EQ(q[3].name, "d");  // no '=': empty value
  EXPECT_EQ(q[3].value, "");
}

TEST(ParseQuery, SkipsEmptyPairsAndEmptyNames) {
  const std::vector<query_param> q = parse_query("&a=1&&=x&b=&");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "a");
  EXPECT_EQ(q[1].name, "b");
  EXPECT_EQ(q[1].value, "");
  EXPECT_TRUE(parse_query("").empty());
}

TEST(ParseQuery, KeepsBadEscapesAsSentAndSplitsAtTheFirstEquals) {
  const std::vector<query_param> q = parse_query("a%zz=1%&k=v=w&n%20m=%3D");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].name, "a%zz");
  EXPECT_EQ(q[0].value, "1%");
  EXPECT_EQ(q[1].value, "v=w");
  EXPECT_EQ(q[2].name, "n m");
  EXPECT_EQ(q[2].value, "=");
}

TEST(QueryValue, FindsTheFirstMatchDecoded) {
  EXPECT_EQ(query_value("a=1&b=x+y&a=2", "a"), std::optional<std::string>("1"));
  EXPECT_EQ(query_value("a=1&b=x+y%21", "b"), std::optional<std::string>("x y!"));
  EXPECT_EQ(query_value("first+name=Jo", "first name"), std::optional<std::string>("Jo"));
  EXPECT_EQ(query_value("flag&x=1", "flag"), std::optional<std::string>(""));
  EXPECT_EQ(query_value("a=1", "A"), std::nullopt);  // case-sensitive
  EXPECT_EQ(query_value("ab=1", "a"), std::nullopt);
  EXPECT_EQ(query_value("", "a"), std::nullopt);
}

}  // namespace
}  // namespace ringlane::http
