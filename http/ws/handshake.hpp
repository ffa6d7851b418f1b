// handshake.hpp -- the opening handshake (RFC 6455 4.2): is this request
// a WebSocket upgrade we can accept, and the 101 that accepts it.
//
//   GET /chat HTTP/1.1                      HTTP/1.1 101 Switching Protocols
//   Host: example.com                       Upgrade: websocket
//   Upgrade: websocket               ──>    Connection: Upgrade
//   Connection: Upgrade                     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//   Sec-WebSocket-Version: 13
#pragma once

#include <string>
#include <string_view>

#include "http/proto/request_head.hpp"

namespace ringlane::http::ws {

struct handshake {
  int status = 0;             // 0: accept; else 400 (malformed) or 426 (not WebSocket 13)
  std::string_view reason;    // why not, for the error body
  std::string accept;         // Sec-WebSocket-Accept
  std::string_view protocol;  // the subprotocol both sides named, or empty
};

// `protocol`: the subprotocol the handler speaks, chosen only if the client
// offered it in Sec-WebSocket-Protocol ("" = none).
handshake check_handshake(const request_head& req, std::string_view protocol = {});

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_key(std::string_view key);

// The 101 response for an accepted handshake.
void write_switching_protocols(std::string& out, const handshake& hs);

}  // namespace ringlane::http::ws
