// Tests for runtime/sync/semaphore.hpp: permits, try_acquire, FIFO order
// (a big request at the head blocks smaller ones), close, abort safety, and
// a multi-worker bound on concurrency.
//
// Sync objects are declared before the runtime so that they outlive it.
#include "runtime/sync/semaphore.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/support/test_runtime.hpp"
#include "tests/support/watchdog.hpp"

namespace ringlane {
namespace {

using testing::join_is_cancelled;
using testing::watchdog;
using testing::yield_until;

// ---------------------------------------------------------------------------
// Deterministic tests (one worker, virtual time)

task<void> count_permits(semaphore* s) {
  auto two = co_await s->acquire(2);
  EXPECT_TRUE(two.has_value());
  EXPECT_EQ(two->count(), 2u);
  EXPECT_EQ(s->available(), 1u);
  EXPECT_FALSE(s->try_acquire(2).has_value());
  {
    auto one = s->try_acquire(1);
    EXPECT_TRUE(one.has_value());
    EXPECT_EQ(s->available(), 0u);
  }
  EXPECT_EQ(s->available(), 1u);
  two->release();  // early return
  EXPECT_EQ(two->count(), 0u);
  EXPECT_EQ(s->available(), 3u);
  {
    auto p = s->try_acquire(1);
    p->forget();  // the semaphore shrinks
  }
  EXPECT_EQ(s->available(), 2u);
  s->add_permits(3);
  EXPECT_EQ(s->available(), 5u);
}

TEST(Semaphore, PermitsAreCountedReturnedAndForgotten) {
  semaphore s(3);
  testing::virtual_runtime v;
  v.rt.block_on(count_permits(&s));
  EXPECT_EQ(s.available(), 5u);
}

struct fifo_env {
  semaphore sem{1};
  std::vector<int> order;
  int arrived = 0;
  bool hold = true;  // acquirers keep their permits while true
};

task<void> acquire_and_record(fifo_env* env, int id, std::size_t n) {
  ++env->arrived;
  auto p = co_await env->sem.acquire(n);
  EXPECT_TRUE(p.has_value());
  env->order.push_back(id);
  while (env->hold) co_await yield_now();
}

task<void> big_request_blocks_smaller(fifo_env* env) {
  auto mine = env->sem.try_acquire(1);
  EXPECT_TRUE(mine.has_value());
  auto big = spawn(acquire_and_record(env, 1, 2));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  auto small = spawn(acquire_and_record(env, 2, 1));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 2; }));

  mine.reset();  // 1 permit free: the head needs 2, and 2 must not pass it
  for (int i = 0; i < 10; ++i) co_await yield_now();
  EXPECT_TRUE(env->order.empty());
  EXPECT_EQ(env->sem.available(), 1u);
  EXPECT_FALSE(env->sem.try_acquire(1).has_value()) << "try_acquire barged past waiters";

  env->sem.add_permits(1);  // now the head fits
  EXPECT_TRUE(co_await yield_until([env] { return env->order.size() == 1; }));
  EXPECT_EQ(env->order, std::vector<int>{1});
  EXPECT_EQ(env->sem.available(), 0u);

  env->hold = false;  // 1 returns its 2 permits; 2 takes one
  co_await big;
  co_await small;
  EXPECT_EQ(env->order, (std::vector<int>{1, 2}));
  EXPECT_EQ(env->sem.available(), 2u);
}

TEST(Semaphore, ABigRequestAtTheHeadBlocksSmallerOnesBehindIt) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(big_request_blocks_smaller(&env));
}

task<bool> acquire_fails(semaphore* s, int* arrived) {
  ++*arrived;
  auto p = co_await s->acquire(1);
  co_return !p.has_value();
}

task<void> close_fails_acquires(semaphore* s) {
  int arrived = 0;
  auto held = s->try_acquire(1);
  auto a = spawn(acquire_fails(s, &arrived));
  auto b = spawn(acquire_fails(s, &arrived));
  EXPECT_TRUE(co_await yield_until([&arrived] { return arrived == 2; }));
  s->close();
  EXPECT_TRUE(s->is_closed());
  EXPECT_TRUE(co_await a);
  EXPECT_TRUE(co_await b);
  EXPECT_FALSE((co_await s->acquire(1)).has_value());
  EXPECT_FALSE(s->try_acquire(0).has_value());
  held.reset();  // releasing into a closed semaphore is fine
  EXPECT_EQ(s->available(), 1u);
  EXPECT_FALSE(s->try_acquire(1).has_value());
}

