// Tests for engine/ops on both backends: file operations (open, read,
// statx, splice), per-op deadlines (linked timeouts), and a cross-worker
// wake-up of a worker sleeping in its backend.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "engine/ops/close.hpp"
#include "engine/ops/file.hpp"
#include "engine/ops/recv.hpp"
#include "runtime/channel/oneshot.hpp"
#include "runtime/time/sleep.hpp"
#include "tests/engine/support.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;

class OpsTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    char tmpl[] = "/tmp/ringlane-ops-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    path_ = tmpl;
    content_ = testing::pattern(100'000, 5);
    ASSERT_EQ(::write(fd, content_.data(), content_.size()), static_cast<ssize_t>(content_.size()));
    ::close(fd);
  }
  void TearDown() override {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  std::string path_, content_;
};

TEST_P(OpsTest, OpensStatsAndReadsAFile) {
  runtime rt(testing::engine_runtime(GetParam()));
  auto body = [](std::string path) -> task<std::string> {
    const engine::file_status st = co_await engine::stat_file(path);
    EXPECT_EQ(st.res, 0);
    EXPECT_EQ(st.size, 100'000u);
    EXPECT_TRUE(S_ISREG(st.mode));
    const std::int32_t fd = co_await engine::open_file(path, O_RDONLY);
    EXPECT_GE(fd, 0);
    std::string all;
    for (std::uint64_t off = 0;;) {
      engine::received r = co_await engine::read_file(fd, 32'768, off);
      if (r.res <= 0) break;
      off += static_cast<std::uint64_t>(r.res);
      all += r.data;
    }
    const std::int32_t closed = co_await engine::close(fd);
    EXPECT_EQ(closed, 0);
    co_return all;
  };
  EXPECT_TRUE(rt.block_on(body(path_)) == content_);
}

TEST_P(OpsTest, MissingFileIsENOENT) {
  runtime rt(testing::engine_runtime(GetParam()));
  auto body = []() -> task<std::int32_t> {
    const engine::file_status st = co_await engine::stat_file("/nonexistent/ringlane");
    const std::int32_t fd = co_await engine::open_file("/nonexistent/ringlane", O_RDONLY);
    EXPECT_EQ(st.res, -ENOENT);
    co_return fd;
  };
  EXPECT_EQ(rt.block_on(body()), -ENOENT);
}

TEST_P(OpsTest, SplicesAFileThroughAPipe) {
  runtime rt(testing::engine_runtime(GetParam()));
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  auto body = [](std::string path, int rd, int wr) -> task<std::string> {
    const std::int32_t fd = co_await engine::open_file(path, O_RDONLY);
    std::string out;
    for (std::int64_t off = 0; off < 100'000;) {
      const std::int32_t n = co_await engine::splice(fd, off, wr, 16'384);
      if (n <= 0) break;
      off += n;
      std::string chunk(static_cast<std::size_t>(n), '\0');
      std::size_t got = 0;
      while (got < chunk.size()) {
        const ssize_t r = ::read(rd, chunk.data() + got, chunk.size() - got);
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
      }
      out += chunk.substr(0, got);
    }
    co_await engine::close(fd);
    co_return out;
  };
  EXPECT_TRUE(rt.block_on(body(path_, p[0], p[1])) == content_);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_P(OpsTest, ADeadlineOnTheOpFailsItWithETIMEDOUT) {
  runtime rt(testing::engine_runtime(GetParam()));
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto body = [](int fd) -> task<std::int32_t> {
    const auto start = now();
    engine::received r = co_await engine::recv(fd, 16).within(30ms);  // nothing ever arrives
    EXPECT_GE(now() - start, 30ms);
    co_return r.res;
  };
  EXPECT_EQ(rt.block_on(body(sv[0])), -ETIMEDOUT);
  ::close(sv[0]);
  ::close(sv[1]);
}

// A task on worker 1 wakes a task parked on worker 0 while worker 0 sleeps
// inside its backend (io_uring_enter / epoll_wait): the cross-thread wake.
int cross_worker_wake(runtime& rt) {
  auto [tx, rx] = oneshot::channel<int>();
  auto waiter = rt.spawn_on(0, [](oneshot::receiver<int> r) -> task<int> {
    std::optional<int> v = co_await std::move(r);
    co_return v.value_or(-1);
  }(std::move(rx)));
  auto sender = rt.spawn_on(1, [](oneshot::sender<int> s) -> task<void> {
    co_await sleep(20ms);  // worker 0 is asleep by now (no timer, no I/O)
    s.send(42);
  }(std::move(tx)));
  return rt.block_on([](join_handle<int> w, join_handle<void> s) -> task<int> {
    co_await s;
    co_return co_await w;
  }(std::move(waiter), std::move(sender)));
}

TEST_P(OpsTest, AWorkerSleepingInItsBackendIsWokenFromAnotherWorker) {
  runtime rt(testing::engine_runtime(GetParam(), 2));
  EXPECT_EQ(cross_worker_wake(rt), 42);
}

TEST_P(OpsTest, MsgRingWakeUpsReachAWorkerSleepingInItsRing) {
  if (GetParam() != backend_choice::uring) GTEST_SKIP() << "msg_ring is an io_uring mechanism";
  runtime_options r;
  r.workers = 2;
  engine::engine_options e;
  e.backend = backend_choice::uring;
  e.msg_ring_wake = true;
  e.log = false;
  runtime rt(engine::with_engine(r, e));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(cross_worker_wake(rt), 42) << "round " << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, OpsTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
