// Tests for engine/net (listener, stream) on real loopback sockets, run once
// per backend (io_uring and epoll): accept many, echo through pool buffers,
// pipelined batches, short sends to a slow reader, cancel-then-close,
// ENOBUFS recovery, timeouts that cancel kernel ops, EMFILE back-off.
#include <sys/resource.h>

#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/net/listener.hpp"
#include "engine/net/stream.hpp"
#include "engine/ops/connect.hpp"
#include "engine/ops/recv.hpp"
#include "runtime/combinators/timeout.hpp"
#include "runtime/task/coop.hpp"
#include "runtime/time/sleep.hpp"
#include "tests/engine/support.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;

task<void> echo(int fd, std::atomic<std::uint64_t>* enobufs = nullptr) {
  engine::stream s(fd);
  for (;;) {
    engine::pooled c = co_await s.read();
    if (c.res <= 0) break;
    s.queue(c.buffer.view());
    c.buffer.reset();
    const std::int32_t e = co_await s.flush();
    if (e < 0) break;
  }
  co_await s.drain();
  if (enobufs) enobufs->fetch_add(s.stats().enobufs);
}

task<void> echo_server(int listen_fd) {
  engine::listener l(listen_fd);
  for (;;) {
    engine::accepted a = co_await l.accept();
    if (a.fd >= 0) spawn_pinned(echo(a.fd)).detach();
  }
}

class EngineTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override { testing::require_backend(GetParam()); }
};

// SO_REUSEPORT lets any socket of the same user join a port; `exclusive`
// makes a listener refuse a port that is already served, so a second
// server fails to start instead of taking half the connections.
TEST(Listener, AnExclusiveListenerRefusesABusyPortAndAJoiningOneShares) {
  const int first = engine::open_listener({.host = "127.0.0.1", .port = 0});
  const std::uint16_t port = engine::local_port(first);
  try {
    engine::open_listener({.host = "127.0.0.1", .port = port, .exclusive = true});
    ADD_FAILURE() << "an exclusive listener took a busy port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE) << e.what();
  }
  const int joined = engine::open_listener({.host = "127.0.0.1", .port = port});  // not exclusive: one group
  ::close(joined);
  ::close(first);
  const int again = engine::open_listener({.host = "127.0.0.1", .port = port, .exclusive = true});  // free now
  EXPECT_EQ(engine::local_port(again), port);
  ::close(again);
}

TEST_P(EngineTest, AcceptsManyConnectionsAndEchoes) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  const std::uint16_t port = engine::local_port(lfd);
  rt.spawn_on(0, echo_server(lfd)).detach();

  std::vector<int> clients;
  for (int i = 0; i < 200; ++i) {
    const int fd = testing::connect_client(port);
    ASSERT_GE(fd, 0) << "connect " << i << ": " << std::strerror(-fd);
    clients.push_back(fd);
  }
  int echoed = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const std::string msg = testing::pattern(1000, static_cast<unsigned>(i));
    ASSERT_TRUE(testing::send_all_blocking(clients[i], msg));
    const std::string back = testing::recv_exactly(clients[i], msg.size());
    EXPECT_EQ(back.size(), msg.size()) << "client " << i << ": " << std::strerror(errno);
    echoed += back == msg;
  }
  for (int fd : clients) ::close(fd);
  EXPECT_EQ(echoed, 200);
}

TEST_P(EngineTest, EchoesOneMebibyteInOrderAndReturnsEveryBuffer) {
  runtime rt(testing::engine_runtime(GetParam(), 1, 16, 4096));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  const std::uint16_t port = engine::local_port(lfd);
  rt.spawn_on(0, echo_server(lfd)).detach();

  const int fd = testing::connect_client(port);
  ASSERT_GE(fd, 0);
  const std::string payload = testing::pattern(1 << 20);
  std::string back;
  std::thread reader([&] { back = testing::recv_exactly(fd, payload.size()); });
  ASSERT_TRUE(testing::send_all_blocking(fd, payload));
  reader.join();
  EXPECT_TRUE(back == payload) << "got " << back.size() << " bytes";
  ::close(fd);
}

// The server answers every "\n"-terminated line with one line; a client that
// pipelines 16 lines in one write gets 16 answers.
task<void> line_server(int listen_fd, std::atomic<std::uint64_t>* sends) {
  engine::listener l(listen_fd);
  engine::accepted a = co_await l.accept();
  engine::stream s(a.fd);
  for (;;) {
    engine::pooled c = co_await s.read();
    if (c.res <= 0) break;
    for (char ch : c.buffer.view()) {
      if (ch == '\n') s.queue("ok\n");
    }
    c.buffer.reset();
    if (s.queued() == 0) continue;
    const std::int32_t e = co_await s.flush();
    if (e < 0) break;
  }
  co_await s.drain();
  sends->store(s.stats().sends);
}

