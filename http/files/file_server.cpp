// file_server.cpp -- one request for one file: resolve, validate, answer.
#include "http/files/file_server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "engine/ops/file.hpp"
#include "http/files/conditional.hpp"
#include "http/files/mime.hpp"
#include "http/files/multipart.hpp"
#include "http/files/range.hpp"
#include "http/proto/uri.hpp"
#include "http/response/date_cache.hpp"
#include "http/server/context.hpp"

namespace ringlane::http {
namespace {

struct config {
  std::string root;
  file_options opts;
  std::string param;
};

// Closes the file when the request is done, however it ends.
struct file_fd {
  int fd = -1;
  file_fd() = default;
  file_fd(const file_fd&) = delete;
  file_fd& operator=(const file_fd&) = delete;
  ~file_fd() {
    if (fd >= 0) ::close(fd);
  }
};

void plain(context& ctx, int status, std::string_view text) {
  ctx.response().status(status).content_type("text/plain").body(text);
}

// May this relative path be served? Every segment is a name: not "..", not
// hidden (unless allowed), no NUL.
bool servable(std::string_view rel, bool hidden) noexcept {
  if (rel.find('\0') != std::string_view::npos) return false;
  while (!rel.empty()) {
    const std::size_t slash = rel.find('/');
    const std::string_view seg = rel.substr(0, slash);
    if (seg == ".." || (!hidden && seg.size() > 1 && seg.front() == '.')) return false;
    if (slash == std::string_view::npos) break;
    rel.remove_prefix(slash + 1);
  }
  return true;
}

// Opens `path` and reads its status; false (response set) when it cannot.
task<bool> open_path(context& ctx, std::string path, file_fd& f, struct stat& st) {
  const std::int32_t fd = co_await engine::open_file(std::move(path), O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    const bool missing = fd == -ENOENT || fd == -ENOTDIR || fd == -ENAMETOOLONG || fd == -ELOOP;
    const bool exhausted = fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM;
    if (missing) {
      plain(ctx, 404, "Not Found");
    } else if (fd == -EACCES || fd == -EPERM) {
      plain(ctx, 403, "Forbidden");
    } else if (exhausted) {  // out of descriptors for now: the file is fine, try again
      plain(ctx, 503, "Service Unavailable");
      ctx.response().header("Retry-After", "1");
    } else {
      plain(ctx, 500, "Internal Server Error");
    }
    co_return false;
  }
  if (f.fd >= 0) ::close(f.fd);
  f.fd = fd;
  if (::fstat(fd, &st) != 0) {
    plain(ctx, 500, "Internal Server Error");
    co_return false;
  }
  co_return true;
}

// The body, read and sent piece by piece; stops when the client is gone or
// a read fails (the short body then closes the connection).
// True when all of it went out.
task<bool> send_file(context& ctx, int fd, byte_range r, std::size_t piece) {
  std::uint64_t off = r.first;
  std::uint64_t left = r.length();
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, piece));
    engine::received got = co_await engine::read_file(fd, want, off);
    if (got.res <= 0) co_return false;  // an error, or the file shrank under us
    const bool sent = co_await ctx.send_body(got.data);
    if (!sent) co_return false;
    off += got.data.size();
    left -= got.data.size();
  }
  co_return true;
}

// Several ranges: a 206 whose multipart/byteranges body carries each part
// with its own Content-Type and Content-Range (RFC 9110 14.6).
task<void> send_parts(context& ctx, int fd, const std::vector<byte_range>& parts, std::uint64_t size,
                      std::size_t piece) {
  response& res = ctx.response();
  const std::string part_type(res.header("Content-Type"));
  const multipart_plan plan = plan_multipart(parts, size, part_type, multipart_boundary());
  res.status(206).content_type(plan.content_type);
  const bool started = co_await ctx.start_body(plan.length);
  if (!started || ctx.method() == "HEAD") co_return;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool head_sent = co_await ctx.send_body(plan.heads[i]);
    if (!head_sent) co_return;
    const bool part_sent = co_await send_file(ctx, fd, parts[i], piece);
    if (!part_sent) co_return;
  }
  co_await ctx.send_body(plan.tail);
}

