// Tests for runtime/sync/mutex.hpp: async_mutex locking, try_lock, FIFO
// order, direct hand-off, abort safety, and a multi-worker counter stress.
//
// Sync objects are declared before the runtime so that they outlive it: a
// failing test may leave tasks parked on them, and shutdown destroys those.
#include "runtime/sync/mutex.hpp"

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
#include "runtime/sync/event.hpp"
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

task<void> lock_unlock_try_lock(async_mutex* m) {
  EXPECT_FALSE(m->is_locked());
  {
    auto g = co_await m->lock();
    EXPECT_TRUE(g.owns_lock());
    EXPECT_TRUE(m->is_locked());
    EXPECT_FALSE(m->try_lock().has_value());
  }
  EXPECT_FALSE(m->is_locked());
  auto g = m->try_lock();
  EXPECT_TRUE(g.has_value());
  EXPECT_TRUE(m->is_locked());
  g->unlock();
  EXPECT_FALSE(g->owns_lock());
  EXPECT_FALSE(m->is_locked());
}

TEST(AsyncMutex, LockTryLockAndGuardUnlock) {
  async_mutex m;
  testing::virtual_runtime v;
  v.rt.block_on(lock_unlock_try_lock(&m));
}

task<void> guard_move_assign_unlocks(async_mutex* m) {
  auto a = co_await m->lock();
  async_mutex::guard b = std::move(a);
  EXPECT_FALSE(a.owns_lock());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.owns_lock());
  b = std::move(a);  // b gives up the lock it held
  EXPECT_FALSE(m->is_locked());
}

TEST(AsyncMutex, GuardIsMovableAndMoveAssignUnlocks) {
  async_mutex m;
  testing::virtual_runtime v;
  v.rt.block_on(guard_move_assign_unlocks(&m));
  EXPECT_FALSE(m.is_locked());
}

struct fifo_env {
  async_mutex m;
  std::vector<int> order;
  int arrived = 0;
};

task<void> lock_and_record(fifo_env* env, int id) {
  ++env->arrived;
  auto g = co_await env->m.lock();
  env->order.push_back(id);
  co_await yield_now();  // hold the lock across a suspension
}

task<std::vector<int>> waiters_in_fifo_order(fifo_env* env) {
  std::vector<join_handle<void>> hs;
  {
    auto g = co_await env->m.lock();
    for (int i = 0; i < 5; ++i) {
      hs.push_back(spawn(lock_and_record(env, i)));
      // Let task i queue up before spawning the next one.
      EXPECT_TRUE(co_await yield_until([env, i] { return env->arrived == i + 1; }));
    }
    EXPECT_TRUE(env->order.empty());
  }
  for (auto& h : hs) co_await h;
  co_return env->order;
}

TEST(AsyncMutex, WaitersGetTheLockInArrivalOrder) {
  fifo_env env;
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(waiters_in_fifo_order(&env)), (std::vector<int>{0, 1, 2, 3, 4}));
}

task<void> unlock_hands_off(fifo_env* env) {
  auto g = co_await env->m.lock();
  auto h = spawn(lock_and_record(env, 7));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  g.unlock();
  // The waiter owns the lock now, although it has not run yet: nobody can
  // take it in between.
  EXPECT_TRUE(env->order.empty());
  EXPECT_TRUE(env->m.is_locked());
  EXPECT_FALSE(env->m.try_lock().has_value());
  co_await h;
  EXPECT_EQ(env->order, std::vector<int>{7});
  EXPECT_TRUE(env->m.try_lock().has_value());
}

TEST(AsyncMutex, UnlockHandsTheLockDirectlyToTheFirstWaiter) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(unlock_hands_off(&env));
}

task<void> abort_queued_waiter(fifo_env* env) {
  auto g = co_await env->m.lock();
  auto a = spawn(lock_and_record(env, 1));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  auto b = spawn(lock_and_record(env, 2));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 2; }));
  a.abort();
  EXPECT_TRUE(co_await join_is_cancelled(a));  // a's frame is gone: it left the queue
  g.unlock();
  co_await b;
  EXPECT_EQ(env->order, std::vector<int>{2});
  EXPECT_FALSE(env->m.is_locked());
}

TEST(AsyncMutex, AbortedWaiterLeavesTheQueue) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_queued_waiter(&env));
}

task<void> abort_after_hand_off(fifo_env* env) {
  auto g = co_await env->m.lock();
  auto a = spawn(lock_and_record(env, 1));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 1; }));
  auto b = spawn(lock_and_record(env, 2));
  EXPECT_TRUE(co_await yield_until([env] { return env->arrived == 2; }));
  g.unlock();  // handed to a, which is woken but has not run
  a.abort();   // a never runs: its awaiter must pass the lock to b
  co_await b;
  EXPECT_TRUE(co_await join_is_cancelled(a));
  EXPECT_EQ(env->order, std::vector<int>{2});
  EXPECT_FALSE(env->m.is_locked());
}

TEST(AsyncMutex, AbortedWaiterPassesAHandedOffLockOn) {
  fifo_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_after_hand_off(&env));
}

task<void> hold_lock_forever(async_mutex* m, event* never, bool* locked) {
  auto g = co_await m->lock();
  *locked = true;
  co_await never->wait();
}

