// Range field parsing against RFC 9110 14.1.2's examples and its edges.
#include "http/files/range.hpp"

#include <gtest/gtest.h>

namespace ringlane::http {
namespace {

struct outcome {
  range_result result;
  std::uint64_t first = 0, last = 0;
};

outcome parse(std::string_view h, std::uint64_t size) {
  byte_range r;
  const range_result res = parse_range(h, size, r);
  return {res, r.first, r.last};
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
  for (std::string_view h : {"", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2,4-5", "items=0-1", "bytes=-",
                             "bytes=1", "bytes=+1-2", "bytes=99999999999999999999-", "bytes 0-1"})
    EXPECT_EQ(parse(h, 100).result, range_result::ignore) << h;
}

}  // namespace
}  // namespace ringlane::http
