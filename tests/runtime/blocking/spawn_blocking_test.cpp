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

TEST(SpawnBlocking, ShutdownWaitsForARunningJobWhoseHandleWasDropped) {
  std::atomic<bool> started{false}, finished{false};
  {
    runtime rt(testing::threaded(1));
    auto body = [](std::atomic<bool>* s, std::atomic<bool>* f) -> task<void> {
      auto h = spawn_blocking([s, f] {
        s->store(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        f->store(true);
      });
      (void)h;  // dropped without awaiting
      co_return;
    };
    rt.block_on(body(&started, &finished));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!started.load() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    ASSERT_TRUE(started.load());
  }  // ~runtime: a job that already runs is finished, not abandoned
  EXPECT_TRUE(finished.load());
}

TEST(SpawnBlocking, JobQueuedAtShutdownIsAbandonedAndItsAwaiterCancelled) {
  detail::blocking_pool pool(1, std::chrono::milliseconds(1000), "test-blk");
  struct probe final : detail::blocking_pool::job {
    std::atomic<int>* ran;
    std::atomic<int>* abandoned;
    void run() noexcept override { ran->fetch_add(1); }
    void abandon() noexcept override { abandoned->fetch_add(1); }
  };
  std::atomic<int> ran{0}, abandoned{0};
  pool.shutdown();
  probe p;
  p.ran = &ran;
  p.abandoned = &abandoned;
  pool.submit(&p);  // after shutdown: abandoned at once, never run
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(abandoned.load(), 1);
}

}  // namespace
}  // namespace ringlane
