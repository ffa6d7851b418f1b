// Tests for engine::stream's limits, once per backend: its own timer
// (set_timeout) -- a silent peer ends a read with -ETIMEDOUT while the recv
// stays armed, a peer that never reads ends a flush/drain the same way --
// and the read-ahead backlog, which pauses receiving without losing bytes.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "engine/net/stream.hpp"
#include "runtime/time/sleep.hpp"
#include "tests/engine/support.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;

class StreamLimitsTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override { testing::require_backend(GetParam()); }
};

TEST_P(StreamLimitsTest, ASilentPeerTimesOutAndLaterBytesStillArrive) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::atomic<bool> timed_out{false};
  auto body = [&](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.set_timeout(30ms);
    engine::pooled first = co_await s.read();
    if (first.res != -ETIMEDOUT || !s.timed_out()) co_return "no timeout: " + std::to_string(first.res);
    timed_out.store(true);
    s.clear_timeout();
    engine::pooled late = co_await s.read();  // the recv stayed armed
    if (late.res <= 0) co_return "read failed: " + std::to_string(late.res);
    co_return std::string(late.buffer.view());
  };
  std::thread writer([&] {
    for (int i = 0; i < 10000 && !timed_out.load(); ++i) std::this_thread::sleep_for(1ms);
    testing::send_all_blocking(sv[1], "late");
  });
  EXPECT_EQ(rt.block_on(body(sv[0])), "late");
  writer.join();
  EXPECT_TRUE(timed_out.load());
  ::close(sv[1]);
}

// A deadline taken with deadline() survives another timeout in between:
// set_deadline() puts the first one back, and a passed one fires at once.
TEST_P(StreamLimitsTest, ARestoredDeadlineStillBoundsTheRead) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.set_timeout(30ms);
    const std::uint64_t d = s.deadline();
    s.set_timeout(1h);  // some other wait's bound
    if (s.deadline() <= d) co_return "deadline() did not follow set_timeout()";
    s.set_deadline(d);
    engine::pooled first = co_await s.read();
    if (first.res != -ETIMEDOUT) co_return "no timeout: " + std::to_string(first.res);
    s.set_deadline(d);  // long gone: the next wait ends at once
    engine::pooled again = co_await s.read();
    if (again.res != -ETIMEDOUT) co_return "a passed deadline did not fire: " + std::to_string(again.res);
    co_return "ok";
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), "ok");
  ::close(sv[1]);
}

TEST_P(StreamLimitsTest, DataThatArrivedBeatsTheTimeout) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_TRUE(testing::send_all_blocking(sv[1], "early"));
  auto body = [](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.set_timeout(5s);
    engine::pooled c = co_await s.read();
    if (c.res <= 0) co_return "read failed: " + std::to_string(c.res);
    co_return std::string(c.buffer.view());
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), "early");
  ::close(sv[1]);
}

TEST_P(StreamLimitsTest, FlushAndDrainToAPeerThatNeverReadsTimeOut) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<std::int32_t> {
    engine::stream s(fd);
    s.set_timeout(50ms);
    s.queue(testing::pattern(8 << 20));  // far more than the socket buffers hold
    const std::int32_t flushed = co_await s.flush();  // waits: above high_water
    const std::int32_t drained = co_await s.drain();
    co_return flushed == -ETIMEDOUT && drained == -ETIMEDOUT ? -ETIMEDOUT : flushed * 1000 + drained;
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), -ETIMEDOUT);
  ::close(sv[1]);
}

// flush(bound): a flush with nothing to wait for leaves the stream's
// timeout alone (the read that follows keeps its own); one that must wait
// is bounded by `bound`.
TEST_P(StreamLimitsTest, AFlushBoundAppliesOnlyWhenTheFlushWaits) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.set_timeout(1h);
    const std::uint64_t before = s.deadline();
    s.queue("small");
    const std::int32_t quick = co_await s.flush(30ms);  // below high_water: no wait
    if (quick != 0) co_return "small flush failed: " + std::to_string(quick);
    if (s.deadline() != before) co_return "a flush that did not wait moved the timeout";
    s.queue(testing::pattern(8 << 20));  // far more than the socket buffers hold
    const std::int32_t stuck = co_await s.flush(30ms);
    if (stuck != -ETIMEDOUT) co_return "a waiting flush was not bounded: " + std::to_string(stuck);
    co_return "ok";
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), "ok");
  ::close(sv[1]);
}

TEST_P(StreamLimitsTest, AFullBacklogPausesReceivingAndLosesNothing) {
  runtime rt(testing::engine_runtime(GetParam(), 1, 64, 4096));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  constexpr std::size_t kBytes = 1 << 20;
  const std::string payload = testing::pattern(kBytes, 5);
  std::thread writer([&] { testing::send_all_blocking(sv[1], payload); });
  auto body = [](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.set_read_backlog(4);
    s.set_timeout(10s);
    engine::pooled first = co_await s.read();  // arms the recv
    if (first.res <= 0) co_return "first read failed";
    std::string got(first.buffer.view());
    first.buffer.reset();
    // Stop reading until the backlog filled up and receiving paused.
    for (int i = 0; i < 5000 && s.stats().recv_pauses == 0; ++i) co_await sleep(1ms);
    if (s.stats().recv_pauses == 0) co_return "never paused";
    while (got.size() < kBytes) {
      engine::pooled c = co_await s.read();
      if (c.res <= 0) co_return "read failed: " + std::to_string(c.res);
      got.append(c.buffer.view());
    }
    co_return got;
  };
  const std::string got = rt.block_on(body(sv[0]));
  writer.join();
  ::close(sv[1]);
  EXPECT_EQ(got.size(), kBytes);
  EXPECT_TRUE(got == payload) << got.substr(0, 40);
}

