// connect.hpp -- connect a socket (for clients and tests).
//
//   std::int32_t r = co_await engine::connect(fd, addr, len);   // 0 or -errno
//   std::int32_t t = co_await engine::connect(fd, addr, len).within(2s);  // -ETIMEDOUT
//
// within() sets an exact deadline on the op itself (a linked timeout under
// io_uring): connecting is where that precision is worth an hrtimer.
//
// The target address is copied into the op: the kernel may read it after the
// caller's frame is gone (a cancelled connect).
#pragma once

#include <cstring>
#include <memory>

#include "engine/ops/send.hpp"

namespace ringlane::engine {

inline op_awaiter<detail::extract_res> connect(int fd, const sockaddr* addr, socklen_t len) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::connect;
  op->fd = fd;
  std::memcpy(&op->addr, addr, len);
  op->addrlen = len;
  return submit<detail::extract_res>(std::move(op));
}

}  // namespace ringlane::engine
