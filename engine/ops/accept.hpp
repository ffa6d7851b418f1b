// accept.hpp -- accept one connection (single shot).
//
//   accepted a = co_await engine::accept(listen_fd);
//   if (a.fd < 0) /* -errno: EMFILE, ECONNABORTED, ... */;
//
// The peer address is written by the kernel into the op (never into the
// caller's frame) and copied out at completion. Listeners use the multishot
// form instead (engine/net/listener.hpp).
#pragma once

#include <memory>

#include "engine/io/await_op.hpp"

namespace ringlane::engine {

struct accepted {
  int fd;  // the new socket (non-blocking, close-on-exec), or -errno
  sockaddr_storage peer;
  socklen_t peer_len;
};

struct extract_accepted {
  accepted operator()(const op_base& op) const noexcept { return {op.res, op.addr, op.addrlen}; }
};

inline op_awaiter<extract_accepted> accept(int listen_fd) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::accept;
  op->fd = listen_fd;
  return submit<extract_accepted>(std::move(op));
}

}  // namespace ringlane::engine