task<void> serve(context& ctx, const config& cfg) {
  const std::string_view rel = ctx.param(cfg.param);
  if (!servable(rel, cfg.opts.hidden)) {
    plain(ctx, 404, "Not Found");
    co_return;
  }
  std::string path = cfg.root;
  path.append("/").append(rel);
  file_fd f;
  struct stat st {};
  const bool opened = co_await open_path(ctx, path, f, st);
  if (!opened) co_return;

  if (S_ISDIR(st.st_mode)) {
    if (!rel.empty() && rel.back() != '/') {  // "dir" -> "dir/", so relative links resolve
      // The path is decoded; a Location must not be. One leading slash
      // only: "//host/" would send the client to another host (RFC 3986 4.2).
      std::string_view p = ctx.path();
      while (p.size() > 1 && p[1] == '/') p.remove_prefix(1);
      std::string to;
      percent_encode_path(p, to);
      to += '/';
      if (!ctx.query().empty()) to.append("?").append(ctx.query());
      ctx.response().status(301).header("Location", to).content_type("text/plain").body("Moved Permanently");
      co_return;
    }
    if (cfg.opts.index.empty()) {
      plain(ctx, 403, "Forbidden");
      co_return;
    }
    path.append(path.back() == '/' ? "" : "/").append(cfg.opts.index);
    const bool index = co_await open_path(ctx, path, f, st);
    if (!index) {
      if (ctx.response().status() == 404) plain(ctx, 403, "Forbidden");  // a directory, but no listing
      co_return;
    }
  }
  if (!S_ISREG(st.st_mode)) {
    plain(ctx, 404, "Not Found");
    co_return;
  }

  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::string etag = make_etag(st.st_mtime, size, st.st_mtim.tv_nsec);
  response& res = ctx.response();
  res.header("ETag", etag).header("Last-Modified", format_http_date(st.st_mtime)).header("Accept-Ranges", "bytes");
  if (!cfg.opts.cache_control.empty()) res.header("Cache-Control", cfg.opts.cache_control);
  if (precondition_failed(ctx.request(), etag, st.st_mtime)) {
    res.status(412).content_type("text/plain").body("Precondition Failed");
    co_return;
  }
  if (not_modified(ctx.request(), etag, st.st_mtime)) {
    res.status(304);
    co_return;
  }
  res.content_type(content_type_for(path));

  std::vector<byte_range> parts;
  // Range is a singleton field: two of them make the request's Range
  // invalid, and an invalid Range is ignored (RFC 9110 14.2).
  if (ctx.request().header_count("range") == 1 && range_still_valid(ctx.request(), etag, st.st_mtime, ::time(nullptr))) {
    switch (parse_ranges(ctx.header("range"), size, parts)) {
      case range_result::satisfiable:
        break;
      case range_result::unsatisfiable:
        res.status(416).header("Content-Range", "bytes */" + std::to_string(size));
        res.content_type("text/plain").body("Range Not Satisfiable");  // not the file's type
        co_return;
      case range_result::ignore:
        parts.clear();
        break;
    }
  }
  if (parts.size() > 1) {
    co_await send_parts(ctx, f.fd, parts, size, cfg.opts.read_size);
    co_return;
  }
  byte_range part{0, size == 0 ? 0 : size - 1};
  if (parts.size() == 1) {
    part = parts.front();
    res.status(206).header("Content-Range", "bytes " + std::to_string(part.first) + "-" +
                                                std::to_string(part.last) + "/" + std::to_string(size));
  }
  const std::uint64_t length = size == 0 ? 0 : part.length();
  const bool started = co_await ctx.start_body(length);
  if (!started || length == 0 || ctx.method() == "HEAD") co_return;
  co_await send_file(ctx, f.fd, part, cfg.opts.read_size);
}

}  // namespace

handler serve_files(std::string root, file_options o, std::string param) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (o.read_size == 0) o.read_size = 64 * 1024;
  auto cfg = std::make_shared<const config>(config{std::move(root), std::move(o), std::move(param)});
  return [cfg](context& ctx) { return serve(ctx, *cfg); };
}

}  // namespace ringlane::http
