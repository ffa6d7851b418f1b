// utf8.hpp -- is this well-formed UTF-8 (RFC 3629)? WebSocket text messages
// and close reasons must be (RFC 6455 8.1); a bad one closes with 1007.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringlane::http::ws {

// How much of s is well-formed: `valid` bytes are whole code points; if
// that is not all of s, `truncated` says whether what follows is only a
// sequence cut short by the end of s (more bytes may complete it) rather
// than a malformed one. Fragmented text is checked as it arrives this way.
struct utf8_scan {
  std::size_t valid;
  bool truncated;
};
utf8_scan scan_utf8(std::string_view s) noexcept;

// Rejects overlong forms, surrogates (U+D800..DFFF), code points above
// U+10FFFF and truncated sequences.
inline bool valid_utf8(std::string_view s) noexcept { return scan_utf8(s).valid == s.size(); }

}  // namespace ringlane::http::ws
