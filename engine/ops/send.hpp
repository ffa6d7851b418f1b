// send.hpp -- send to a socket.
//
//   std::int32_t n = co_await engine::send(fd, std::move(text));   // op owns the bytes
//   std::int32_t e = co_await engine::send_all(fd, std::move(text)); // resubmits short sends
//   std::int32_t m = co_await engine::writev(fd, iov, count);       // caller-owned memory
//
// A send may be short (IO_URING.md 3.5); send_all resubmits the rest until
// everything is sent or an error occurs. At most one send per socket should
// be in flight (ordering, IO_URING.md 3.6): the connection driver
// (engine/net/stream.hpp) enforces that; these free functions leave it to
// the caller.
//
// writev's contract: the iovecs and the memory they point to must stay valid
// until the op completes, even if the awaiting task is cancelled. Only
// owners that outlive their in-flight ops (a connection that is destroyed
// when its in-flight count reaches zero) may use it.
#pragma once

#include <cerrno>
#include <memory>
#include <string>

#include "engine/io/await_op.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::engine {

namespace detail {
struct owned_send_op final : op_base {
  std::string storage;
};
struct extract_res {
  std::int32_t operator()(const op_base& op) const noexcept { return op.res; }
};
}  // namespace detail

inline op_awaiter<detail::extract_res> send(int fd, std::string data, int msg_flags = 0) {
  auto op = std::make_unique<detail::owned_send_op>();
  op->storage = std::move(data);
  op->code = op_code::send;
  op->fd = fd;
  op->buf = op->storage.data();
  op->len = static_cast<std::uint32_t>(op->storage.size());
  op->msg_flags = msg_flags;
  return submit<detail::extract_res>(std::move(op));
}

// Sends all of `data`; returns its size, or the first -errno.
inline task<std::int32_t> send_all(int fd, std::string data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const std::int32_t n = co_await send(fd, data.substr(done));
    if (n < 0) co_return n;
    if (n == 0) co_return -EPIPE;
    done += static_cast<std::size_t>(n);
  }
  co_return static_cast<std::int32_t>(done);
}

inline op_awaiter<detail::extract_res> writev(int fd, const iovec* iov, unsigned iovcnt) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::writev;
  op->fd = fd;
  op->iov = iov;
  op->iovcnt = iovcnt;
  return submit<detail::extract_res>(std::move(op));
}

}  // namespace ringlane::engine
