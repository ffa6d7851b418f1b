// mime.cpp -- a short table of the types browsers care about; text types
// say UTF-8 so that a page without a <meta charset> still renders right.
#include "http/files/mime.hpp"

#include "http/ascii.hpp"

namespace ringlane::http {
namespace {

struct mime_entry {
  std::string_view ext;
  std::string_view type;
};

constexpr mime_entry kTypes[] = {
    {"html", "text/html; charset=utf-8"},  {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},  {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},              {"png", "image/png"},
    {"jpg", "image/jpeg"},                 {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},                  {"webp", "image/webp"},
    {"avif", "image/avif"},                {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},          {"pdf", "application/pdf"},
    {"woff", "font/woff"},                 {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},                   {"otf", "font/otf"},
    {"mp4", "video/mp4"},                  {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},                 {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},                  {"zip", "application/zip"},
    {"gz", "application/gzip"},            {"tar", "application/x-tar"},
};

}  // namespace

std::string_view content_type_for(std::string_view file_name) noexcept {
  const std::size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  const std::size_t dot = file_name.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < file_name.size()) {
    const std::string_view ext = file_name.substr(dot + 1);
    for (const mime_entry& e : kTypes)
      if (ascii::iequals(ext, e.ext)) return e.type;
  }
  return "application/octet-stream";
}

}  // namespace ringlane::http
