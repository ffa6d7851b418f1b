// What RFC 3629 accepts and refuses, at each boundary of the encoding.
#include "http/ws/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace ringlane::http::ws {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ASCII, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("\xc2\x80"));                  // U+0080, the first two-byte form
  EXPECT_TRUE(valid_utf8("\xdf\xbf"));                  // U+07FF
  EXPECT_TRUE(valid_utf8("\xe0\xa0\x80"));              // U+0800
  EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8("\xee\x80\x80"));              // U+E000, just above
  EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));              // U+FFFF
  EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80"));          // U+10000
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the last code point
  EXPECT_TRUE(valid_utf8("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"));
  EXPECT_TRUE(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // "κόσμε"
}

TEST(Utf8, RefusesMalformedText) {
  EXPECT_FALSE(valid_utf8("\x80"));                     // a continuation byte alone
  EXPECT_FALSE(valid_utf8("abcdefgh\xbf"));             // ... after an ASCII run
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                 // overlong '/'
  EXPECT_FALSE(valid_utf8("\xc1\xbf"));                 // overlong
  EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));             // overlong three-byte form
  EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));         // overlong four-byte form
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));             // U+D800, a surrogate
  EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));             // U+DFFF
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));         // U+110000
  EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));         // no such lead byte
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xe2\x82"));                 // truncated at the end
  EXPECT_FALSE(valid_utf8("\xe2\x82x"));                // interrupted
  EXPECT_FALSE(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited"));
}

// scan_utf8 tells a sequence the end cuts short (more bytes may complete
// it) from a malformed one, and where the whole code points end.
TEST(Utf8, ScanTellsTruncatedFromMalformed) {
  auto scan = [](std::string_view s) {
    const utf8_scan r = scan_utf8(s);
    return std::pair(r.valid, r.truncated);
  };
  EXPECT_EQ(scan("abc"), std::pair(std::size_t{3}, false));
  EXPECT_EQ(scan("ab\xe2\x82"), std::pair(std::size_t{2}, true));      // the euro sign, cut short
  EXPECT_EQ(scan("ab\xe2"), std::pair(std::size_t{2}, true));
  EXPECT_EQ(scan("abcdefghij\xf0\x90\x80"), std::pair(std::size_t{10}, true));
  EXPECT_EQ(scan("ab\xe2x"), std::pair(std::size_t{2}, false));        // interrupted: no byte can mend it
  EXPECT_EQ(scan("ab\xc0"), std::pair(std::size_t{2}, false));         // a lead byte that never starts one
  EXPECT_EQ(scan("ab\xed\xa0"), std::pair(std::size_t{2}, false));     // a surrogate is known at its second byte
  EXPECT_EQ(scan("ab\xf4\x90"), std::pair(std::size_t{2}, false));     // above U+10FFFF, likewise
  EXPECT_EQ(scan("\xe2\x82\xac\x80"), std::pair(std::size_t{3}, false));
}

}  // namespace
}  // namespace ringlane::http::ws
