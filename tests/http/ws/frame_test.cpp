// The frame header rules that need no context, byte by byte; masking; and
// the three length encodings of the frames we write.
#include "http/ws/frame.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ringlane::http::ws {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

header_status parse(const std::string& in, frame_header& h) {
  std::uint16_t code = 0;
  const header_status st = parse_client_header(in, h, code);
  if (st == header_status::error) {
    EXPECT_EQ(code, close_code::protocol_error);
  }
  return st;
}

TEST(Frame, ShortHeaderNeedsMoreAtEveryPrefix) {
  const std::string whole = bytes({0x81, 0x85, 1, 2, 3, 4});
  frame_header h;
  for (std::size_t n = 0; n < whole.size(); ++n) EXPECT_EQ(parse(whole.substr(0, n), h), header_status::need_more) << n;
  ASSERT_EQ(parse(whole, h), header_status::ok);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.op, opcode::text);
  EXPECT_EQ(h.length, 5u);
  EXPECT_EQ(h.size, 6u);
  EXPECT_EQ(h.mask[3], 4);
}

TEST(Frame, SixteenAndSixtyFourBitLengths) {
  frame_header h;
  ASSERT_EQ(parse(bytes({0x02, 0xFE, 0x01, 0x00, 9, 9, 9, 9}), h), header_status::ok);
  EXPECT_FALSE(h.fin);
  EXPECT_EQ(h.op, opcode::binary);
  EXPECT_EQ(h.length, 256u);
  EXPECT_EQ(h.size, 8u);
  ASSERT_EQ(parse(bytes({0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 9, 9, 9, 9}), h), header_status::ok);
  EXPECT_EQ(h.length, 1ull << 32);
  EXPECT_EQ(h.size, 14u);
  EXPECT_EQ(parse(bytes({0x82, 0xFF, 0, 0, 0, 1}), h), header_status::need_more);
}

TEST(Frame, ProtocolErrors) {
  frame_header h;
  EXPECT_EQ(parse(bytes({0x81, 0x05}), h), header_status::error);                // unmasked
  EXPECT_EQ(parse(bytes({0xC1, 0x80, 0, 0, 0, 0}), h), header_status::error);    // RSV1
  EXPECT_EQ(parse(bytes({0x91, 0x80, 0, 0, 0, 0}), h), header_status::error);    // RSV3
  EXPECT_EQ(parse(bytes({0x83, 0x80, 0, 0, 0, 0}), h), header_status::error);    // opcode 3 (reserved)
  EXPECT_EQ(parse(bytes({0x8B, 0x80, 0, 0, 0, 0}), h), header_status::error);    // opcode 0xB (reserved)
  EXPECT_EQ(parse(bytes({0x09, 0x80, 0, 0, 0, 0}), h), header_status::error);    // fragmented ping
  EXPECT_EQ(parse(bytes({0x88, 0xFE, 0, 126, 0, 0, 0, 0}), h), header_status::error);  // close over 125
  EXPECT_EQ(parse(bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), h), header_status::error);  // top bit
  EXPECT_EQ(parse(bytes({0x89, 0xFD, 0, 0, 0, 0}), h), header_status::ok);       // ping of 125: fine
}

TEST(Frame, UnmaskIsItsOwnInverseAtEveryLength) {
  const std::uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  for (std::size_t n = 0; n < 40; ++n) {
    std::string plain;
    for (std::size_t i = 0; i < n; ++i) plain.push_back(static_cast<char>('a' + i % 26));
    std::string s = plain;
    unmask(s.data(), s.size(), key);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(static_cast<std::uint8_t>(s[i]), plain[i] ^ key[i % 4]) << n;
    unmask(s.data(), s.size(), key);
    EXPECT_EQ(s, plain);
  }
}

TEST(Frame, WrittenFramesUseTheShortestLength) {
  std::string out;
  write_frame(out, opcode::text, "hi");
  EXPECT_EQ(out, bytes({0x81, 0x02, 'h', 'i'}));
  out.clear();
  write_frame(out, opcode::binary, std::string(125, 'x'), false);
  EXPECT_EQ(out.substr(0, 2), bytes({0x02, 125}));
  out.clear();
  write_frame(out, opcode::binary, std::string(126, 'x'));
  EXPECT_EQ(out.substr(0, 4), bytes({0x82, 126, 0, 126}));
  EXPECT_EQ(out.size(), 4u + 126);
  out.clear();
  write_frame(out, opcode::binary, std::string(65536, 'x'));
  EXPECT_EQ(out.substr(0, 10), bytes({0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(out.size(), 10u + 65536);
}

TEST(Frame, CloseCodesAllowedOnTheWire) {
  for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 3999, 4000, 4999})
    EXPECT_TRUE(valid_close_code(static_cast<std::uint16_t>(c))) << c;
  for (int c : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
    EXPECT_FALSE(valid_close_code(static_cast<std::uint16_t>(c))) << c;
}

}  // namespace
}  // namespace ringlane::http::ws