TEST_P(EngineTest, PipelinedRequestsAreAnsweredInOneSend) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  std::atomic<std::uint64_t> sends{0};
  auto server = rt.spawn_on(0, line_server(lfd, &sends));
  const int fd = testing::connect_client(engine::local_port(lfd));
  ASSERT_GE(fd, 0);
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += "req\n";
  ASSERT_TRUE(testing::send_all_blocking(fd, batch));
  std::string expect;
  for (int i = 0; i < 16; ++i) expect += "ok\n";
  EXPECT_EQ(testing::recv_exactly(fd, expect.size()), expect);
  ::close(fd);
  rt.block_on([](join_handle<void> h) -> task<void> { co_await h; }(std::move(server)));
  // One read carried all 16 lines (a small write on loopback), so one send
  // answered them all; allow a split read on a loaded machine.
  EXPECT_GE(sends.load(), 1u);
  EXPECT_LE(sends.load(), 4u);
}

task<std::uint64_t> blast(int listen_fd, std::size_t bytes) {
  engine::listener l(listen_fd);
  engine::accepted a = co_await l.accept();
  const int small = 4096;
  ::setsockopt(a.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  engine::stream s(a.fd);
  s.queue(testing::pattern(bytes, 3));
  const std::int32_t e = co_await s.drain();
  EXPECT_EQ(e, 0);
  co_return s.stats().sends;
}

TEST_P(EngineTest, ShortSendsToASlowReaderAreResubmitted) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  constexpr std::size_t kBytes = 512 << 10;
  auto server = rt.spawn_on(0, blast(lfd, kBytes));
  const int fd = testing::connect_client(engine::local_port(lfd));
  ASSERT_GE(fd, 0);
  const int small = 16384;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // Read slowly, in small pieces.
  std::string got;
  char buf[3000];
  while (got.size() < kBytes) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got == testing::pattern(kBytes, 3)) << got.size() << " bytes";
  const std::uint64_t sends = rt.block_on([](join_handle<std::uint64_t> h) -> task<std::uint64_t> {
    co_return co_await h;
  }(std::move(server)));
  std::printf("512 KiB to a slow reader took %llu sends\n", static_cast<unsigned long long>(sends));
  EXPECT_GE(sends, 1u);
}

TEST_P(EngineTest, AbortingAReaderCancelsItsRecvAndClosesTheSocket) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  std::atomic<bool> reading{false};
  auto server = rt.spawn_on(0, [](int l, std::atomic<bool>* r) -> task<void> {
    engine::listener lis(l);
    engine::accepted a = co_await lis.accept();
    engine::stream s(a.fd);
    r->store(true);
    engine::pooled c = co_await s.read();  // parks: the client never writes
    (void)c;
  }(lfd, &reading));
  const int fd = testing::connect_client(engine::local_port(lfd));
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 10'000 && !reading.load(); ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(reading.load());
  server.abort();
  // The stream's destructor cancels the armed recv; the socket closes once
  // the cancellation completes: the client sees EOF, not a timeout.
  char b;
  ssize_t r;
  do {
    r = ::recv(fd, &b, 1, 0);
  } while (r < 0 && errno == EINTR);
  EXPECT_EQ(r, 0);
  ::close(fd);
}

TEST_P(EngineTest, RecoversFromAnEmptyBufferPool) {
  // Two 1 KiB buffers; the reader holds both before returning them, so the
  // multishot recv ends with -ENOBUFS and must be re-armed without losing or
  // reordering data.
  runtime rt(testing::engine_runtime(GetParam(), 1, 2, 1024));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  constexpr std::size_t kBytes = 256 * 1024;
  auto server = rt.spawn_on(0, [](int l) -> task<std::string> {
    engine::listener lis(l);
    engine::accepted a = co_await lis.accept();
    engine::stream s(a.fd);
    std::string got;
    std::vector<engine::pooled> held;
    while (got.size() < kBytes) {
      engine::pooled c = co_await s.read();
      if (c.res <= 0) break;
      got.append(c.buffer.view());
      held.push_back(std::move(c));
      if (held.size() == 2) {
        co_await sleep(1ms);  // hold the whole pool for a moment
        held.clear();
      }
    }
    EXPECT_GT(s.stats().enobufs, 0u) << "the pool never ran dry: the test proves nothing";
    co_return got;
  }(lfd));
  const int fd = testing::connect_client(engine::local_port(lfd));
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all_blocking(fd, testing::pattern(kBytes, 9)));
  const std::string got = rt.block_on([](join_handle<std::string> h) -> task<std::string> {
    co_return co_await h;
  }(std::move(server)));
  ::close(fd);
  EXPECT_TRUE(got == testing::pattern(kBytes, 9)) << got.size() << " bytes";
}