TEST(Semaphore, CloseFailsPendingAndFutureAcquires) {
  semaphore s(1);
  testing::virtual_runtime v;
  v.rt.block_on(close_fails_acquires(&s));
}

task<void> abort_granted_waiter(fifo_env* env) {
  auto mine = env->sem.try_acquire(1);
  auto a = spawn(acquire_and_record(env, 1, 2));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  auto b = spawn(acquire_and_record(env, 2, 1));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 2; }));
  env->hold = false;
  env->sem.add_permits(1);  // 1 free: not enough for a
  EXPECT_EQ(env->sem.available(), 1u);
  mine.reset();  // 2 free: granted to a, which has not run yet
  EXPECT_EQ(env->sem.available(), 0u);
  a.abort();  // a's awaiter returns its 2 permits; b takes one
  co_await b;
  EXPECT_TRUE(co_await join_is_cancelled(a));
  EXPECT_EQ(env->order, std::vector<int>{2});
  EXPECT_EQ(env->sem.available(), 2u);
}

TEST(Semaphore, AbortedWaiterReturnsPermitsItWasGranted) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_granted_waiter(&env));
}

task<void> abort_blocking_head(fifo_env* env) {
  auto big = spawn(acquire_and_record(env, 1, 5));  // can never be satisfied
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  auto small = spawn(acquire_and_record(env, 2, 1));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 2; }));
  EXPECT_TRUE(env->order.empty());  // 1 permit free, but the head blocks it
  env->hold = false;
  big.abort();  // removing the head lets the next one through
  co_await small;
  EXPECT_TRUE(co_await join_is_cancelled(big));
  EXPECT_EQ(env->order, std::vector<int>{2});
  EXPECT_EQ(env->sem.available(), 1u);
}

TEST(Semaphore, AbortedHeadWaiterUnblocksTheOnesBehindIt) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_blocking_head(&env));
}

// ---------------------------------------------------------------------------
// Stress (four workers, real threads)

struct bound_env {
  static constexpr std::size_t permits = 3;
  semaphore sem{permits};
  std::atomic<std::size_t> in_use{0};
  std::atomic<std::size_t> peak{0};
};

task<void> use_permits(bound_env* env, int id, int times) {
  for (int i = 0; i < times; ++i) {
    const std::size_t k = 1 + static_cast<std::size_t>((id + i) % 2);
    auto p = co_await env->sem.acquire(k);
    EXPECT_TRUE(p.has_value());
    const std::size_t now = env->in_use.fetch_add(k) + k;
    std::size_t prev = env->peak.load();
    while (now > prev && !env->peak.compare_exchange_weak(prev, now)) {
    }
    co_await yield_now();
    env->in_use.fetch_sub(k);
  }
}

// Task t is pinned to worker t % 4: the contention really crosses threads.
task<void> run_users(runtime* rt, bound_env* env) {
  std::vector<join_handle<void>> hs;
  for (int t = 0; t < 16; ++t) hs.push_back(rt->spawn_on(t % rt->workers(), use_permits(env, t, 1'000)));
  for (auto& h : hs) co_await h;
}

TEST(SemaphoreStress, HoldersNeverExceedThePermits) {
  watchdog wd(std::chrono::seconds(120));
  bound_env env;
  runtime rt(testing::threaded(4));
  rt.block_on(run_users(&rt, &env));
  EXPECT_LE(env.peak.load(), bound_env::permits);
  EXPECT_GE(env.peak.load(), 2u);  // there was contention to bound
  EXPECT_EQ(env.sem.available(), bound_env::permits);
}

task<int> acquire_until_closed(semaphore* s) {
  int got = 0;
  for (;;) {
    auto p = co_await s->acquire(1);
    if (!p) co_return got;
    ++got;
    co_await yield_now();
  }
}

task<int> close_while_contending(runtime* rt, semaphore* s) {
  std::vector<join_handle<int>> hs;
  for (int t = 0; t < 16; ++t) hs.push_back(rt->spawn_on(t % rt->workers(), acquire_until_closed(s)));
  for (int i = 0; i < 200; ++i) co_await yield_now();
  s->close();
  int total = 0;
  for (auto& h : hs) total += co_await h;
  co_return total;
}

TEST(SemaphoreStress, CloseEndsEveryWaiterWhileOthersHoldPermits) {
  watchdog wd(std::chrono::seconds(120));
  semaphore s(2);
  runtime rt(testing::threaded(4));
  EXPECT_GE(rt.block_on(close_while_contending(&rt, &s)), 0);
  EXPECT_EQ(s.available(), 2u);  // every permit came back
}

}  // namespace
}  // namespace ringlane
