// static -- serves a directory over HTTP/1.1, like nginx's `root`.
//
//   static --root ./public [--port 8080] [--workers N] ... (--help)
//
//   GET /              -> ./public/index.html (or 403 without one)
//   GET /css/site.css  -> ./public/css/site.css, text/css
//   GET /docs          -> 301 to /docs/
//
// Conditional requests (If-None-Match, If-Modified-Since -> 304) and
// single byte ranges (Range -> 206, 416) work as browsers and download
// tools expect; see http/files/file_server.hpp for the rules.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "http/files/file_server.hpp"
#include "http/server/server.hpp"

namespace {

// Takes "--root DIR" / "--root=DIR" out of argv (the server's own options
// parser sees the rest); "." when absent.
std::string take_root(int& argc, char** argv) {
  std::string root = ".";
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root = argv[++i];
    } else if (std::strncmp(argv[i], "--root=", 7) == 0) {
      root = argv[i] + 7;
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return root;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ringlane;
  try {
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
        std::printf("static --root DIR [server flags]: serves DIR (default \".\") over HTTP/1.1\n\n");
        break;
      }
    }
    const std::string root = take_root(argc, argv);
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      std::fprintf(stderr, "static: --root %s is not a directory\n", root.c_str());
      return 2;
    }
    http::server server(http::options::from_args(argc, argv));
    server.get("/*path", http::serve_files(root));
    return server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "static: %s\n", e.what());
    return 2;
  }
}
