// Tests for http/ascii.hpp: the byte classes and the case-insensitive
// compares, in particular token_iequals()'s word-at-a-time shortcut.
#include "http/ascii.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ringlane::http {
namespace {

TEST(Ascii, TokenIequalsMatchesAnyCaseAtEveryLength) {
  const char* names[] = {"a", "te", "via", "host", "accept", "upgrade", "if-match", "connection",
                         "content-length", "transfer-encoding", "x-a-rather-long-header-name-indeed"};
  for (const char* lower : names) {
    std::string upper(lower), mixed(lower);
    for (std::size_t i = 0; i < upper.size(); ++i) {
      if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 32);
      if (i % 2 == 0) mixed[i] = upper[i];
    }
    EXPECT_TRUE(ascii::token_iequals(lower, lower)) << lower;
    EXPECT_TRUE(ascii::token_iequals(upper, lower)) << upper;
    EXPECT_TRUE(ascii::token_iequals(mixed, lower)) << mixed;
    // One byte different, at every position (first word, overlap, tail).
    for (std::size_t i = 0; i < mixed.size(); ++i) {
      std::string other = mixed;
      other[i] = other[i] == 'z' || other[i] == 'Z' ? 'y' : 'z';
      EXPECT_FALSE(ascii::token_iequals(other, lower)) << other;
    }
    EXPECT_FALSE(ascii::token_iequals(std::string(lower) + "s", lower));
    EXPECT_FALSE(ascii::token_iequals(std::string(lower).substr(1), lower));
  }
}

// The invariant the shortcut rests on: OR-ing 0x20 into a token byte gives
// a lowercase letter only for a letter, and a digit or '-' only for that
// same byte. Checked over all 256 byte values.
TEST(Ascii, TokenIequalsDoesNotConfuseOtherTokenBytes) {
  for (int c = 0; c < 256; ++c) {
    if (!ascii::is_tchar(static_cast<char>(c))) continue;
    const int folded = c | 0x20;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (folded >= 'a' && folded <= 'z') {
      EXPECT_TRUE(letter) << c;
    }
    if ((folded >= '0' && folded <= '9') || folded == '-') {
      EXPECT_EQ(folded, c) << c;
    }
  }
  EXPECT_FALSE(ascii::token_iequals("content_length", "content-length"));
  EXPECT_FALSE(ascii::token_iequals("content.length", "content-length"));
  EXPECT_FALSE(ascii::token_iequals("HOST", "hosT"));  // the literal must be lowercase
}

TEST(Ascii, IequalsAndTrim) {
  EXPECT_TRUE(ascii::iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(ascii::iequals("keep-alive", "keep-alivE "));
  EXPECT_EQ(ascii::trim_ows(" \t a b \t"), "a b");
}

}  // namespace
}  // namespace ringlane::http
