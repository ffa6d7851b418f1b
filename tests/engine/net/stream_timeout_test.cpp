// Tests for engine::stream's own timer (set_timeout): a silent peer ends a
// read with -ETIMEDOUT while the recv stays armed, and a peer that never
// reads ends a drain the same way. Run once per backend.
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "engine/net/stream.hpp"
#include "tests/engine/support.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;

class StreamTimeoutTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override { testing::require_backend(GetParam()); }
};

TEST_P(StreamTimeoutTest, ASilentPeerTimesOutAndLaterBytesStillArrive) {
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

TEST_P(StreamTimeoutTest, DataThatArrivedBeatsTheTimeout) {
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

TEST_P(StreamTimeoutTest, FlushAndDrainToAPeerThatNeverReadsTimeOut) {
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

INSTANTIATE_TEST_SUITE_P(Backends, StreamTimeoutTest,
                         ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
