// sha1.hpp -- SHA-1 (FIPS 180-4), for the WebSocket handshake only:
// Sec-WebSocket-Accept is base64(SHA-1(key + GUID)) (RFC 6455 4.2.2).
// SHA-1 is broken for signatures; the handshake uses it as a checksum
// that proves the server read the key, nothing more.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ringlane::http::ws {

using sha1_digest = std::array<std::uint8_t, 20>;

sha1_digest sha1(std::string_view data) noexcept;

}  // namespace ringlane::http::ws
