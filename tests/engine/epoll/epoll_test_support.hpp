// epoll_test_support.hpp -- helpers shared by the epoll backend tests:
// loopback sockets, ops filled by hand and awaited with engine::submit, a
// multishot op whose completions queue up, and runtimes whose driver is an
// epoll_context.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "engine/epoll/epoll_context.hpp"
#include "engine/io/await_op.hpp"
#include "runtime/combinators/timeout.hpp"
#include "runtime/runtime.hpp"

namespace ringlane::engine::epoll_test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Plain-socket helpers (synchronous; used outside or before the runtime)

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct bound_socket {
  int fd;
  std::uint16_t port;
};

// A TCP socket bound to 127.0.0.1:<ephemeral>; listening if backlog > 0.
inline bound_socket bind_loopback(int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in a = loopback(0);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (backlog > 0) {
    EXPECT_EQ(::listen(fd, backlog), 0);
  }
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  return {fd, ntohs(a.sin_port)};
}

// A connected TCP pair of blocking sockets: {client, server}.
inline std::array<int, 2> tcp_pair() {
  const bound_socket l = bind_loopback(1);
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(l.port);
  EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const int s = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(s, 0);
  ::close(l.fd);
  return {c, s};
}

// Request/response tests would otherwise meet Nagle + delayed ACK (40 ms
// per exchange).
inline void no_delay(int fd) {
  const int one = 1;
  EXPECT_EQ(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
}

inline std::array<int, 2> unix_pair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  return {sv[0], sv[1]};
}

inline std::byte pattern_at(std::size_t i) { return static_cast<std::byte>((i * 131 + (i >> 11)) & 0xff); }

inline std::vector<std::byte> pattern(std::size_t n, std::size_t from = 0) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = pattern_at(from + i);
  return v;
}

// ---------------------------------------------------------------------------
// Ops and awaiting them

inline std::unique_ptr<op_base> make_op(op_code c, int fd, void* buf = nullptr, std::uint32_t len = 0) {
  auto op = std::make_unique<op_base>();
  op->code = c;
  op->fd = fd;
  op->buf = buf;
  op->len = len;
  return op;
}

// A recv whose buffer lives in the op (DESIGN 4): safe to orphan.
struct owned_recv_op final : op_base {
  char storage[256];
};
inline std::unique_ptr<op_base> make_owned_recv(int fd) {
  auto op = std::make_unique<owned_recv_op>();
  op->code = op_code::recv;
  op->fd = fd;
  op->buf = op->storage;
  op->len = sizeof op->storage;
  return op;
}

inline epoll_context& io() { return static_cast<epoll_context&>(*current_io()); }

inline task<std::int32_t> close_fd(int fd) {
  const completion c = co_await submit(make_op(op_code::close, fd));
  co_return c.res;
}

// Connects a fresh non-blocking socket; the fd, or -errno.
inline task<int> connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  no_delay(fd);
  auto op = make_op(op_code::connect, fd);
  const sockaddr_in a = loopback(port);
  std::memcpy(&op->addr, &a, sizeof a);
  op->addrlen = sizeof a;
  const completion c = co_await submit(std::move(op));
  if (c.res < 0) {
    co_await close_fd(fd);
    co_return c.res;
  }
  co_return fd;
}

// Sends all of [p, p+n) in sends of at most `chunk` bytes, resubmitting the
// rest of every short send. Returns n or -errno.
inline task<std::int64_t> send_all(int fd, const std::byte* p, std::size_t n, int* short_sends = nullptr,
                                   std::size_t chunk = std::size_t{1} << 30) {
  std::size_t off = 0;
  while (off < n) {
    const auto len = static_cast<std::uint32_t>(std::min(n - off, chunk));
    const completion c = co_await submit(make_op(op_code::send, fd, const_cast<std::byte*>(p + off), len));
    if (c.res < 0) co_return c.res;
    if (static_cast<std::uint32_t>(c.res) < len && short_sends) ++*short_sends;
    off += static_cast<std::size_t>(c.res);
  }
  co_return static_cast<std::int64_t>(n);
}

// Receives exactly n bytes (fewer at EOF), appending them to `out`.
// Returns the count or -errno.
inline task<std::int64_t> recv_exact(int fd, std::vector<std::byte>* out, std::size_t n) {
  std::array<std::byte, 4096> buf;
  std::size_t got = 0;
  while (got < n) {
    const auto len = static_cast<std::uint32_t>(std::min(n - got, buf.size()));
    const completion c = co_await submit(make_op(op_code::recv, fd, buf.data(), len));
    if (c.res < 0) co_return c.res;
    if (c.res == 0) break;
    out->insert(out->end(), buf.begin(), buf.begin() + c.res);
    got += static_cast<std::size_t>(c.res);
  }
  co_return static_cast<std::int64_t>(got);
}

// A multishot op whose completions queue up for the test to take.
struct multishot_op final : op_base {
  std::deque<completion> got;
  waker w;
  void on_complete(std::int32_t r, std::uint32_t f, std::uint16_t b) noexcept override {
    got.push_back({r, f, b});
    if (!(f & completion_flags::more)) state = op_state::done;
    if (w) std::move(w).wake();
  }
};

inline std::unique_ptr<multishot_op> make_multishot(op_code c, int fd) {
  auto op = std::make_unique<multishot_op>();
  op->code = c;
  op->fd = fd;
  return op;
}

inline void arm(multishot_op& op) {
  op.state = op_state::in_flight;
  EXPECT_FALSE(io().start(op)) << "multishot ops complete through on_complete only";
}

// Hands a possibly still armed op to the backend (orphan + cancel), so a
// failing test does not leave a dangling op behind.
inline void drop(std::unique_ptr<multishot_op> op) {
  if (op->state != op_state::in_flight) return;
  op->state = op_state::orphaned;
  io().cancel(*op.release());
}

// co_await next_completion{op}: the op's next completion.
struct next_completion {
  multishot_op* op;
  bool await_ready() const noexcept { return !op->got.empty(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { op->w = this_task::park(h, park_binding::this_worker); }
  completion await_resume() noexcept {
    const completion c = op->got.front();
    op->got.pop_front();
    return c;
  }
  ~next_completion() { op->w = waker{}; }  // withdraws the waker if aborted while parked
};

// ---------------------------------------------------------------------------
// Runtimes

inline runtime_options epoll_runtime(std::uint32_t workers, epoll_options eo = {}) {
  runtime_options o;
  o.workers = workers;
  o.make_driver = [eo](std::uint32_t) { return std::make_unique<epoll_context>(eo); };
  return o;
}

// One worker whose receive pool is `buffers` buffers of 1 KiB: small
// enough for a test to run it dry.
inline runtime_options epoll_runtime_small_pool(std::uint32_t buffers) {
  epoll_options eo;
  eo.buffer_count = buffers;
  eo.buffer_size = 1024;
  return epoll_runtime(1, eo);
}

inline task<bool> bounded(task<void> body) {
  const auto r = co_await timeout(30s, std::move(body));
  co_return r.has_value();
}

inline void run(runtime& rt, task<void> body) { EXPECT_TRUE(rt.block_on(bounded(std::move(body)))) << "timed out"; }

}  // namespace ringlane::engine::epoll_test
