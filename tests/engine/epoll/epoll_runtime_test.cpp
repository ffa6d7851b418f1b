// Tests for engine/epoll/epoll_context.hpp inside real ringlane runtimes
// whose driver is the epoll context: real sockets on 127.0.0.1 and
// socketpairs, ops awaited with engine::submit. Every body runs under a
// 30 s timeout (a hang fails the test instead of the CI job) and waits on
// real events only, never on sleeps.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/epoll/epoll_context.hpp"
#include "runtime/channel/oneshot.hpp"
#include "runtime/combinators/timeout.hpp"
#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/engine/epoll/epoll_test_support.hpp"

namespace ringlane::engine {
namespace {

using namespace epoll_test;

task<void> accept_many_body() {
  constexpr int n = 200;
  const bound_socket l = bind_loopback(512);
  auto server = [](int lfd) -> task<std::vector<int>> {
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
      auto op = make_op(op_code::accept, lfd);
      const completion c = co_await submit(std::move(op));
      EXPECT_GE(c.res, 0) << "accept " << i;
      if (c.res < 0) break;
      fds.push_back(c.res);
    }
    co_return fds;
  };
  auto accepted = spawn(server(l.fd));
  std::vector<int> clients;
  for (int i = 0; i < n; ++i) {
    const int fd = co_await connect_to(l.port);
    EXPECT_GE(fd, 0) << "connect " << i;
    if (fd < 0) break;
    clients.push_back(fd);
  }
  const std::vector<int> served = co_await accepted;
  EXPECT_EQ(served.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(clients.size(), static_cast<std::size_t>(n));
  // Every connection is live end to end: a byte from each client arrives.
  for (int fd : clients) {
    std::byte b{42};
    EXPECT_EQ(co_await send_all(fd, &b, 1), 1);
  }
  for (int fd : served) {
    std::vector<std::byte> got;
    EXPECT_EQ(co_await recv_exact(fd, &got, 1), 1);
  }
  for (int fd : clients) EXPECT_EQ(co_await close_fd(fd), 0);
  for (int fd : served) EXPECT_EQ(co_await close_fd(fd), 0);
  EXPECT_EQ(co_await close_fd(l.fd), 0);
}

TEST(EpollRuntime, AcceptsManyConnections) {
  runtime rt(epoll_runtime(1));
  run(rt, accept_many_body());
}

// Echo server on recv_pooled: every byte goes back from the pool buffer it
// arrived in, and every buffer is returned.
task<std::int64_t> echo_pooled(int lfd) {
  const completion a = co_await submit(make_op(op_code::accept, lfd));
  if (a.res < 0) co_return a.res;
  no_delay(a.res);
  std::int64_t total = 0;
  for (;;) {
    const completion c = co_await submit(make_op(op_code::recv_pooled, a.res));
    if (c.res <= 0) {
      EXPECT_EQ(c.res, 0);
      EXPECT_FALSE(c.flags & completion_flags::buffer);
      break;
    }
    EXPECT_TRUE(c.flags & completion_flags::buffer);
    const std::span<std::byte> mem = io().buffers().get(c.buffer_id);
    const std::int64_t s = co_await send_all(a.res, mem.data(), static_cast<std::size_t>(c.res));
    io().buffers().put(c.buffer_id);
    if (s < 0) co_return s;
    total += c.res;
  }
  EXPECT_EQ(co_await close_fd(a.res), 0);
  co_return total;
}

// Echo server on one armed recv_multishot, re-armed after -ENOBUFS.
task<std::int64_t> echo_multishot(int lfd) {
  const completion a = co_await submit(make_op(op_code::accept, lfd));
  if (a.res < 0) co_return a.res;
  no_delay(a.res);
  auto op = make_multishot(op_code::recv_multishot, a.res);
  arm(*op);
  std::int64_t total = 0;
  for (;;) {
    const completion c = co_await next_completion{op.get()};
    if (c.flags & completion_flags::buffer) {
      EXPECT_GT(c.res, 0);
      const std::span<std::byte> mem = io().buffers().get(c.buffer_id);
      const std::int64_t s = co_await send_all(a.res, mem.data(), static_cast<std::size_t>(c.res));
      io().buffers().put(c.buffer_id);
      EXPECT_GE(s, 0);
      total += c.res;
    }
    if (c.flags & completion_flags::more) continue;
    if (c.res == -ENOBUFS) {
      arm(*op);
      continue;
    }
    EXPECT_EQ(c.res, 0);  // EOF ends it
    break;
  }
  drop(std::move(op));
  EXPECT_EQ(co_await close_fd(a.res), 0);
  co_return total;
}

// Client: messages of assorted sizes, each echoed back before the next.
task<void> echo_client(std::uint16_t port, std::size_t* sent) {
  const int fd = co_await connect_to(port);
  EXPECT_GE(fd, 0);
  if (fd < 0) co_return;
  std::size_t at = 0;
  for (int i = 0; i < 100; ++i) {
    const std::size_t n = 1 + (static_cast<std::size_t>(i) * 7919) % 40000;
    const std::vector<std::byte> msg = pattern(n, at);
    EXPECT_EQ(co_await send_all(fd, msg.data(), n), static_cast<std::int64_t>(n));
    std::vector<std::byte> back;
    EXPECT_EQ(co_await recv_exact(fd, &back, n), static_cast<std::int64_t>(n));
    EXPECT_TRUE(back == msg) << "message " << i;
    at += n;
  }
  *sent = at;
  auto shut = make_op(op_code::shutdown, fd);
  shut->len = SHUT_WR;
  const completion s = co_await submit(std::move(shut));
  EXPECT_EQ(s.res, 0);
  std::vector<std::byte> rest;
  EXPECT_EQ(co_await recv_exact(fd, &rest, 1), 0);  // the server closed
  EXPECT_EQ(co_await close_fd(fd), 0);
}

task<void> echo_body(bool multishot) {
  const bound_socket l = bind_loopback(16);
  auto server = spawn(multishot ? echo_multishot(l.fd) : echo_pooled(l.fd));
  std::size_t sent = 0;
  co_await echo_client(l.port, &sent);
  const std::int64_t echoed = co_await server;
  EXPECT_EQ(echoed, static_cast<std::int64_t>(sent));
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(io().buffers().available(), io().buffers().capacity());
  EXPECT_EQ(co_await close_fd(l.fd), 0);
}

TEST(EpollRuntime, EchoThroughRecvPooled) {
  runtime rt(epoll_runtime(1));
  run(rt, echo_body(false));
}

TEST(EpollRuntime, EchoThroughRecvMultishot) {
  epoll_options eo;
  eo.buffer_count = 8;  // small enough that ENOBUFS and re-arming happen too
  eo.buffer_size = 4096;
  runtime rt(epoll_runtime(1, eo));
  run(rt, echo_body(true));
}

// A slow reader on a thread, a small send buffer: sends complete short and
// the rest is resubmitted; every byte arrives, in order.
task<void> send_big(int fd, const std::vector<std::byte>* data, int* short_sends) {
  EXPECT_EQ(co_await send_all(fd, data->data(), data->size(), short_sends), static_cast<std::int64_t>(data->size()));
  EXPECT_EQ(co_await close_fd(fd), 0);
}

TEST(EpollRuntime, ShortSendsAreResubmitted) {
  const auto [c, s] = tcp_pair();
  const int small = 4096;
  ASSERT_EQ(::setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  // Bounded: a stuck sender makes the reader give up (and close), which
  // fails the sender's send with an error instead of hanging.
  const timeval tv{10, 0};
  ASSERT_EQ(::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  const std::vector<std::byte> data = pattern(2u << 20);

  std::size_t received = 0;
  bool in_order = true;
  std::thread reader([&, s = s] {
    std::array<std::byte, 1000> buf;
    while (received < data.size()) {
      const ssize_t n = ::recv(s, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) in_order = in_order && buf[static_cast<std::size_t>(i)] == data[received + i];
      received += static_cast<std::size_t>(n);
    }
    ::close(s);
  });
  runtime rt(epoll_runtime(1));
  int short_sends = 0;
  run(rt, send_big(c, &data, &short_sends));
  reader.join();
  EXPECT_EQ(received, data.size());
  EXPECT_TRUE(in_order);
  EXPECT_GT(short_sends, 0);
}

// A task parked in recv is aborted; its op is orphaned and cancelled, the
// fd's read side is free again, and the fd closes cleanly (ASan: no
// use-after-free, LSan: the op was freed).
task<void> parked_recv(int fd, bool* started) {
  *started = true;
  const completion c = co_await submit(make_owned_recv(fd));
  ADD_FAILURE() << "the recv completed: " << c.res;
}

task<void> abort_then_close_body() {
  const auto sv = unix_pair();
  bool started = false;
  auto h = spawn(parked_recv(sv[0], &started));
  while (!started) co_await yield_now();
  h.abort();
  bool cancelled = false;
  try {
    co_await h;
  } catch (const task_cancelled&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  // The read side is free: a new recv on the same fd gets the data.
  EXPECT_EQ(::send(sv[1], "after", 5, 0), 5);
  std::vector<std::byte> got;
  EXPECT_EQ(co_await recv_exact(sv[0], &got, 5), 5);
  EXPECT_EQ(co_await close_fd(sv[0]), 0);
  ::close(sv[1]);
}

TEST(EpollRuntime, AbortedRecvThenCloseIsClean) {
  runtime rt(epoll_runtime(1));
  run(rt, abort_then_close_body());
}

TEST(EpollRuntime, RuntimeShutdownFreesOpsOfParkedTasks) {
  const auto sv = unix_pair();
  {
    runtime rt(epoll_runtime(1));
    auto body = [](int fd) -> task<void> {
      bool started = false;
      auto h = spawn(parked_recv(fd, &started));  // still parked at shutdown
      while (!started) co_await yield_now();
      h.detach();
    };
    run(rt, body(sv[0]));
  }  // ~runtime cancels the task; ~epoll_context frees its orphaned op
  ::close(sv[0]);
  ::close(sv[1]);
}

// Tiny pool: the multishot recv ends with -ENOBUFS while the data waits in
// the socket; after the buffers come back, re-arming gets the rest.
task<void> enobufs_body() {
  const auto sv = unix_pair();
  const std::vector<std::byte> data = pattern(10'000);
  EXPECT_EQ(::send(sv[1], data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  ::shutdown(sv[1], SHUT_WR);

  auto op = make_multishot(op_code::recv_multishot, sv[0]);
  arm(*op);
  std::vector<std::byte> got;
  std::vector<std::uint16_t> held;  // kept until the op ends, to run the pool dry
  int enobufs = 0;
  for (int turns = 0; turns < 1000; ++turns) {
    const completion c = co_await next_completion{op.get()};
    if (c.flags & completion_flags::buffer) {
      const auto mem = io().buffers().get(c.buffer_id);
      got.insert(got.end(), mem.begin(), mem.begin() + c.res);
      held.push_back(c.buffer_id);
    }
    if (c.flags & completion_flags::more) continue;
    for (auto b : held) io().buffers().put(b);
    held.clear();
    if (c.res == -ENOBUFS) {
      ++enobufs;
      arm(*op);
      continue;
    }
    EXPECT_EQ(c.res, 0);
    break;
  }
  EXPECT_TRUE(got == data);
  EXPECT_GE(enobufs, 4);  // 10000 bytes through two 1 KiB buffers
  EXPECT_EQ(io().buffers().available(), 2u);
  drop(std::move(op));
  EXPECT_EQ(co_await close_fd(sv[0]), 0);
  ::close(sv[1]);
}

TEST(EpollRuntime, MultishotRecvEndsWithEnobufsAndResumesAfterRearm) {
  runtime rt(epoll_runtime_small_pool(2));
  run(rt, enobufs_body());
}

task<std::vector<int>> connect_many(std::uint16_t port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = co_await connect_to(port);
    EXPECT_GE(fd, 0);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  co_return fds;
}

task<void> multishot_accept_body() {
  constexpr int n = 100;
  const bound_socket l = bind_loopback(512);
  auto op = make_multishot(op_code::accept_multishot, l.fd);
  arm(*op);
  auto clients = spawn(connect_many(l.port, n));
  std::vector<int> accepted;
  while (accepted.size() < static_cast<std::size_t>(n)) {
    const completion c = co_await next_completion{op.get()};
    EXPECT_TRUE(c.flags & completion_flags::more);
    EXPECT_GE(c.res, 0);
    if (c.res < 0 || !(c.flags & completion_flags::more)) break;
    accepted.push_back(c.res);
  }
  const std::vector<int> connected = co_await clients;
  EXPECT_EQ(accepted.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(connected.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(op->state, op_state::in_flight);  // still armed

  io().cancel(*op);
  const completion fin = co_await next_completion{op.get()};
  EXPECT_EQ(fin.res, -ECANCELED);
  EXPECT_FALSE(fin.flags & completion_flags::more);
  EXPECT_EQ(op->state, op_state::done);
  drop(std::move(op));
  for (int fd : accepted) EXPECT_EQ(co_await close_fd(fd), 0);
  for (int fd : connected) EXPECT_EQ(co_await close_fd(fd), 0);
  EXPECT_EQ(co_await close_fd(l.fd), 0);
}

TEST(EpollRuntime, MultishotAcceptStaysArmedUntilCancelled) {
  runtime rt(epoll_runtime(1));
  run(rt, multishot_accept_body());
}

// Worker 0 sleeps in epoll_wait; a task on worker 1 sends on a oneshot
// channel whose receiver is parked on worker 0: only the eventfd wakes it.
task<int> receive(oneshot::receiver<int> rx) {
  const std::optional<int> v = co_await std::move(rx);
  co_return v.value_or(-1);
}

task<void> receive_on_0(oneshot::receiver<int> rx, std::atomic<steady::rep>* at, std::atomic<int>* value) {
  EXPECT_EQ(current_worker_index(), 0);
  // The timer makes a broken unpark fail after 10 s instead of hanging.
  const auto v = co_await timeout(10s, receive(std::move(rx)));
  at->store(steady::now().time_since_epoch().count());
  value->store(v ? *v : -2);
}

task<void> send_from_1(oneshot::sender<int> tx, std::atomic<steady::rep>* at) {
  EXPECT_EQ(current_worker_index(), 1);
  at->store(steady::now().time_since_epoch().count());
  EXPECT_TRUE(tx.send(42));
  co_return;
}

task<void> join_both(join_handle<void> a, join_handle<void> b) {
  co_await a;
  co_await b;
}

TEST(EpollRuntime, CrossThreadUnparkWakesAWorkerParkedInEpollWait) {
  std::array<epoll_context*, 2> ctx{};
  runtime_options o;
  o.workers = 2;
  o.make_driver = [&ctx](std::uint32_t i) {
    auto p = std::make_unique<epoll_context>(epoll_options{});
    ctx[i] = p.get();  // published to this thread by the runtime's start-up handshake
    return p;
  };
  runtime rt(std::move(o));
  auto [tx, rx] = oneshot::channel<int>();
  std::atomic<steady::rep> sent_at{0}, received_at{0};
  std::atomic<int> value{0};
  auto h0 = rt.spawn_on(0, receive_on_0(std::move(rx), &received_at, &value));
  // Real event, bounded: worker 0 has run the receiver and is in epoll_wait.
  for (int i = 0; i < 10'000 && !ctx[0]->is_sleeping(); ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(ctx[0]->is_sleeping());
  auto h1 = rt.spawn_on(1, send_from_1(std::move(tx), &sent_at));
  for (int i = 0; i < 20'000 && value.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(value.load(), 42);
  const auto latency = steady::duration(received_at.load() - sent_at.load());
  EXPECT_LT(latency, 5s) << "woken by the timer, not by unpark";
  rt.block_on(join_both(std::move(h0), std::move(h1)));
}

// A timeout aborts a recv that never gets data; the fd then closes cleanly.
task<std::int32_t> recv_forever(int fd) {
  const completion c = co_await submit(make_owned_recv(fd));
  co_return c.res;
}

task<void> timeout_body() {
  const auto sv = unix_pair();
  const auto t0 = steady::now();
  const auto r = co_await timeout(50ms, recv_forever(sv[0]));
  EXPECT_FALSE(r.has_value());
  EXPECT_GE(steady::now() - t0, 50ms);
  EXPECT_EQ(co_await close_fd(sv[0]), 0);
  ::close(sv[1]);
}

TEST(EpollRuntime, TimeoutCancelsAParkedRecv) {
  runtime rt(epoll_runtime(1));
  run(rt, timeout_body());
}

task<void> refused_body() {
  const bound_socket b = bind_loopback(0);  // bound, never listening: refuses
  EXPECT_EQ(co_await connect_to(b.port), -ECONNREFUSED);
  ::close(b.fd);
}

TEST(EpollRuntime, ConnectToAClosedPortIsRefused) {
  runtime rt(epoll_runtime(1));
  run(rt, refused_body());
}

}  // namespace
}  // namespace ringlane::engine
