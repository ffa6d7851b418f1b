// Tests for runtime/sync/event.hpp: notify (permit storage, FIFO,
// notify_all reaching only current waiters, abort forwarding) and event
// (set/reset/wait), plus multi-worker stress for lost wake-ups.
//
// Sync objects are declared before the runtime so that they outlive it.
#include "runtime/sync/event.hpp"

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

// A few scheduler turns: enough for every runnable task to run on the
// one-worker runtime.
task<void> settle() {
  for (int i = 0; i < 10; ++i) co_await yield_now();
}

struct notify_env {
  notify n;
  std::vector<int> woken;
  int arrived = 0;
};

task<void> wait_notified(notify_env* env, int id) {
  ++env->arrived;
  co_await env->n.notified();
  env->woken.push_back(id);
}

// Spawns waiter `id` and lets it queue up before returning.
task<join_handle<void>> spawn_waiter(notify_env* env, int id) {
  const int before = env->arrived;
  auto h = spawn(wait_notified(env, id));
  EXPECT_TRUE(co_await yield_until([env, before] { return env->arrived == before + 1; }));
  co_return h;
}

// ---------------------------------------------------------------------------
// notify (one worker, virtual time)

task<void> permit_is_stored_once(notify_env* env) {
  env->n.notify_one();
  env->n.notify_one();  // does not accumulate
  co_await env->n.notified();  // consumes the stored permit at once
  auto h = co_await spawn_waiter(env, 1);
  co_await settle();
  EXPECT_TRUE(env->woken.empty()) << "a second permit was stored";
  env->n.notify_one();
  co_await h;
  EXPECT_EQ(env->woken, std::vector<int>{1});
}

TEST(Notify, NotifyOneWithNoWaiterStoresOnePermit) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(permit_is_stored_once(&env));
}

task<void> notify_one_in_fifo_order(notify_env* env) {
  std::vector<join_handle<void>> hs;
  for (int i = 0; i < 4; ++i) hs.push_back(co_await spawn_waiter(env, i));
  for (int i = 0; i < 4; ++i) {
    env->n.notify_one();
    EXPECT_TRUE(co_await yield_until([env, i] { return env->woken.size() == static_cast<std::size_t>(i + 1); }));
  }
  for (auto& h : hs) co_await h;
  EXPECT_EQ(env->woken, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Notify, NotifyOneWakesWaitersInArrivalOrder) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(notify_one_in_fifo_order(&env));
}

task<void> notify_all_current_only(notify_env* env) {
  auto a = co_await spawn_waiter(env, 1);
  auto b = co_await spawn_waiter(env, 2);
  env->n.notify_all();
  co_await a;
  co_await b;
  EXPECT_EQ(env->woken.size(), 2u);
  // No permit was stored: a later waiter waits.
  auto c = co_await spawn_waiter(env, 3);
  co_await settle();
  EXPECT_EQ(env->woken.size(), 2u) << "notify_all stored a permit";
  env->n.notify_one();
  co_await c;
}

TEST(Notify, NotifyAllWakesOnlyTheCurrentWaiters) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(notify_all_current_only(&env));
}

task<void> created_before_notify_all(notify_env* env) {
  auto w = env->n.notified();  // registered, not yet awaited
  env->n.notify_all();
  co_await w;  // completes: the call came after the registration
  auto later = co_await spawn_waiter(env, 1);
  co_await settle();
  EXPECT_TRUE(env->woken.empty());
  env->n.notify_one();
  co_await later;
}

TEST(Notify, NotifiedCreatedBeforeNotifyAllCompletes) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(created_before_notify_all(&env));
}

task<void> abort_forwards_to_next(notify_env* env) {
  auto a = co_await spawn_waiter(env, 1);
  auto b = co_await spawn_waiter(env, 2);
  env->n.notify_one();  // picks a, which has not run yet
  a.abort();            // a's notification must go to b
  co_await b;
  EXPECT_TRUE(co_await join_is_cancelled(a));
  EXPECT_EQ(env->woken, std::vector<int>{2});
}

