// frame.hpp -- the WebSocket wire format (RFC 6455 5.2), both directions.
//
//    0               1               2               3
//   |F|R R R| opcode|M| length(7) | length 16 or 64 (126 / 127) |
//   | masking key (4 bytes, client frames only) | payload ...     |
//
// Clients mask every frame; servers never do. We negotiate no extensions,
// so the RSV bits must be zero.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringlane::http::ws {

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

constexpr bool is_control(opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

// Close status codes (RFC 6455 7.4.1) that this side sends.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;      // idle timeout, server shutting down
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t invalid_payload = 1007;  // text that is not UTF-8
constexpr std::uint16_t too_big = 1009;          // a message above the limit
constexpr std::uint16_t try_again_later = 1013;  // the server's message memory is full (IANA)
constexpr std::uint16_t no_status = 1005;        // reported only: the close frame had no code
constexpr std::uint16_t abnormal = 1006;         // reported only: no close frame at all
}  // namespace close_code

// May a peer send this code in a close frame? 1000-1003, 1007-1011 (RFC
// 6455), 1012-1014 (registered with IANA since), and 3000-4999 for
// libraries and applications; 1004-1006 and 1015 are never for the wire.
constexpr bool valid_close_code(std::uint16_t c) noexcept {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

struct frame_header {
  bool fin = false;
  opcode op = opcode::continuation;
  std::uint64_t length = 0;    // payload bytes
  std::uint8_t mask[4] = {};
  std::size_t size = 0;        // header bytes: 2 to 14
};

enum class header_status { need_more, ok, error };

// Reads a client frame's header from the start of `in`. On error, `code`
// says why (always protocol_error: unmasked, RSV set, unknown opcode, a
// control frame fragmented or over 125 bytes, a length with its top bit set).
header_status parse_client_header(std::string_view in, frame_header& h, std::uint16_t& code) noexcept;

// XORs `n` bytes with the masking key, the key's byte i % 4 for byte i.
void unmask(char* data, std::size_t n, const std::uint8_t (&mask)[4]) noexcept;

// Appends one unmasked (server) frame.
void write_frame(std::string& out, opcode op, std::string_view payload, bool fin = true);

}  // namespace ringlane::http::ws
