// uri: turning the raw path of a request-target into the path a handler
// matches routes and files against.
//
// Order matters for safety: we percent-decode first and remove dot-segments
// second (as nginx does), so "%2e%2e" climbs like ".." would and is caught by
// the same check, instead of reaching a file handler as a literal "..".
// A decoded "%2F" therefore also acts as a separator.
#pragma once

#include <string>
#include <string_view>

namespace ringlane::http {

// Percent-decodes `raw` path into `out` (replacing its content), then removes
// dot-segments (RFC 3986 5.2.4). Returns false (-> 400) for bad %-escapes,
// %00, a path that does not begin with '/', or one that climbs above root
// ("/../x", "/a/../.."). `out` is unspecified after false.
bool decode_path(std::string_view raw, std::string& out);

// As decode_path, but appends the result to `out` and leaves what was there
// before untouched; writes at most raw.size() bytes. The parser uses it to put
// the path in its arena.
bool decode_path_append(std::string_view raw, std::string& out);

// Percent-decodes `in` into `out` (replacing its content); '+' becomes ' '
// when plus_is_space (form encoding). Returns false for a '%' not followed by
// two hex digits; %00 is allowed here (a query value may carry it).
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);

// Appends `path` (a decoded path) to `out` with every byte that may not
// stand as itself in a URI path percent-encoded: the inverse of
// decode_path for building a Location from a decoded path. Never emits
// CR, LF or any other control byte.
void percent_encode_path(std::string_view path, std::string& out);

}  // namespace ringlane::http