TEST(Notify, AbortedWaiterForwardsItsNotificationToTheNextWaiter) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_forwards_to_next(&env));
}

task<void> abort_stores_permit(notify_env* env) {
  auto a = co_await spawn_waiter(env, 1);
  env->n.notify_one();
  a.abort();  // nobody else waits: the notification becomes the permit
  EXPECT_TRUE(co_await join_is_cancelled(a));
  co_await env->n.notified();  // completes at once
  EXPECT_TRUE(env->woken.empty());
}

TEST(Notify, AbortedWaiterWithNoSuccessorStoresThePermit) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_stores_permit(&env));
}

task<void> abort_queued_waiter(notify_env* env) {
  auto a = co_await spawn_waiter(env, 1);
  auto b = co_await spawn_waiter(env, 2);
  a.abort();  // still queued: it just leaves
  EXPECT_TRUE(co_await join_is_cancelled(a));
  env->n.notify_one();
  co_await b;
  EXPECT_EQ(env->woken, std::vector<int>{2});
}

TEST(Notify, AbortedQueuedWaiterLeavesTheQueue) {
  notify_env env;
  testing::virtual_runtime v;
  v.rt.block_on(abort_queued_waiter(&env));
}

// ---------------------------------------------------------------------------
// event (one worker, virtual time)

task<void> wait_event(event* e, int* woken) {
  co_await e->wait();
  ++*woken;
}

task<void> set_reset_wait(event* e) {
  int woken = 0;
  EXPECT_FALSE(e->is_set());
  std::vector<join_handle<void>> hs;
  for (int i = 0; i < 3; ++i) hs.push_back(spawn(wait_event(e, &woken)));
  co_await settle();
  EXPECT_EQ(woken, 0);
  e->set();
  EXPECT_TRUE(e->is_set());
  for (auto& h : hs) co_await h;
  EXPECT_EQ(woken, 3);
  co_await e->wait();  // set: returns at once
  e->set();            // no effect
  e->reset();
  EXPECT_FALSE(e->is_set());
  auto late = spawn(wait_event(e, &woken));
  co_await settle();
  EXPECT_EQ(woken, 3) << "a wait after reset() returned";
  e->set();
  co_await late;
  EXPECT_EQ(woken, 4);
}

TEST(Event, SetWakesEveryWaiterAndResetMakesWaitsBlockAgain) {
  event e;
  testing::virtual_runtime v;
  v.rt.block_on(set_reset_wait(&e));
}

task<void> set_then_reset_before_running(event* e) {
  int woken = 0;
  auto h = spawn(wait_event(e, &woken));
  co_await settle();
  e->set();
  e->reset();  // the waiter was woken by set(): it still completes
  co_await h;
  EXPECT_EQ(woken, 1);
}

TEST(Event, AWaiterWokenBySetCompletesEvenIfResetFollows) {
  event e;
  testing::virtual_runtime v;
  v.rt.block_on(set_then_reset_before_running(&e));
}

task<void> abort_event_waiters(event* e) {
  int woken = 0;
  auto a = spawn(wait_event(e, &woken));
  auto b = spawn(wait_event(e, &woken));
  auto c = spawn(wait_event(e, &woken));
  co_await settle();
  a.abort();  // queued
  EXPECT_TRUE(co_await join_is_cancelled(a));
  e->set();
  b.abort();  // woken, not yet run
  co_await c;
  EXPECT_TRUE(co_await join_is_cancelled(b));
  EXPECT_EQ(woken, 1);
}

TEST(Event, AbortedWaitersDoNotDisturbTheOthers) {
  event e(false);
  testing::virtual_runtime v;
  v.rt.block_on(abort_event_waiters(&e));
}

TEST(Event, StartsSetWhenAsked) {
  event e(true);
  EXPECT_TRUE(e.is_set());
  testing::virtual_runtime v;
  v.rt.block_on([](event* ev) -> task<void> { co_await ev->wait(); }(&e));
}

