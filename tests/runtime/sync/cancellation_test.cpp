// Tests for runtime/sync/cancellation.hpp: cancel/wait, token trees (late
// children, dropped middles, no growth), on_cancel callbacks and their
// registrations, abort safety, and multi-thread races.
#include "runtime/sync/cancellation.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
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

task<void> settle() {
  for (int i = 0; i < 10; ++i) co_await yield_now();
}

task<void> wait_cancelled(cancellation_token t, int* woken) {
  co_await t.cancelled();
  ++*woken;
}

// ---------------------------------------------------------------------------
// Trees and callbacks: plain code, no runtime needed

TEST(CancellationToken, CancelIsPermanentAndSharedByCopies) {
  cancellation_token t;
  cancellation_token copy = t;
  EXPECT_TRUE(copy == t);
  EXPECT_FALSE(t.is_cancelled());
  copy.cancel();
  EXPECT_TRUE(t.is_cancelled());
  t.cancel();  // idempotent
  EXPECT_TRUE(t.is_cancelled());
}

TEST(CancellationToken, CancellingAParentCancelsEveryDescendant) {
  cancellation_token root;
  auto a = root.child_token();
  auto b = root.child_token();
  auto a1 = a.child_token();
  auto a1x = a1.child_token();
  EXPECT_EQ(root.child_count(), 2u);
  root.cancel();
  for (auto* t : {&a, &b, &a1, &a1x}) EXPECT_TRUE(t->is_cancelled());
  EXPECT_EQ(root.child_count(), 0u);  // cancelled children are released
}

TEST(CancellationToken, CancellingAChildAffectsNeitherParentNorSiblings) {
  cancellation_token root;
  auto a = root.child_token();
  auto b = root.child_token();
  auto a1 = a.child_token();
  a.cancel();
  EXPECT_TRUE(a1.is_cancelled());
  EXPECT_FALSE(root.is_cancelled());
  EXPECT_FALSE(b.is_cancelled());
}

TEST(CancellationToken, ChildrenCreatedAfterCancelStartCancelled) {
  cancellation_token root;
  root.cancel();
  auto c = root.child_token();
  EXPECT_TRUE(c.is_cancelled());
  auto cc = c.child_token();
  EXPECT_TRUE(cc.is_cancelled());
  int ran = 0;
  auto reg = cc.on_cancel([&ran] { ++ran; });
  EXPECT_EQ(ran, 1);  // already cancelled: ran at once
  EXPECT_FALSE(reg);
}

TEST(CancellationToken, DroppedChildrenUnregister) {
  cancellation_token root;
  for (int i = 0; i < 10'000; ++i) {
    auto c = root.child_token();
    auto cc = c.child_token();
    EXPECT_EQ(root.child_count(), 1u);
  }
  EXPECT_EQ(root.child_count(), 0u);
  std::vector<cancellation_token> kept;
  for (int i = 0; i < 3; ++i) kept.push_back(root.child_token());
  EXPECT_EQ(root.child_count(), 3u);
}

TEST(CancellationToken, ADroppedMiddleTokenStillPassesCancellationDown) {
  cancellation_token root;
  std::optional<cancellation_token> middle = root.child_token();
  auto leaf = middle->child_token();
  middle.reset();  // its state lives on while `leaf` needs it
  EXPECT_EQ(root.child_count(), 1u);
  root.cancel();
  EXPECT_TRUE(leaf.is_cancelled());
}

