// file.hpp -- regular-file operations: open, read, statx, splice.
//
//   int fd = co_await engine::open_file("/srv/index.html", O_RDONLY);
//   received chunk = co_await engine::read_file(fd, 65536, offset);
//   file_status st = co_await engine::stat_file("/srv/index.html");
//   std::int32_t n = co_await engine::splice(file_fd, offset, pipe_wr, len);
//
// Under io_uring these run asynchronously (the kernel may use its io-wq
// threads for buffered file I/O); the epoll backend performs them
// synchronously: regular files are always "ready". Paths and result
// structures live in the op, never in the caller's frame.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "engine/ops/recv.hpp"
#include "engine/ops/send.hpp"

namespace ringlane::engine {

namespace detail {
struct path_op final : op_base {
  std::string path;
  struct statx stx {};
};
}  // namespace detail

// Opens `path` (relative to the current directory); res = fd or -errno.
inline op_awaiter<detail::extract_res> open_file(std::string path, int flags, mode_t mode = 0) {
  auto op = std::make_unique<detail::path_op>();
  op->path = std::move(path);
  op->code = op_code::openat;
  op->fd = AT_FDCWD;
  op->buf = op->path.data();
  op->msg_flags = flags | O_CLOEXEC;
  op->len = mode;
  return submit<detail::extract_res>(std::move(op));
}

// Reads up to `max` bytes at `offset` into op-owned storage.
inline op_awaiter<detail::extract_received> read_file(int fd, std::size_t max, std::uint64_t offset) {
  auto op = std::make_unique<detail::owned_recv_op>();
  op->storage.resize(max);
  op->code = op_code::read;
  op->fd = fd;
  op->buf = op->storage.data();
  op->len = static_cast<std::uint32_t>(max);
  op->offset = offset;
  return submit<detail::extract_received>(std::move(op));
}

struct file_status {
  std::int32_t res;  // 0 or -errno
  std::uint64_t size;
  std::uint32_t mode;
  std::int64_t mtime_sec;
};

namespace detail {
struct extract_status {
  file_status operator()(const op_base& op) const noexcept {
    const auto& o = static_cast<const path_op&>(op);
    return {o.res, o.stx.stx_size, o.stx.stx_mode, o.stx.stx_mtime.tv_sec};
  }
};
}  // namespace detail

inline op_awaiter<detail::extract_status> stat_file(std::string path) {
  auto op = std::make_unique<detail::path_op>();
  op->path = std::move(path);
  op->code = op_code::statx;
  op->fd = AT_FDCWD;
  op->buf = op->path.data();
  op->len = STATX_SIZE | STATX_MODE | STATX_MTIME;
  op->out = &op->stx;
  return submit<detail::extract_status>(std::move(op));
}

// Moves up to `len` bytes from `fd_in` (at `offset_in`, or the current
// position when offset_in == -1) to `fd_out`; one side must be a pipe.
// Serving a file: file -> pipe, then pipe -> socket.
inline op_awaiter<detail::extract_res> splice(int fd_in, std::int64_t offset_in, int fd_out, std::uint32_t len) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::splice;
  op->fd = fd_in;
  op->offset = static_cast<std::uint64_t>(offset_in);
  op->fd_out = fd_out;
  op->len = len;
  return submit<detail::extract_res>(std::move(op));
}

}  // namespace ringlane::engine
