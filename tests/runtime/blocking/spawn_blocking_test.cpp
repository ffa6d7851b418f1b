// Tests for runtime/blocking: spawn_blocking runs off the workers, returns
// values and exceptions, bounds its threads, and abandons queued jobs at
// shutdown.
#include "runtime/blocking/spawn_blocking.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

TEST(SpawnBlocking, RunsOffTheWorkerAndReturnsTheValue) {
  runtime rt(testing::threaded(1));
  auto body = []() -> task<bool> {
    const auto worker_thread = std::this_thread::get_id();
    auto job_thread = co_await spawn_blocking([] { return std::this_thread::get_id(); });
    co_return job_thread != worker_thread;
  };
  EXPECT_TRUE(rt.block_on(body()));
}

TEST(SpawnBlocking, ExceptionsPropagate) {
  runtime rt(testing::threaded(1));
  auto body = []() -> task<void> { co_await spawn_blocking([]() -> int { throw std::out_of_range("job"); }); };
  EXPECT_THROW(rt.block_on(body()), std::out_of_range);
}

TEST(SpawnBlocking, ThreadCountIsBounded) {
  runtime_options o = testing::threaded(1);
  o.max_blocking_threads = 2;
  runtime rt(o);
  std::atomic<int> running{0}, peak{0};
  auto body = [](std::atomic<int>* r, std::atomic<int>* p) -> task<int> {
    std::vector<decltype(spawn_blocking(std::function<int()>{}))> hs;
    for (int i = 0; i < 8; ++i) {
      hs.push_back(spawn_blocking(std::function<int()>([r, p] {
        const int now = r->fetch_add(1) + 1;
        int prev = p->load();
        while (now > prev && !p->compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        r->fetch_sub(1);
        return 1;
      })));
    }
    int sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  EXPECT_EQ(rt.block_on(body(&running, &peak)), 8);
  EXPECT_LE(peak.load(), 2);
  EXPECT_GE(peak.load(), 1);
}

TEST(SpawnBlocking, DroppedHandleLetsTheJobFinish) {
  std::atomic<bool> ran{false};
  {
    runtime rt(testing::threaded(1));
    auto body = [](std::atomic<bool>* r) -> task<void> {
      auto h = spawn_blocking([r] { r->store(true); });
      (void)h;
      co_return;
    };
    rt.block_on(body(&ran));
  }  // shutdown waits for running jobs
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace ringlane
