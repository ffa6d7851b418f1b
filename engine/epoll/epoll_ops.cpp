// epoll_ops.cpp -- what each opcode does in the epoll backend: one
// non-blocking attempt of its syscall (single-shot ops), the drain loop of
// the emulated multishot ops, and the synchronous ops. The table in
// epoll_context.hpp ("Opcodes") is the summary; this file is the detail.
//
// Every attempt returns the op's result (>= 0 or -errno) or would_block,
// which parks the op until its fd's next readiness edge.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "engine/epoll/epoll_context.hpp"

namespace ringlane::engine {
namespace {

constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};  // "current file position", as io_uring's -1

// Runs a syscall until it is not interrupted; maps EAGAIN to `blocked`.
template <class F>
std::int32_t sys(F f, std::int32_t blocked) noexcept {
  for (;;) {
    const auto r = f();
    if (r >= 0) return static_cast<std::int32_t>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return blocked;
    return -errno;
  }
}

}  // namespace

std::int32_t epoll_context::attempt(op_base& op, bool first, std::uint32_t& flags, std::uint16_t& bid) {
  switch (op.code) {
    case op_code::accept: {
      const std::int32_t c = sys(
          [&] {
            return ::accept4(op.fd, reinterpret_cast<sockaddr*>(&op.addr), &op.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
          },
          would_block);
      if (c >= 0) adopt_fd(c, true);
      return c;
    }
    case op_code::recv:
      return sys([&] { return ::recv(op.fd, op.buf, op.len, MSG_DONTWAIT | op.msg_flags); }, would_block);
    case op_code::recv_pooled:
      return attempt_recv_pooled(op, flags, bid);
    case op_code::read:
      return sys(
          [&] {
            return op.offset == kNoOffset ? ::read(op.fd, op.buf, op.len)
                                          : ::pread(op.fd, op.buf, op.len, static_cast<off_t>(op.offset));
          },
          would_block);
    case op_code::send:
      return sys([&] { return ::send(op.fd, op.buf, op.len, MSG_NOSIGNAL | MSG_DONTWAIT | op.msg_flags); },
                 would_block);
    case op_code::writev: {
      op.msg = msghdr{};
      op.msg.msg_iov = const_cast<iovec*>(op.iov);  // sendmsg does not write through it
      op.msg.msg_iovlen = op.iovcnt;
      const std::int32_t r = sys([&] { return ::sendmsg(op.fd, &op.msg, MSG_NOSIGNAL | MSG_DONTWAIT); }, would_block);
      if (r != -ENOTSOCK) return r;
      // A pipe or file: plain writev (the fd was made O_NONBLOCK at start).
      return sys([&] { return ::writev(op.fd, op.iov, static_cast<int>(op.iovcnt)); }, would_block);
    }
    case op_code::connect:
      return attempt_connect(op, first);
    case op_code::splice: {
      // The kernel advances *off_in: start from op.offset on every attempt
      // (a blocked attempt moved nothing).
      loff_t off = static_cast<loff_t>(op.offset);
      loff_t* off_in = op.offset == kNoOffset ? nullptr : &off;
      return sys(
          [&] {
            return ::splice(op.fd, off_in, op.fd_out, nullptr, op.len,
                            static_cast<unsigned>(op.msg_flags) | SPLICE_F_NONBLOCK);
          },
          would_block);
    }
    case op_code::nop:
    case op_code::accept_multishot:
    case op_code::recv_multishot:
    case op_code::close:
    case op_code::shutdown:
    case op_code::openat:
    case op_code::statx:
      break;  // not single-shot readiness ops: never parked through here
  }
  return -EINVAL;
}

// The buffer is taken at readiness time (IO_URING.md 2.5): a recv that
// would block holds none while it waits.
std::int32_t epoll_context::attempt_recv_pooled(op_base& op, std::uint32_t& flags, std::uint16_t& bid) noexcept {
  const std::optional<std::uint16_t> b = pool_.take();
  if (!b) return -ENOBUFS;
  const std::span<std::byte> mem = pool_.get(*b);
  const std::int32_t r =
      sys([&] { return ::recv(op.fd, mem.data(), mem.size(), MSG_DONTWAIT | op.msg_flags); }, would_block);
  if (r > 0) {
    flags = completion_flags::buffer;
    bid = *b;
  } else {
    pool_.put(*b);  // EOF, error or EAGAIN: no data, no buffer
  }
  return r;
}

// Non-blocking connect: EINPROGRESS parks until OUT (or ERR/HUP); then the
// outcome is in SO_ERROR. A spurious retry (still connecting: SO_ERROR 0
// but no peer yet) parks again.
std::int32_t epoll_context::attempt_connect(op_base& op, bool first) noexcept {
  if (first) {
    if (::connect(op.fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addrlen) == 0) return 0;
    // EINTR on a connecting socket: the handshake goes on asynchronously.
    if (errno == EINPROGRESS || errno == EINTR || errno == EALREADY) return would_block;
    return -errno;  // includes EAGAIN (a full AF_UNIX backlog): a real result
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  if (err != 0) return -err;
  sockaddr_storage peer{};
  socklen_t plen = sizeof peer;
  if (::getpeername(op.fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) return 0;
  return errno == ENOTCONN ? would_block : -errno;
}

std::int32_t epoll_context::run_sync(op_base& op) {
  switch (op.code) {
    case op_code::nop:
      return 0;
    case op_code::close:
      return close_fd(op.fd);
    case op_code::shutdown:
      return ::shutdown(op.fd, static_cast<int>(op.len)) < 0 ? -errno : 0;
    case op_code::openat: {
      const std::int32_t r = sys(
          [&] { return ::openat(op.fd, static_cast<const char*>(op.buf), op.msg_flags, static_cast<mode_t>(op.len)); },
          -EAGAIN);
      if (r >= 0) adopt_fd(r, (op.msg_flags & O_NONBLOCK) != 0);
      return r;
    }
    case op_code::statx:  // AT_* flags in msg_flags (0 = AT_STATX_SYNC_AS_STAT)
      return sys(
          [&] {
            return ::statx(op.fd, static_cast<const char*>(op.buf), op.msg_flags, op.len,
                           static_cast<struct statx*>(op.out));
          },
          -EAGAIN);
    default:
      return -EINVAL;
  }
}

// A parked multishot op, at readiness (or at its first turn after start):
// one completion per connection / chunk, `more` while it stays armed.
// Returns false when the op ended (its final completion is queued last).
bool epoll_context::run_multishot(op_base& op, bool may_stop_short) {
  const std::uint32_t batch = opts_.multishot_batch;
  if (op.code == op_code::accept_multishot) {
    // No peer address: one op, many connections; the kernel would overwrite
    // it before the owner reads it (io_uring has the same caveat).
    for (std::uint32_t n = 0; n < batch; ++n) {
      const int c = ::accept4(op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) {
        adopt_fd(c, true);
        queue(op, c, completion_flags::more);
        continue;
      }
      // The client gave up before we accepted: not the listener's fault.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      queue(op, -errno);  // EMFILE, ENFILE, ...: ends it, as io_uring does
      return false;
    }
    owe_retry(op.fd, *fds_.find(op.fd));  // the backlog may hold more: next turn
    return true;
  }

  // recv_multishot
  for (std::uint32_t n = 0; n < batch; ++n) {
    const std::optional<std::uint16_t> b = pool_.take();
    if (!b) {
      // Out of buffers. As with io_uring's buffer rings, that ends the op
      // only when there is something to receive; an idle socket stays
      // armed and waits for its next edge.
      char probe;
      const std::int32_t p = sys([&] { return ::recv(op.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT); }, would_block);
      if (p == would_block) return true;
      queue(op, p > 0 ? -ENOBUFS : p);  // data: ENOBUFS; EOF: 0; error: -errno
      return false;
    }
    const std::span<std::byte> mem = pool_.get(*b);
    const std::int32_t r =
        sys([&] { return ::recv(op.fd, mem.data(), mem.size(), MSG_DONTWAIT | op.msg_flags); }, would_block);
    if (r > 0) {
      queue(op, r, completion_flags::more | completion_flags::buffer, *b);
      // A short read drained the socket; new data raises a new edge (see
      // the header) -- unless this edge carried a hang-up, which raises none.
      if (may_stop_short && static_cast<std::size_t>(r) < mem.size()) return true;
      continue;
    }
    pool_.put(*b);
    if (r == would_block) return true;
    queue(op, r);  // 0 = EOF, or -errno: final
    return false;
  }
  owe_retry(op.fd, *fds_.find(op.fd));
  return true;
}

}  // namespace ringlane::engine
