// close.hpp -- close and shut down sockets and files.
//
// Closing an fd does not cancel io_uring requests on it (the kernel holds its
// own file reference, IO_URING.md 3.4): owners cancel their in-flight ops and
// wait for their completions first, then close.
#pragma once

#include <memory>

#include "engine/ops/send.hpp"

namespace ringlane::engine {

inline op_awaiter<detail::extract_res> close(int fd) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::close;
  op->fd = fd;
  return submit<detail::extract_res>(std::move(op));
}

// how: SHUT_RD, SHUT_WR or SHUT_RDWR.
inline op_awaiter<detail::extract_res> shutdown(int fd, int how) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::shutdown;
  op->fd = fd;
  op->len = static_cast<std::uint32_t>(how);
  return submit<detail::extract_res>(std::move(op));
}

}  // namespace ringlane::engine
