// Tests for runtime/channel/watch.hpp: borrow, changed() wake-ups,
// coalescing, versions per receiver, closing both ways, cancellation, and a
// stress run with receivers on other workers.
#include "runtime/channel/watch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int kScale = 4;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kScale = 4;
#else
constexpr int kScale = 1;
#endif
#else
constexpr int kScale = 1;
#endif

template <class T>
task<bool> cancelled(join_handle<T>& h) {
  try {
    co_await h;
  } catch (const task_cancelled&) {
    co_return true;
  }
  co_return false;
}

TEST(Watch, BorrowSeesTheInitialThenTheLatestValue) {
  auto [tx, rx] = watch::channel<std::string>("initial");
  EXPECT_EQ(rx.borrow(), "initial");
  EXPECT_FALSE(rx.has_changed()) << "the initial value counts as seen";
  EXPECT_TRUE(tx.send("second"));
  EXPECT_TRUE(rx.has_changed());
  EXPECT_EQ(rx.borrow(), "second");
  EXPECT_TRUE(rx.has_changed()) << "borrow() does not mark the value seen";
  EXPECT_EQ(rx.borrow_and_update(), "second");
  EXPECT_FALSE(rx.has_changed());
  EXPECT_EQ(tx.borrow(), "second");
}

// Counts changes until the sender goes away; records each value observed.
task<std::vector<int>> observe(watch::receiver<int> rx) {
  std::vector<int> seen;
  for (;;) {
    const bool alive = co_await rx.changed();
    if (!alive) break;
    seen.push_back(rx.borrow());
  }
  co_return seen;
}

task<void> changed_wakes_each_parked_receiver() {
  auto [tx, rx] = watch::channel<int>(0);
  auto rx2 = rx;  // a copy is a second, independent receiver
  auto a = spawn(observe(std::move(rx)));
  auto b = spawn(observe(std::move(rx2)));
  for (int i = 1; i <= 3; ++i) {
    co_await yield_now();  // both park, then see exactly this change
    EXPECT_TRUE(tx.send(i));
  }
  co_await yield_now();
  { auto drop = std::move(tx); }
  const std::vector<int> got_a = co_await a;
  EXPECT_EQ(got_a, (std::vector<int>{1, 2, 3}));
  const std::vector<int> got_b = co_await b;
  EXPECT_EQ(got_b, (std::vector<int>{1, 2, 3}));
}

TEST(Watch, ChangedWakesEveryParkedReceiverOncePerSend) {
  testing::virtual_runtime v;
  v.rt.block_on(changed_wakes_each_parked_receiver());
}

task<void> sends_coalesce() {
  auto [tx, rx] = watch::channel<int>(0);
  auto a = spawn(observe(std::move(rx)));
  co_await yield_now();  // parks
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(tx.send(i));  // no turn for `a` in between
  co_await yield_now();
  { auto drop = std::move(tx); }
  const std::vector<int> got_a = co_await a;
  EXPECT_EQ(got_a, (std::vector<int>{5}));
}

TEST(Watch, SendsBetweenTwoLooksCoalesceIntoOneChange) {
  testing::virtual_runtime v;
  v.rt.block_on(sends_coalesce());
}

task<void> unseen_change_beats_closed() {
  auto [tx, rx] = watch::channel<int>(0);
  EXPECT_TRUE(tx.send(1));
  { auto drop = std::move(tx); }
  EXPECT_TRUE(co_await rx.changed());  // the last value is still news
  EXPECT_EQ(rx.borrow(), 1);
  EXPECT_FALSE(co_await rx.changed());
  EXPECT_FALSE(co_await rx.changed());
}

TEST(Watch, AnUnseenChangeIsReportedBeforeTheSenderIsGone) {
  testing::virtual_runtime v;
  v.rt.block_on(unseen_change_beats_closed());
}

task<bool> changed_once(watch::receiver<int> rx) { co_return co_await rx.changed(); }

task<void> parked_receiver_learns_sender_is_gone() {
  auto [tx, rx] = watch::channel<int>(0);
  auto a = spawn(changed_once(std::move(rx)));
  for (int i = 0; i < 3; ++i) co_await yield_now();
  EXPECT_FALSE(a.is_finished());
  { auto drop = std::move(tx); }
  EXPECT_FALSE(co_await a);
}

