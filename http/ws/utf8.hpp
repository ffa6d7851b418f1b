// utf8.hpp -- is this well-formed UTF-8 (RFC 3629)? WebSocket text messages
// and close reasons must be (RFC 6455 8.1); a bad one closes with 1007.
#pragma once

#include <string_view>

namespace ringlane::http::ws {

// Rejects overlong forms, surrogates (U+D800..DFFF), code points above
// U+10FFFF and truncated sequences.
bool valid_utf8(std::string_view s) noexcept;

}  // namespace ringlane::http::ws
