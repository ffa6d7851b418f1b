// SHA-1 against the FIPS 180 example vectors, and the handshake's accept
// key against RFC 6455's own example.
#include "http/ws/sha1.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "http/ws/handshake.hpp"

namespace ringlane::http::ws {
namespace {

std::string hex(const sha1_digest& d) {
  std::string out;
  char b[3];
  for (std::uint8_t x : d) {
    std::snprintf(b, sizeof b, "%02x", x);
    out += b;
  }
  return out;
}

TEST(Sha1, FipsVectors) {
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1'000'000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Lengths around the block boundary: 55 fits the padding in one block, 56
// needs a second; 64 is a whole block plus a padding block.
TEST(Sha1, PaddingBoundaries) {
  EXPECT_EQ(hex(sha1(std::string(55, 'a'))), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(hex(sha1(std::string(56, 'a'))), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(hex(sha1(std::string(64, 'a'))), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Sha1, AcceptKeyOfTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

}  // namespace
}  // namespace ringlane::http::ws
