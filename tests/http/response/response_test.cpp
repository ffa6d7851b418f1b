// Tests for http/response/response.hpp: the field store (set, append,
// replace, remove, case-insensitivity), injection refusal, and reuse.
#include "http/response/response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http/response/status.hpp"

namespace ringlane::http {
namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

fields all_fields(const response& r) {
  fields out;
  r.for_each_header([&](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}

TEST(Response, StartsAs200WithNothingElse) {
  response r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.header_count(), 0u);
  EXPECT_EQ(r.body(), "");
  EXPECT_EQ(r.header("content-type"), "");
  EXPECT_FALSE(r.has_header("content-type"));
}

TEST(Response, SettersChain) {
  response r;
  r.status(201).content_type("application/json").body("{}");
  EXPECT_EQ(r.status(), 201);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body(), "{}");
}

TEST(Response, HeaderLookupIgnoresCase) {
  response r;
  r.header("X-Request-Id", "abc");
  EXPECT_EQ(r.header("x-request-id"), "abc");
  EXPECT_EQ(r.header("X-REQUEST-ID"), "abc");
  EXPECT_TRUE(r.has_header("x-Request-id"));
  EXPECT_FALSE(r.has_header("x-request"));
}

TEST(Response, HeaderReplacesInPlaceKeepingOrder) {
  response r;
  r.header("a", "1").header("b", "2").header("c", "3");
  r.header("B", "a much longer value than before");
  r.header("a", "x");  // shorter: written over the old bytes
  EXPECT_EQ(all_fields(r), (fields{{"a", "x"}, {"b", "a much longer value than before"}, {"c", "3"}}));
}

TEST(Response, AddHeaderAppendsDuplicatesInOrder) {
  response r;
  r.add_header("Set-Cookie", "a=1").add_header("Vary", "Accept").add_header("set-cookie", "b=2");
  EXPECT_EQ(all_fields(r),
            (fields{{"Set-Cookie", "a=1"}, {"Vary", "Accept"}, {"set-cookie", "b=2"}}));
  EXPECT_EQ(r.header("set-cookie"), "a=1");  // the first one
}

TEST(Response, HeaderCollapsesDuplicatesIntoOne) {
  response r;
  r.add_header("set-cookie", "a=1").add_header("x", "y").add_header("set-cookie", "b=2");
  r.header("Set-Cookie", "c=3");
  EXPECT_EQ(all_fields(r), (fields{{"set-cookie", "c=3"}, {"x", "y"}}));
}

TEST(Response, RemoveHeaderRemovesEveryMatch) {
  response r;
  r.add_header("a", "1").add_header("b", "2").add_header("A", "3");
  EXPECT_TRUE(r.remove_header("a"));
  EXPECT_EQ(all_fields(r), (fields{{"b", "2"}}));
  EXPECT_FALSE(r.remove_header("a"));
}

TEST(Response, ValueMayAliasTheResponseItself) {
  response r;
  r.header("a", "first value");
  r.header("b", r.header("a"));            // appended from its own bytes
  r.header("a", r.header("b").substr(6));  // shorter, overlapping copy
  EXPECT_EQ(r.header("a"), "value");
  EXPECT_EQ(r.header("b"), "first value");
}

// The field bytes grow while the value being appended is a view of them:
// the old block must outlive the copy (ASan would see a use after free).
TEST(Response, AnAliasingValueSurvivesTheFieldBytesGrowing) {
  response r;
  const std::string long_value(100, 'v');
  r.header("a", long_value);
  r.header("b", r.header("a"));  // 202 bytes of fields: past the first block
  r.header("c", r.header("b"));
  EXPECT_EQ(r.header("a"), long_value);
  EXPECT_EQ(r.header("b"), long_value);
  EXPECT_EQ(r.header("c"), long_value);
}

TEST(Response, EmptyValueIsAllowed) {
  response r;
  r.header("x-empty", "");
  EXPECT_TRUE(r.has_header("x-empty"));
  EXPECT_EQ(r.header("x-empty"), "");
}

// body(view) takes a fast path when the bytes live elsewhere; a view of the
// body itself must still work (and ASan checks no byte is read after it
// was overwritten).
TEST(Response, BodyMayBeAViewOfItself) {
  response r;
  r.body("hello world, a body longer than the small-string buffer");
  r.body(std::string_view(r.body()).substr(6));
  EXPECT_EQ(r.body(), "world, a body longer than the small-string buffer");
  r.body(std::string_view(r.body()));
  EXPECT_EQ(r.body(), "world, a body longer than the small-string buffer");
  r.body(std::string_view(r.body()).substr(0, 5));
  EXPECT_EQ(r.body(), "world");
  r.body(std::string_view(r.body()).substr(5));  // empty, one past the end
  EXPECT_EQ(r.body(), "");
  const std::string other = "elsewhere";
  r.body(other);
  EXPECT_EQ(r.body(), "elsewhere");
}

TEST(Response, BodyTakesRvalueStrings) {
  response r;
  std::string big(1000, 'x');
  const char* data = big.data();
  r.body(std::move(big));
  EXPECT_EQ(r.body().data(), data);  // moved, not copied
  r.body() += "y";
  EXPECT_EQ(r.body().size(), 1001u);
}

TEST(Response, ClearKeepsCapacity) {
  response r;
  for (int i = 0; i < 8; ++i) r.add_header("x-field-" + std::to_string(i), std::string(40, 'v'));
  r.body(std::string(500, 'b'));
  r.status(404);
  std::size_t body_cap = r.body().capacity();
  r.clear();
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.header_count(), 0u);
  EXPECT_EQ(r.body(), "");
  EXPECT_EQ(r.body().capacity(), body_cap);
}