TEST(CancellationToken, DeepChainsCancelWithoutRecursion) {
  cancellation_token root;
  std::vector<cancellation_token> chain{root};
  for (int i = 0; i < 2'000; ++i) chain.push_back(chain.back().child_token());
  int ran = 0;
  auto reg = chain.back().on_cancel([&ran] { ++ran; });
  root.cancel();
  EXPECT_TRUE(chain.back().is_cancelled());
  EXPECT_EQ(ran, 1);
  while (!chain.empty()) chain.pop_back();  // leaf first
}

TEST(CancellationToken, CallbacksRunOnceOnCancelUnlessDeregistered) {
  cancellation_token t;
  auto child = t.child_token();
  int a = 0, b = 0, c = 0;
  auto ra = t.on_cancel([&a] { ++a; });
  auto rb = t.on_cancel([&b] { ++b; });
  auto rc = child.on_cancel([&c] { ++c; });
  EXPECT_TRUE(ra);
  rb.reset();  // deregistered: never runs
  const auto me = std::this_thread::get_id();
  std::thread::id ran_on;
  auto rd = t.on_cancel([&ran_on] { ran_on = std::this_thread::get_id(); });
  t.cancel();
  t.cancel();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(c, 1);
  EXPECT_EQ(ran_on, me);  // on the cancelling thread
}

TEST(CancellationToken, ACallbackMayDropItsOwnRegistration) {
  cancellation_token t;
  std::optional<cancellation_registration> reg;
  int ran = 0;
  reg.emplace(t.on_cancel([&] {
    ++ran;
    reg.reset();  // same thread: must not wait for itself
  }));
  t.cancel();
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(reg.has_value());
}

// ---------------------------------------------------------------------------
// Waiting (one worker, virtual time)

task<void> cancel_wakes_waiters(cancellation_token root) {
  int woken = 0;
  auto child = root.child_token();
  std::vector<join_handle<void>> hs;
  for (int i = 0; i < 3; ++i) hs.push_back(spawn(wait_cancelled(root, &woken)));
  for (int i = 0; i < 3; ++i) hs.push_back(spawn(wait_cancelled(child, &woken)));
  co_await settle();
  EXPECT_EQ(woken, 0);
  root.cancel();
  for (auto& h : hs) co_await h;
  EXPECT_EQ(woken, 6);
  co_await root.cancelled();  // already cancelled: returns at once
  co_await root.child_token().cancelled();
}

TEST(CancellationToken, CancelWakesWaitersOnTheTokenAndItsChildren) {
  testing::virtual_runtime v;
  v.rt.block_on(cancel_wakes_waiters(cancellation_token{}));
}

task<void> abort_a_waiter(cancellation_token t) {
  int woken = 0;
  auto a = spawn(wait_cancelled(t, &woken));
  auto b = spawn(wait_cancelled(t, &woken));
  auto c = spawn(wait_cancelled(t, &woken));
  co_await settle();
  a.abort();  // queued
  EXPECT_TRUE(co_await join_is_cancelled(a));
  t.cancel();
  b.abort();  // woken, not yet run
  co_await c;
  EXPECT_TRUE(co_await join_is_cancelled(b));
  EXPECT_EQ(woken, 1);
}

TEST(CancellationToken, AbortedWaitersDoNotDisturbTheOthers) {
  testing::virtual_runtime v;
  v.rt.block_on(abort_a_waiter(cancellation_token{}));
}

// ---------------------------------------------------------------------------
// Races (real threads)

task<void> child_waits(cancellation_token parent, std::atomic<int>* registered, std::atomic<int>* ran,
                       std::atomic<int>* woken) {
  auto me = parent.child_token();
  registered->fetch_add(1);
  auto reg = me.on_cancel([ran] { ran->fetch_add(1); });
  co_await me.cancelled();
  woken->fetch_add(1);
}

task<void> cancel_while_children_join(runtime* rt, cancellation_token root, std::atomic<int>* registered,
                                      std::atomic<int>* ran, std::atomic<int>* woken) {
  std::vector<join_handle<void>> hs;
  auto mid = root.child_token();
  for (std::uint32_t i = 0; i < 400; ++i) {
    hs.push_back(rt->spawn_on(i % rt->workers(), child_waits(i % 2 ? root : mid, registered, ran, woken)));
  }
  for (int i = 0; i < 3; ++i) co_await yield_now();
  std::thread canceller([root] { root.cancel(); });  // from a non-worker thread
  for (auto& h : hs) co_await h;
  canceller.join();
}

TEST(CancellationStress, CancelRacingWithNewChildrenAndWaiters) {
  watchdog wd(std::chrono::seconds(120));
  runtime rt(testing::threaded(4));
  for (int round = 0; round < 10; ++round) {
    std::atomic<int> registered{0}, ran{0}, woken{0};
    cancellation_token root;
    rt.block_on(cancel_while_children_join(&rt, root, &registered, &ran, &woken));
    EXPECT_EQ(woken.load(), 400);
    EXPECT_EQ(ran.load(), 400);  // every callback exactly once
    EXPECT_EQ(root.child_count(), 0u);
  }
}

TEST(CancellationStress, ShortLivedChildrenAndRegistrationsRaceWithCancel) {
  watchdog wd(std::chrono::seconds(120));
  for (int round = 0; round < 20; ++round) {
    cancellation_token root;
    std::atomic<int> ran{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> churners;
    for (int t = 0; t < 3; ++t) {
      churners.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 300; ++i) {
          auto c = root.child_token();
          auto reg = c.on_cancel([&ran] { ran.fetch_add(1); });
          auto cc = c.child_token();
        }  // registration and children dropped, racing with cancel()
      });
    }
    go.store(true);
    root.cancel();
    for (auto& th : churners) th.join();
    EXPECT_LE(ran.load(), 900);
    EXPECT_EQ(root.child_count(), 0u);
  }
}

struct drop_race {
  std::atomic<bool> entered{false}, dropping{false}, dropped{false}, overlap{false};
};

void slow_callback(drop_race* r) {
  // Only `r` (a copy on this stack) is used: if the registration were wrongly
  // destroyed meanwhile, the closure holding it would be gone.
  r->entered.store(true);
  while (!r->dropping.load()) std::this_thread::yield();
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();  // time for reset() to return wrongly
  if (r->dropped.load()) r->overlap.store(true);
}

TEST(CancellationStress, DroppingARegistrationWaitsForItsRunningCallback) {
  watchdog wd(std::chrono::seconds(60));
  for (int round = 0; round < 20; ++round) {
    cancellation_token t;
    drop_race r;
    std::optional<cancellation_registration> reg;
    reg.emplace(t.on_cancel([p = &r] { slow_callback(p); }));
    std::thread canceller([t] { t.cancel(); });
    while (!r.entered.load()) std::this_thread::yield();
    r.dropping.store(true);
    reg.reset();  // must block until the callback returns
    r.dropped.store(true);
    canceller.join();
    EXPECT_FALSE(r.overlap.load()) << "a registration was destroyed while its callback ran";
  }
}

}  // namespace
}  // namespace ringlane
