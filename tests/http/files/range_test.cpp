// Range field parsing against RFC 9110 14.1.2's examples and its edges.
#include "http/files/range.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringlane::http {
namespace {

struct outcome {
  range_result result;
  std::uint64_t first = 0, last = 0;
};

// One-range outcomes: the single range taken, if any.
outcome parse(std::string_view h, std::uint64_t size) {
  std::vector<byte_range> rs;
  const range_result res = parse_ranges(h, size, rs);
  if (res == range_result::satisfiable && rs.size() != 1) ADD_FAILURE() << h << ": " << rs.size() << " ranges";
  return {res, rs.empty() ? 0 : rs[0].first, rs.empty() ? 0 : rs[0].last};
}

// Several ranges: "first-last" per range taken, space-separated.
std::string ranges(std::string_view h, std::uint64_t size, std::size_t max = 16) {
  std::vector<byte_range> rs;
  const range_result res = parse_ranges(h, size, rs, max);
  if (res == range_result::ignore) return "ignore";
  if (res == range_result::unsatisfiable) return "416";
  std::string out;
  for (const byte_range& r : rs) {
    if (!out.empty()) out += ' ';
    out += std::to_string(r.first);
    out += '-';
    out += std::to_string(r.last);
  }
  return out;
}

void expect_range(std::string_view h, std::uint64_t size, std::uint64_t first, std::uint64_t last) {
  const outcome o = parse(h, size);
  ASSERT_EQ(o.result, range_result::satisfiable) << h;
  EXPECT_EQ(o.first, first) << h;
  EXPECT_EQ(o.last, last) << h;
}

TEST(Range, TheThreeForms) {
  expect_range("bytes=0-499", 10000, 0, 499);
  expect_range("bytes=500-999", 10000, 500, 999);
  expect_range("bytes=9500-", 10000, 9500, 9999);
  expect_range("bytes=-500", 10000, 9500, 9999);
  expect_range("BYTES=0-0", 10000, 0, 0);
}

TEST(Range, ClampedToTheRepresentation) {
  expect_range("bytes=0-99999", 100, 0, 99);  // last beyond the end
  expect_range("bytes=-500", 100, 0, 99);     // suffix longer than the whole
}

TEST(Range, UnsatisfiableStartsAtOrAfterTheEnd) {
  EXPECT_EQ(parse("bytes=100-", 100).result, range_result::unsatisfiable);
  EXPECT_EQ(parse("bytes=100-200", 100).result, range_result::unsatisfiable);
  EXPECT_EQ(parse("bytes=-0", 100).result, range_result::unsatisfiable);
  EXPECT_EQ(parse("bytes=0-", 0).result, range_result::unsatisfiable);
  EXPECT_EQ(parse("bytes=-5", 0).result, range_result::unsatisfiable);
}

TEST(Range, WhatWeIgnoreAndServeWhole) {
  for (std::string_view h : {"", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2,4-x", "items=0-1", "bytes=-",
                             "bytes=1", "bytes=+1-2", "bytes=99999999999999999999-", "bytes 0-1", "bytes= , ,"})
    EXPECT_EQ(parse(h, 100).result, range_result::ignore) << h;
}

TEST(Range, SeveralRangesInOrder) {
  EXPECT_EQ(ranges("bytes=0-9,50-59", 100), "0-9 50-59");
  EXPECT_EQ(ranges("bytes=0-9, 50-59 ,-5", 100), "0-9 50-59 95-99");  // OWS around specs
  EXPECT_EQ(ranges("bytes=0-9,,50-59,", 100), "0-9 50-59");           // empty list elements
  EXPECT_EQ(ranges("bytes=0-9,500-599", 100), "0-9");                 // past the end: dropped
  EXPECT_EQ(ranges("bytes=500-599,600-", 100), "416");                // nothing left
}

TEST(Range, OverlappingOrTouchingRangesMerge) {
  EXPECT_EQ(ranges("bytes=0-9,5-19", 100), "0-19");
  EXPECT_EQ(ranges("bytes=0-9,10-19,30-39", 100), "0-19 30-39");
  EXPECT_EQ(ranges("bytes=0-49,10-19", 100), "0-49");
  EXPECT_EQ(ranges("bytes=0-0,0-0", 100), "0-0");
}

TEST(Range, DescendingOrTooManyRangesAreIgnored) {
  EXPECT_EQ(ranges("bytes=50-59,0-9", 100), "ignore");  // RFC 9110 14.3 lets a server refuse these
  EXPECT_EQ(ranges("bytes=0-0,2-2,4-4", 100, 2), "ignore");
  EXPECT_EQ(ranges("bytes=0-0,2-2", 100, 2), "0-0 2-2");
}

}  // namespace
}  // namespace ringlane::http
