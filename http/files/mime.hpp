// mime.hpp -- the Content-Type for a file name, by its extension.
#pragma once

#include <string_view>

namespace ringlane::http {

// "index.html" -> "text/html; charset=utf-8"; unknown or no extension ->
// "application/octet-stream". The extension is matched case-insensitively.
std::string_view content_type_for(std::string_view file_name) noexcept;

}  // namespace ringlane::http