task<void> abort_holder(async_mutex* m, event* never) {
  bool locked = false;
  auto h = spawn(hold_lock_forever(m, never, &locked));
  EXPECT_TRUE(co_await yield_until([&locked] { return locked; }));
  EXPECT_TRUE(m->is_locked());
  h.abort();
  auto g = co_await m->lock();  // the aborted holder's guard unlocks
  EXPECT_TRUE(g.owns_lock());
  EXPECT_TRUE(co_await join_is_cancelled(h));
}

TEST(AsyncMutex, AbortingTheHolderUnlocks) {
  async_mutex m;
  event never;
  testing::virtual_runtime v;
  v.rt.block_on(abort_holder(&m, &never));
  EXPECT_FALSE(m.is_locked());
}

task<void> push_guarded(async_mutex_guarded<std::vector<int>>* v, int id) {
  auto g = co_await v->lock();
  g->push_back(id);
  co_await yield_now();  // others queue up meanwhile
  g->push_back(id);
}

task<void> guarded_value(async_mutex_guarded<std::vector<int>>* v) {
  std::vector<join_handle<void>> hs;
  for (int i = 1; i <= 3; ++i) hs.push_back(spawn(push_guarded(v, i)));
  for (auto& h : hs) co_await h;
  auto g = v->try_lock();
  EXPECT_TRUE(g.has_value());
  EXPECT_FALSE(v->try_lock().has_value());
  // Each task's two pushes are adjacent: the lock covered the suspension.
  const std::vector<int>& got = **g;
  EXPECT_EQ(got.size(), 7u);
  for (std::size_t i = 1; i + 1 < got.size(); i += 2) EXPECT_EQ(got[i], got[i + 1]);
}

TEST(AsyncMutexGuarded, TheValueIsReachedOnlyThroughTheLock) {
  async_mutex_guarded<std::vector<int>> v(1, 0);  // constructed in place: {0}
  testing::virtual_runtime v_rt;
  v_rt.rt.block_on(guarded_value(&v));
}

// ---------------------------------------------------------------------------
// Stress (four workers, real threads)

struct counter_env {
  async_mutex m;
  int value = 0;                 // plain int: only the mutex protects it
  std::atomic<int> inside{0};    // tasks inside the critical section
  std::atomic<bool> overlap{false};
};

task<void> increment(counter_env* env, int times) {
  for (int i = 0; i < times; ++i) {
    auto g = co_await env->m.lock();
    if (env->inside.fetch_add(1, std::memory_order_relaxed) != 0) env->overlap.store(true);
    const int v = env->value;
    if (i % 4 == 0) co_await yield_now();  // suspend inside the critical section
    env->value = v + 1;
    env->inside.fetch_sub(1, std::memory_order_relaxed);
  }
}

// Task t is pinned to worker t % 4: the contention really crosses threads.
task<void> run_incrementers(runtime* rt, counter_env* env, int tasks, int times) {
  std::vector<join_handle<void>> hs;
  for (int t = 0; t < tasks; ++t) hs.push_back(rt->spawn_on(t % rt->workers(), increment(env, times)));
  for (auto& h : hs) co_await h;
}

TEST(AsyncMutexStress, EightTasksIncrementAPlainIntExactly) {
  watchdog wd(std::chrono::seconds(120));
  counter_env env;
  runtime rt(testing::threaded(4));
  rt.block_on(run_incrementers(&rt, &env, 8, 10'000));
  EXPECT_EQ(env.value, 80'000);
  EXPECT_FALSE(env.overlap.load());
  EXPECT_FALSE(env.m.is_locked());
}

task<void> increment_until_aborted(counter_env* env, std::atomic<int>* done) {
  for (;;) {
    auto g = co_await env->m.lock();
    if (env->inside.fetch_add(1, std::memory_order_relaxed) != 0) env->overlap.store(true);
    ++env->value;
    done->fetch_add(1, std::memory_order_relaxed);
    env->inside.fetch_sub(1, std::memory_order_relaxed);
    co_await yield_now();  // may be aborted here, holding the lock
  }
}

task<void> abort_some_while_contending(runtime* rt, counter_env* env, std::atomic<int>* done) {
  std::vector<join_handle<void>> victims;
  for (int t = 0; t < 16; ++t) victims.push_back(rt->spawn_on(t % rt->workers(), increment_until_aborted(env, done)));
  // Let them contend, then abort them one by one at whatever point each is
  // (waiting, just handed the lock, or holding it), while finite workers
  // keep locking.
  auto steady = spawn(run_incrementers(rt, env, 4, 2'000));
  for (auto& v : victims) {
    for (int i = 0; i < 20; ++i) co_await yield_now();
    v.abort();
  }
  co_await steady;
  for (auto& v : victims) {
    try {
      co_await v;
    } catch (const task_cancelled&) {
    }
  }
  auto g = co_await env->m.lock();  // still usable: nothing was lost
}

TEST(AsyncMutexStress, AbortingWaitersAndHoldersLosesNothing) {
  watchdog wd(std::chrono::seconds(120));
  counter_env env;
  std::atomic<int> done{0};
  runtime rt(testing::threaded(4));
  rt.block_on(abort_some_while_contending(&rt, &env, &done));
  EXPECT_EQ(env.value, done.load() + 4 * 2'000);
  EXPECT_FALSE(env.overlap.load());
  EXPECT_FALSE(env.m.is_locked());
}

}  // namespace
}  // namespace ringlane