// A stream nobody reads must not starve the other connections of the
// worker's shared pool: once less than a quarter is left, its backlog moves
// to the heap (in order, nothing lost) and receiving pauses.
TEST_P(StreamLimitsTest, ABacklogNobodyReadsSpillsOutOfALowPool) {
  runtime rt(testing::engine_runtime(GetParam(), 1, 16, 4096));  // 16 buffers, a backlog may hold 16
  int a[2], b[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), 0);
  constexpr std::size_t kBytes = 256 << 10;
  const std::string payload = testing::pattern(kBytes, 7);
  std::thread writer([&] { testing::send_all_blocking(a[1], payload); });
  auto body = [&]() -> task<std::string> {
    engine::stream stalled(a[0]);
    stalled.set_timeout(10s);
    engine::pooled first = co_await stalled.read();  // arms the recv
    if (first.res <= 0) co_return "first read failed";
    std::string got(first.buffer.view());
    first.buffer.reset();
    for (int i = 0; i < 5000 && stalled.stats().recv_pauses == 0; ++i) co_await sleep(1ms);
    if (stalled.stats().recv_pauses == 0) co_return "never paused";
    if (stalled.stats().spilled == 0) co_return "paused holding pool buffers: nothing spilled";
    // Another connection on this worker still gets a buffer at once.
    engine::stream other(b[0]);
    other.set_timeout(5s);
    if (!testing::send_all_blocking(b[1], "ping")) co_return "send failed";
    engine::pooled ping = co_await other.read();
    if (ping.res <= 0) co_return "the other connection starved: " + std::to_string(ping.res);
    if (ping.buffer.view() != "ping") co_return "the other connection got " + std::string(ping.buffer.view());
    ping.buffer.reset();
    while (got.size() < kBytes) {
      engine::pooled c = co_await stalled.read();
      if (c.res <= 0) co_return "read failed: " + std::to_string(c.res);
      got.append(c.buffer.view());
    }
    co_return got;
  };
  const std::string got = rt.block_on(body());
  writer.join();
  ::close(a[1]);
  ::close(b[1]);
  ASSERT_EQ(got.size(), kBytes) << got;
  EXPECT_TRUE(got == payload) << got.substr(0, 40);
}

// release_memory(): the send buffers give back what a large response made
// them grow to -- when the send completes if the kernel still had them, at
// once otherwise -- and keep small ones.
TEST_P(StreamLimitsTest, LargeSendBuffersAreReleasedOnceSent) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  constexpr std::size_t kLarge = 4 << 20;  // far more than the socket buffers hold
  std::atomic<bool> start_reading{false};
  std::thread reader([&] {
    for (int i = 0; i < 10000 && !start_reading.load(); ++i) std::this_thread::sleep_for(1ms);
    char buf[65536];
    while (::read(sv[1], buf, sizeof buf) > 0) {
    }
  });
  auto body = [&](int fd) -> task<std::string> {
    engine::stream s(fd);
    s.queue(testing::pattern(kLarge));
    if (const std::int32_t e = co_await s.flush(30ms); e != -ETIMEDOUT) co_return "flush did not wait: " + std::to_string(e);
    s.release_memory(1024);  // the kernel still sends from the buffer: kept
    if (s.retained_bytes() < kLarge / 2) co_return "released under the kernel's feet";
    start_reading.store(true);
    s.clear_timeout();
    if (const std::int32_t e = co_await s.drain(); e != 0) co_return "drain failed: " + std::to_string(e);
    if (s.retained_bytes() > 2048) co_return "kept after the send: " + std::to_string(s.retained_bytes());

    s.queue(testing::pattern(100'000));
    if (const std::int32_t e = co_await s.drain(); e != 0) co_return "drain failed: " + std::to_string(e);
    if (s.retained_bytes() < 100'000) co_return "the buffer did not grow";
    s.release_memory(1024);  // nothing in flight: at once
    if (s.retained_bytes() > 2048) co_return "kept when idle: " + std::to_string(s.retained_bytes());

    s.queue("small");
    if (const std::int32_t e = co_await s.drain(); e != 0) co_return "drain failed: " + std::to_string(e);
    const std::size_t small = s.retained_bytes();
    s.release_memory(1024);
    if (s.retained_bytes() != small) co_return "a small buffer was freed";
    co_return "ok";
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), "ok");
  start_reading.store(true);
  reader.join();
  ::close(sv[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamLimitsTest,
                         ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
