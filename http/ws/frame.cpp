// frame.cpp -- header parsing with every rule that needs no context; the
// rules between frames (continuations, interleaved control frames) are
// websocket.cpp's.
#include "http/ws/frame.hpp"

#include <cstring>

namespace ringlane::http::ws {

header_status parse_client_header(std::string_view in, frame_header& h, std::uint16_t& code) noexcept {
  if (in.size() < 2) return header_status::need_more;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  code = close_code::protocol_error;
  h.fin = (p[0] & 0x80) != 0;
  if ((p[0] & 0x70) != 0) return header_status::error;  // RSV1-3: no extension was negotiated
  const std::uint8_t op = p[0] & 0x0F;
  switch (op) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA:
      h.op = static_cast<opcode>(op);
      break;
    default:
      return header_status::error;
  }
  if ((p[1] & 0x80) == 0) return header_status::error;  // client frames are masked (5.1)
  std::uint64_t len = p[1] & 0x7F;
  std::size_t at = 2;
  if (len == 126) {
    if (in.size() < 4) return header_status::need_more;
    len = std::uint64_t{p[2]} << 8 | p[3];
    at = 4;
  } else if (len == 127) {
    if (in.size() < 10) return header_status::need_more;
    len = 0;
    for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
    if (len >> 63) return header_status::error;  // the most significant bit must be 0
    at = 10;
  }
  if (is_control(h.op) && (!h.fin || len > 125)) return header_status::error;
  if (in.size() < at + 4) return header_status::need_more;
  std::memcpy(h.mask, p + at, 4);
  h.length = len;
  h.size = at + 4;
  return header_status::ok;
}

void unmask(char* data, std::size_t n, const std::uint8_t (&mask)[4]) noexcept {
  // Eight bytes at a time with the key repeated twice; the tail by byte.
  std::uint8_t key8[8];
  for (int i = 0; i < 8; ++i) key8[i] = mask[i % 4];
  std::uint64_t k;
  std::memcpy(&k, key8, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ mask[i % 4]);
}

void write_frame(std::string& out, opcode op, std::string_view payload, bool fin) {
  const std::uint64_t n = payload.size();
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op)));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  out.append(payload);
}

}  // namespace ringlane::http::ws
