// recv.hpp -- receive from a socket.
//
//   received r = co_await engine::recv(fd, 4096);      // op-owned storage, copied out
//   pooled p  = co_await engine::recv_pooled(fd);       // a buffer from the worker's pool
//
// recv() suits clients and tests: the kernel writes into memory the op
// owns, so a cancelled recv can never scribble over a dead frame; the bytes
// are moved out at completion. recv_pooled() is the zero-copy form: the
// buffer comes from the worker's pool (a provided-buffer ring under
// io_uring) and goes back when the pool_buffer is dropped. Connections use
// the multishot form (engine/net/stream.hpp).
//
// res: bytes received, 0 at end of stream, or -errno (-ENOBUFS: pool empty).
#pragma once

#include <memory>
#include <string>

#include "engine/io/await_op.hpp"
#include "engine/io/pool_buffer.hpp"

namespace ringlane::engine {

struct received {
  std::int32_t res;
  std::string data;
};

namespace detail {
struct owned_recv_op final : op_base {
  std::string storage;
};
struct extract_received {
  received operator()(op_base& op) const {
    auto& o = static_cast<owned_recv_op&>(op);
    if (o.res > 0) o.storage.resize(static_cast<std::size_t>(o.res)); else o.storage.clear();
    return {o.res, std::move(o.storage)};
  }
};
}  // namespace detail

inline op_awaiter<detail::extract_received> recv(int fd, std::size_t max) {
  auto op = std::make_unique<detail::owned_recv_op>();
  op->storage.resize(max);
  op->code = op_code::recv;
  op->fd = fd;
  op->buf = op->storage.data();
  op->len = static_cast<std::uint32_t>(max);
  return submit<detail::extract_received>(std::move(op));
}

struct pooled {
  std::int32_t res;
  pool_buffer buffer;  // valid when res > 0
};

namespace detail {
struct extract_pooled {
  pooled operator()(const op_base& op) const noexcept {
    if (op.res > 0 && (op.flags & completion_flags::buffer)) {
      return {op.res, pool_buffer(&current_io()->buffers(), op.buffer_id, static_cast<std::uint32_t>(op.res))};
    }
    if (op.flags & completion_flags::buffer) current_io()->buffers().put(op.buffer_id);  // 0-byte read
    return {op.res, pool_buffer()};
  }
};
}  // namespace detail

inline op_awaiter<detail::extract_pooled> recv_pooled(int fd) {
  auto op = std::make_unique<op_base>();
  op->code = op_code::recv_pooled;
  op->fd = fd;
  return submit<detail::extract_pooled>(std::move(op));
}

}  // namespace ringlane::engine
