// file_server.hpp -- serving a directory tree, the way nginx's `root` does.
//
//   server.get("/static/*path", http::serve_files("/srv/www"));
//   server.get("/*path", http::serve_files("public", {.index = "index.html"}));
//
// GET and HEAD (routes registered with get() take HEAD too). Per request:
//
//   wildcard param ─> checks ─> open (engine op) ─> fstat ─┬─ directory ─> 301 to "dir/", or its index
//   ("a/b.txt")                                           ├─ not a regular file ─> 404
//                                                         └─ file: validators, preconditions, range
//                                                              304 / 416 / 206 / 200
//                                                              body: read (engine op) 64 KiB at a
//                                                              time -> send_body(), back-pressured
//
// Safety: the path arrives decoded and without dot-segments (the parser
// refuses any that climb above "/"); a ".." or NUL that still shows up is a
// 404. Dot-files (".env", ".git/") are 404 unless `hidden`. Symbolic links
// are followed, as nginx does by default: what the tree links to is the
// operator's choice. Files open with O_NONBLOCK so that a FIFO in the tree
// cannot stall the worker, and anything but a regular file is a 404.
#pragma once

#include <cstddef>
#include <string>

#include "http/server/handler.hpp"

namespace ringlane::http {

struct file_options {
  std::string index = "index.html";  // served for a directory URL ending in '/'; "" = none (403)
  bool hidden = false;               // serve names starting with '.'
  std::size_t read_size = 64 * 1024; // bytes per file read
  std::string cache_control;         // a Cache-Control value for every file ("" = none)
};

// A handler for a route whose wildcard parameter is `param` ("*path").
handler serve_files(std::string root, file_options o = {}, std::string param = "path");

}  // namespace ringlane::http
