// handshake.cpp -- the checks of RFC 6455 4.2.1 in order, each with its
// status; 426 carries the version we speak (4.4).
#include "http/ws/handshake.hpp"

#include "http/ascii.hpp"
#include "http/ws/sha1.hpp"

namespace ringlane::http::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* p, std::size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t b = std::uint32_t{p[i]} << 16 | (i + 1 < n ? std::uint32_t{p[i + 1]} << 8 : 0u) |
                            (i + 2 < n ? std::uint32_t{p[i + 2]} : 0u);
    out.push_back(kAlphabet[(b >> 18) & 63]);
    out.push_back(kAlphabet[(b >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(b >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kAlphabet[b & 63] : '=');
  }
  return out;
}

// The key is 16 random bytes in base64: 22 characters and "==".
bool valid_key(std::string_view k) noexcept {
  if (k.size() != 24 || k.substr(22) != "==") return false;
  for (char c : k.substr(0, 22))
    if (kAlphabet.find(c) == std::string_view::npos) return false;
  return true;
}

bool list_has(std::string_view list, std::string_view token) noexcept {
  bool found = false;
  ascii::for_each_list_item(list, [&](std::string_view item) {
    found |= ascii::iequals(item, token);
    return !found;
  });
  return found;
}

}  // namespace

std::string accept_key(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kGuid.size());
  input.append(key).append(kGuid);
  const sha1_digest d = sha1(input);
  return base64(d.data(), d.size());
}

handshake check_handshake(const request_head& req, std::string_view protocol) {
  handshake hs;
  auto refuse = [&hs](int status, std::string_view why) {
    hs.status = status;
    hs.reason = why;
    return hs;
  };
  if (!list_has(req.header("upgrade"), "websocket") || !list_has(req.header("connection"), "upgrade"))
    return refuse(426, "this resource speaks WebSocket only");
  if (req.method != "GET" || req.version_minor < 1) return refuse(400, "a WebSocket handshake is a GET over HTTP/1.1");
  if (req.has_body()) return refuse(400, "a WebSocket handshake has no body");
  if (req.header("sec-websocket-version") != "13") return refuse(426, "WebSocket version 13 only");
  const std::string_view key = req.header("sec-websocket-key");
  if (!valid_key(key)) return refuse(400, "missing or malformed Sec-WebSocket-Key");
  // RFC 6455 11.3.1 and 11.3.5: the key and the version appear once.
  std::size_t keys = 0, versions = 0;
  for (const header_field& f : req.headers) {
    keys += ascii::iequals(f.name, "sec-websocket-key");
    versions += ascii::iequals(f.name, "sec-websocket-version");
  }
  if (keys != 1 || versions != 1) return refuse(400, "Sec-WebSocket-Key or -Version more than once");
  hs.accept = accept_key(key);
  if (!protocol.empty() && list_has(req.header("sec-websocket-protocol"), protocol)) hs.protocol = protocol;
  return hs;
}

void write_switching_protocols(std::string& out, const handshake& hs) {
  out.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
  out.append(hs.accept).append("\r\n");
  if (!hs.protocol.empty()) out.append("Sec-WebSocket-Protocol: ").append(hs.protocol).append("\r\n");
  out.append("\r\n");
}

}  // namespace ringlane::http::ws