// ---------------------------------------------------------------------------
// Stress (four workers, real threads)

task<void> ping(notify* mine, notify* other, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    co_await mine->notified();
    other->notify_one();
  }
}

// The two players are pinned to different workers.
task<void> ping_pong(runtime* rt, notify* a, notify* b, int rounds) {
  auto pa = rt->spawn_on(0, ping(a, b, rounds));
  auto pb = rt->spawn_on(1, ping(b, a, rounds));
  a->notify_one();  // serve
  co_await pa;
  co_await pb;
}

TEST(NotifyStress, PingPongAcrossWorkersLosesNoWakeUp) {
  watchdog wd(std::chrono::seconds(120));
  notify a, b;
  runtime rt(testing::threaded(4));
  rt.block_on(ping_pong(&rt, &a, &b, 20'000));
}

// Producers add items and notify_one; consumers take items or wait. The last
// item taken triggers notify_all, which must reach every consumer -- also one
// that checked the count and is about to await (it registered first).
struct queue_env {
  static constexpr int producers = 4, per_producer = 5'000, consumers = 6;
  notify n;
  std::mutex mu;
  int items = 0;     // guarded by mu
  int consumed = 0;  // guarded by mu
  bool done = false;  // guarded by mu
};

task<void> produce(queue_env* env) {
  for (int i = 0; i < queue_env::per_producer; ++i) {
    {
      std::lock_guard lock(env->mu);
      ++env->items;
    }
    env->n.notify_one();
    if (i % 16 == 0) co_await yield_now();
  }
}

task<int> consume(queue_env* env) {
  int mine = 0;
  for (;;) {
    auto w = env->n.notified();  // register before checking
    {
      std::lock_guard lock(env->mu);
      if (env->items > 0) {
        --env->items;
        ++mine;
        if (++env->consumed == queue_env::producers * queue_env::per_producer) {
          env->done = true;
          env->n.notify_all();
        }
        continue;
      }
      if (env->done) co_return mine;
    }
    co_await w;
  }
}

// Tasks are pinned round-robin to the workers.
task<int> run_queue(runtime* rt, queue_env* env) {
  std::vector<join_handle<int>> cs;
  for (std::uint32_t i = 0; i < queue_env::consumers; ++i) cs.push_back(rt->spawn_on(i % rt->workers(), consume(env)));
  std::vector<join_handle<void>> ps;
  for (std::uint32_t i = 0; i < queue_env::producers; ++i) ps.push_back(rt->spawn_on(i % rt->workers(), produce(env)));
  for (auto& p : ps) co_await p;
  int total = 0;
  for (auto& c : cs) total += co_await c;
  co_return total;
}

TEST(NotifyStress, ProducersAndConsumersLoseNoNotification) {
  watchdog wd(std::chrono::seconds(120));
  queue_env env;
  runtime rt(testing::threaded(4));
  EXPECT_EQ(rt.block_on(run_queue(&rt, &env)), queue_env::producers * queue_env::per_producer);
}

task<void> wait_round(event* e, std::atomic<int>* woken) {
  co_await e->wait();
  woken->fetch_add(1);
}

task<void> event_rounds(runtime* rt, event* e, std::atomic<int>* woken, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    std::vector<join_handle<void>> hs;
    for (std::uint32_t i = 0; i < 16; ++i) hs.push_back(rt->spawn_on(i % rt->workers(), wait_round(e, woken)));
    co_await yield_now();
    e->set();  // races with waiters still registering
    for (auto& h : hs) co_await h;
    e->reset();
  }
}

TEST(EventStress, SetReachesWaitersRegisteringConcurrently) {
  watchdog wd(std::chrono::seconds(120));
  event e;
  std::atomic<int> woken{0};
  runtime rt(testing::threaded(4));
  rt.block_on(event_rounds(&rt, &e, &woken, 300));
  EXPECT_EQ(woken.load(), 300 * 16);
}

}  // namespace
}  // namespace ringlane
