// ws_client.hpp -- a blocking WebSocket client over http_conn for the
// integration tests: the handshake, frames masked (or not, to provoke the
// server), and frames read back whole.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/http/support/http_client.hpp"

namespace ringlane::testing {

struct ws_frame {
  bool fin = true;
  std::uint8_t op = 0;
  std::string payload;
  // For close frames: the status code (0 when the payload has none).
  std::uint16_t code() const {
    if (payload.size() < 2) return 0;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]));
  }
};

// One client frame: FIN, opcode, extra first-byte bits (RSV), masked or not.
inline std::string ws_encode(std::uint8_t op, std::string_view payload, bool fin = true, bool masked = true,
                             std::uint8_t extra_bits = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | extra_bits | op));
  const std::uint8_t m = masked ? 0x80 : 0;
  const std::uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(m | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  return f;
}

inline std::string ws_close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

inline std::string ws_handshake_request(std::string_view path = "/ws", std::string_view extra = {}) {
  std::string r = "GET ";
  r.append(path).append(
      " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
  r.append(extra).append("\r\n");
  return r;
}

class ws_client {
 public:
  explicit ws_client(std::uint16_t port) : c_(port) {}
  http_conn& conn() { return c_; }

  // Sends the handshake (plus `after`, bytes in the same write) and reads the 101.
  std::optional<http_reply> open(std::string_view path = "/ws", std::string_view extra = {},
                                 std::string_view after = {}) {
    std::string req = ws_handshake_request(path, extra);
    req.append(after);
    if (!c_.send(req)) return std::nullopt;
    return c_.read_reply();
  }

  bool send(std::uint8_t op, std::string_view payload, bool fin = true) { return c_.send(ws_encode(op, payload, fin)); }

  // The next whole frame from the server; nullopt on EOF or timeout.
  std::optional<ws_frame> read() {
    std::string& b = c_.buffered();
    for (;;) {
      if (b.size() >= 2) {
        const auto* p = reinterpret_cast<const unsigned char*>(b.data());
        std::uint64_t n = p[1] & 0x7F;
        std::size_t at = 2;
        if (n == 126 && b.size() >= 4) {
          n = std::uint64_t{p[2]} << 8 | p[3];
          at = 4;
        } else if (n == 127 && b.size() >= 10) {
          n = 0;
          for (int i = 0; i < 8; ++i) n = n << 8 | p[2 + i];
          at = 10;
        }
        const bool header_ok = (p[1] & 0x7F) < 126 || at > 2;
        if (header_ok && b.size() >= at + n) {
          ws_frame f{(p[0] & 0x80) != 0, static_cast<std::uint8_t>(p[0] & 0x0F), b.substr(at, n)};
          b.erase(0, at + n);
          return f;
        }
      }
      char tmp[65536];
      const ssize_t got = ::recv(c_.fd(), tmp, sizeof tmp, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return std::nullopt;
      b.append(tmp, static_cast<std::size_t>(got));
    }
  }

  // The server's close frame, then EOF.
  std::uint16_t read_close_then_eof() {
    for (;;) {
      auto f = read();
      if (!f) return 0;
      if (f->op == 0x8) return c_.closed_by_peer() ? f->code() : 0;
    }
  }

 private:
  http_conn c_;
};

}  // namespace ringlane::testing