// release_memory() clears, then frees each buffer above `keep` bytes: a
// large response leaves nothing behind, a small one keeps its buffers.
TEST(Response, ReleaseMemoryFreesOnlyWhatGrewLarge) {
  response r;
  r.content_type("text/plain").body(std::string(100'000, 'b'));
  for (int i = 0; i < 200; ++i) r.add_header("x-field-" + std::to_string(i), std::string(40, 'v'));
  ASSERT_GT(r.retained_bytes(), 100'000u);
  r.release_memory(1024);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.header_count(), 0u);
  EXPECT_EQ(r.body(), "");
  EXPECT_LE(r.retained_bytes(), 3u * 1024);
  r.content_type("text/plain").body("still works");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.body(), "still works");

  response small;
  small.content_type("text/plain").body(std::string(500, 'b'));
  const std::size_t kept = small.retained_bytes();
  small.release_memory(1024);
  EXPECT_EQ(small.retained_bytes(), kept);
}

TEST(Response, HeaderBytesCountsTheWireForm) {
  response r;
  r.header("ab", "cde").header("f", "");
  EXPECT_EQ(r.header_bytes(), std::string("ab: cde\r\nf: \r\n").size());
}

// Response splitting: a CR, LF or NUL in a value, or a non-token name, must
// never be stored. Debug builds assert (it is a caller bug); release builds
// ignore the call.
TEST(ResponseDeathTest, InjectionIsRefused) {
  const std::pair<std::string, std::string> bad[] = {
      {"x", "a\r\nSet-Cookie: evil=1"},
      {"x", "a\nb"},
      {"x", "a\rb"},
      {"x", std::string("a\0b", 3)},
      {"x\r\ny", "v"},
      {"bad name", "v"},
      {"colon:", "v"},
      {"", "v"},
  };
  for (const auto& [name, value] : bad) {
    response r;
    EXPECT_DEBUG_DEATH(r.header(name, value), "invalid name") << name;
    EXPECT_DEBUG_DEATH(r.add_header(name, value), "invalid name") << name;
#ifdef NDEBUG
    EXPECT_EQ(r.header_count(), 0u) << name;
#endif
  }
  EXPECT_TRUE(valid_field("x", "tab\tand obs-text \xff are fine"));
  EXPECT_FALSE(valid_field("x", "a\nb"));
}

// valid_field_value() reads words of eight bytes: a forbidden byte must be
// found at every offset of a word and in the tail, and bytes below 0x0E
// that are allowed (HTAB, VT, FF) must not be mistaken for one.
TEST(Response, ValueCheckFindsForbiddenBytesAtEveryOffset) {
  for (std::size_t len : {1u, 7u, 8u, 9u, 16u, 23u, 64u}) {
    for (std::size_t at = 0; at < len; ++at) {
      for (char bad : {'\r', '\n', '\0'}) {
        std::string v(len, 'a');
        v[at] = bad;
        EXPECT_FALSE(valid_field_value(v)) << "len " << len << " at " << at << " byte " << int(bad);
      }
      std::string ok(len, 'a');
      ok[at] = at % 2 ? '\t' : '\x0c';
      EXPECT_TRUE(valid_field_value(ok)) << "len " << len << " at " << at;
    }
  }
  EXPECT_TRUE(valid_field_value(""));
  EXPECT_TRUE(valid_field_value("\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\xff\x80"));
}

TEST(ResponseDeathTest, ContentTypeRefusesInjectionToo) {
  response r;
  EXPECT_DEBUG_DEATH(r.content_type("text/html\r\nSet-Cookie: a=1"), "CR/LF/NUL");
#ifdef NDEBUG
  EXPECT_FALSE(r.has_header("content-type"));
#endif
  r.content_type("text/plain");
  r.content_type("application/json");  // replaces, in place
  EXPECT_EQ(r.header_count(), 1u);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
}

TEST(ResponseDeathTest, RefusedSetLeavesTheOldValue) {
#ifdef NDEBUG
  response r;
  r.header("location", "/ok");
  r.header("location", "/x\r\nevil: 1");
  EXPECT_EQ(r.header("location"), "/ok");
#else
  GTEST_SKIP() << "asserts in debug builds";
#endif
}

TEST(Status, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(422), "Unprocessable Content");
  EXPECT_EQ(reason_phrase(429), "Too Many Requests");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(306), "Unknown");
  EXPECT_EQ(reason_phrase(799), "Unknown");
  EXPECT_EQ(reason_phrase(-1), "Unknown");
}

}  // namespace
}  // namespace ringlane::http