TEST_P(EngineTest, TimeoutCancelsAPendingRecvInTheKernel) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<std::string> {
    auto r = co_await timeout(50ms, engine::recv(fd, 64));  // nothing arrives
    if (r) co_return "unexpected data";
    // The cancelled recv is gone: a new one gets the next bytes.
    engine::received again = co_await engine::recv(fd, 64);
    co_return again.data;
  };
  std::thread writer([&] {
    std::this_thread::sleep_for(200ms);
    testing::send_all_blocking(sv[1], "after");
  });
  EXPECT_EQ(rt.block_on(body(sv[0])), "after");
  writer.join();
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_P(EngineTest, ConnectToAClosedPortIsRefused) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int probe = engine::open_listener({.host = "127.0.0.1", .port = 0});
  const std::uint16_t port = engine::local_port(probe);
  ::close(probe);  // nobody listens there now
  auto body = [](std::uint16_t p) -> task<std::int32_t> {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::int32_t r = co_await engine::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
    co_return r;
  };
  EXPECT_EQ(rt.block_on(body(port)), -ECONNREFUSED);
}

TEST_P(EngineTest, AcceptBacksOffOnEmfileAndRecovers) {
  runtime rt(testing::engine_runtime(GetParam()));
  const int lfd = engine::open_listener({.host = "127.0.0.1", .port = 0});
  const std::uint16_t port = engine::local_port(lfd);
  std::atomic<int> served{0};
  auto server = rt.spawn_on(0, [](int l, std::atomic<int>* n) -> task<std::uint64_t> {
    engine::listener lis(l);
    while (n->load() < 3) {
      engine::accepted a = co_await lis.accept();
      ::close(a.fd);
      n->fetch_add(1);
    }
    co_return lis.backoffs();
  }(lfd, &served));

  // Make the client sockets first, then use up the descriptor table, then
  // connect: connecting needs no new descriptor, accepting does.
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(testing::client_socket());
  std::vector<int> hog;
  for (;;) {
    const int fd = ::dup(0);
    if (fd < 0) break;
    hog.push_back(fd);
  }
  ASSERT_FALSE(hog.empty());
  for (int fd : clients) ASSERT_EQ(testing::connect_to(fd, port), 0);
  // The server cannot take them (no descriptor left): wait, bounded, until
  // it has backed off at least once -- each back-off is a timer firing.
  for (int i = 0; i < 10'000 && rt.stats().total().timers_fired == 0; ++i) std::this_thread::sleep_for(1ms);
  for (int fd : hog) ::close(fd);
  const std::uint64_t backoffs = rt.block_on([](join_handle<std::uint64_t> h) -> task<std::uint64_t> {
    co_return co_await h;
  }(std::move(server)));
  for (int fd : clients) {
    if (fd >= 0) ::close(fd);
  }
  EXPECT_EQ(served.load(), 3);
  EXPECT_GT(backoffs, 0u);
}

// A task whose reads and flushes never have to wait still lets the other
// tasks on its worker run: it yields once its budget is spent (coop.hpp).
TEST_P(EngineTest, AStreamThatNeverWaitsStillYieldsToOthers) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<int> {
    bool other_ran = false;
    auto other = spawn([](bool* ran) -> task<void> {
      *ran = true;
      co_return;
    }(&other_ran));
    engine::stream s(fd);
    int seen_at = -1;  // the flush after which the other task had run
    for (int i = 0; i < 1000 && seen_at < 0; ++i) {
      s.queue("x");  // 1,000 bytes at most: the socket always has room
      const std::int32_t e = co_await s.flush();
      if (e < 0) co_return -2;
      if (other_ran) seen_at = i;
    }
    co_await other;
    co_return seen_at;
  };
  const int seen_at = rt.block_on(body(sv[0]));
  EXPECT_GE(seen_at, 0) << "the other task only ran once the loop was over";
  EXPECT_LE(seen_at, static_cast<int>(coop::budget_per_run));
  ::close(sv[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
