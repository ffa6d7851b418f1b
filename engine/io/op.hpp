// op.hpp -- an I/O operation as both backends see it.
//
// Every operation (recv, send, accept, ...) is described by an op_base: the
// opcode and its arguments, the completion (res, flags), and the task to
// wake. Both backends (io_uring, epoll) take the same op_base and deliver the
// same completion record, so nothing above engine/ can tell them apart:
//
//   res    >= 0 on success (bytes, fd, ...), negative errno on failure
//   flags  completion_flags::more   -- a multishot op stays armed
//          completion_flags::buffer -- `buffer_id` names a pool buffer
//
// Lifecycle (one worker only: ops are started, completed and cancelled on
// the worker that owns the ring or epoll set; tasks awaiting them are parked
// with park_binding::this_worker):
//
//             start()                 completion
//   idle ─────────────> in_flight ─────────────────> done ─> awaiter reads it
//                          │
//                          │ awaiter destroyed (task aborted, timeout)
//                          v
//                       orphaned ──── cancel requested; the kernel may still
//                                     write into the op's buffers ────────┐
//                                     completion arrives: op deleted  <───┘
//
// "Kernel-visible memory lives until its completion" (DESIGN decision 4):
// everything the kernel reads or writes (sockaddr storage, iovecs, the
// caller's buffer contract) is owned by the op or guaranteed by its owner
// until the final completion. An orphaned op is deleted by the backend when
// its completion arrives, never before.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>

#include "runtime/task/task.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane::engine {

enum class op_code : std::uint8_t {
  nop,
  accept,             // fd; out: res = new fd; peer address in addr
  accept_multishot,   // fd; one completion per connection, `more` while armed
  recv,               // fd, buf, len: into the caller's buffer
  recv_pooled,        // fd: into a buffer taken from the worker's pool
  recv_multishot,     // fd: pooled buffers, one completion per chunk
  send,               // fd, buf, len, msg_flags
  writev,             // fd, iov, iovcnt
  connect,            // fd, addr, addrlen
  close,              // fd
  shutdown,           // fd, how (in len)
  openat,             // dirfd (fd), path (buf), flags (msg_flags), mode (len)
  read,               // fd, buf, len, offset: file read
  statx,              // fd (dirfd), path (buf, NUL-terminated), mask (len); result into `out` (struct statx*)
  splice,             // fd (in), offset (in; ~0 = current position), fd_out, len: one side is a pipe
};

const char* to_string(op_code c) noexcept;

namespace completion_flags {
inline constexpr std::uint32_t more = 1u << 0;
inline constexpr std::uint32_t buffer = 1u << 1;
}  // namespace completion_flags

enum class op_state : std::uint8_t { idle, in_flight, done, orphaned };

struct op_base : detail::pooled_frame {
  op_base() = default;
  op_base(const op_base&) = delete;
  op_base& operator=(const op_base&) = delete;
  virtual ~op_base() = default;

  // Called by the backend on the owning worker for every completion (many
  // for multishot ops). The default stores the result and wakes the waiter.
  virtual void on_complete(std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept;

  // Arguments (which ones an opcode uses is listed at op_code).
  op_code code = op_code::nop;
  int fd = -1;
  int fd_out = -1;
  void* buf = nullptr;
  std::uint32_t len = 0;
  int msg_flags = 0;
  std::uint64_t offset = 0;
  const iovec* iov = nullptr;
  msghdr msg{};                  // writev as sendmsg(MSG_NOSIGNAL): the backend fills it
  // Exact per-op deadline (connect, ...): > 0 = fail with -ETIMEDOUT after
  // this long. io_uring links an IORING_OP_LINK_TIMEOUT (one hrtimer per
  // op: use it where exactness matters; the timer wheel covers the common
  // request/idle timeouts cheaply); epoll relies on op_awaiter's wheel timer.
  std::int64_t link_timeout_ns = 0;
  std::int64_t link_ts[2] = {0, 0};  // the kernel's timespec, read at submit
  void* out = nullptr;           // statx: where the kernel writes the result
  unsigned iovcnt = 0;
  sockaddr_storage addr{};       // accept: peer (written by the kernel); connect: target
  socklen_t addrlen = sizeof(sockaddr_storage);

  // Completion.
  std::int32_t res = 0;
  std::uint32_t flags = 0;
  std::uint16_t buffer_id = 0;
  op_state state = op_state::idle;
  waker waiter;
};

}  // namespace ringlane::engine