TEST(Watch, ParkedReceiverLearnsTheSenderIsGone) {
  testing::virtual_runtime v;
  v.rt.block_on(parked_receiver_learns_sender_is_gone());
}

TEST(Watch, SendFailsWithoutReceiversButSendReplaceStores) {
  auto [tx, rx] = watch::channel<int>(1);
  auto rx2 = rx;
  EXPECT_EQ(tx.receiver_count(), 2u);
  { auto drop = std::move(rx); }
  EXPECT_FALSE(tx.is_closed());
  { auto drop = std::move(rx2); }
  EXPECT_TRUE(tx.is_closed());
  EXPECT_FALSE(tx.send(2));
  EXPECT_EQ(tx.borrow(), 1) << "a failed send stores nothing";
  EXPECT_EQ(tx.send_replace(3), 1);
  EXPECT_EQ(tx.borrow(), 3);
  auto late = tx.subscribe();
  EXPECT_FALSE(late.has_changed());
  EXPECT_EQ(late.borrow(), 3);
  EXPECT_TRUE(tx.send(4));
  EXPECT_TRUE(late.has_changed());
}

TEST(Watch, CopiedReceiverKeepsItsSeenVersion) {
  auto [tx, rx] = watch::channel<int>(0);
  EXPECT_TRUE(tx.send(1));
  auto copy = rx;
  EXPECT_TRUE(copy.has_changed());
  EXPECT_EQ(rx.borrow_and_update(), 1);
  EXPECT_FALSE(rx.has_changed());
  EXPECT_TRUE(copy.has_changed()) << "receivers track versions independently";
  copy = rx;
  EXPECT_FALSE(copy.has_changed());
}

task<bool> changed_by_pointer(watch::receiver<int>* rx) { co_return co_await rx->changed(); }

task<void> aborted_waiter_consumes_nothing(bool woken_first) {
  auto [tx, rx] = watch::channel<int>(0);
  auto a = spawn(changed_by_pointer(&rx));
  co_await yield_now();
  if (woken_first) {
    EXPECT_TRUE(tx.send(1));
  }
  a.abort();
  EXPECT_TRUE(co_await cancelled(a));
  if (!woken_first) {
    EXPECT_TRUE(tx.send(1));
  }
  EXPECT_TRUE(rx.has_changed()) << "the aborted wait must not mark the change seen";
  EXPECT_TRUE(co_await rx.changed());
  EXPECT_EQ(rx.borrow(), 1);
}

TEST(Watch, AbortedWaiterThatWasWokenConsumedNothing) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_waiter_consumes_nothing(true));
}

TEST(Watch, AbortedParkedWaiterUnlinksItself) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_waiter_consumes_nothing(false));
}

// ---------------------------------------------------------------------------
// Stress: receivers on other workers must see a non-decreasing sequence that
// ends with the final value.

task<bool> monotonic_reader(watch::receiver<int> rx, int last) {
  int prev = -1;
  for (;;) {
    const bool alive = co_await rx.changed();
    if (!alive) break;
    const int v = rx.borrow_and_update();
    if (v < prev) co_return false;
    prev = v;
  }
  co_return rx.borrow() == last;
}

task<void> counter(watch::sender<int> tx, int last) {
  for (int i = 1; i <= last; ++i) {
    tx.send(i);
    if (i % 8 == 0) co_await yield_now();
  }
}

task<int> watch_fan_out(int readers, int last) {
  auto [tx, rx] = watch::channel<int>(0);
  std::vector<join_handle<bool>> rs;
  for (int i = 0; i < readers; ++i) rs.push_back(spawn(monotonic_reader(rx, last)));
  { auto drop = std::move(rx); }
  auto w = spawn(counter(std::move(tx), last));
  co_await w;
  int good = 0;
  for (auto& r : rs) {
    const bool ok = co_await r;
    good += ok ? 1 : 0;
  }
  co_return good;
}

TEST(WatchStress, ReceiversOnOtherWorkersSeeMonotonicValuesAndTheLast) {
  runtime rt(testing::threaded(4));
  EXPECT_EQ(rt.block_on(watch_fan_out(6, 100'000 / kScale)), 6);
}

}  // namespace
}  // namespace ringlane
