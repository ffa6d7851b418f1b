// Tests for runtime/channel/broadcast.hpp: every receiver sees every
// message, subscribe starts at the next one, lagging, closing, parked
// receivers (more than one wake batch), cancellation, and a stress run.
#include "runtime/channel/broadcast.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
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

using broadcast::recv_status;

template <class T>
task<bool> cancelled(join_handle<T>& h) {
  try {
    co_await h;
  } catch (const task_cancelled&) {
    co_return true;
  }
  co_return false;
}

// Everything a receiver gets until closed: values, and lags as -skipped.
task<std::vector<long>> collect(broadcast::receiver<int> rx) {
  std::vector<long> got;
  for (;;) {
    auto r = co_await rx.recv();
    if (r.status == recv_status::closed) break;
    got.push_back(r.status == recv_status::lagged ? -static_cast<long>(r.skipped) : *r.value);
  }
  co_return got;
}

task<void> every_receiver_sees_every_message() {
  auto [tx, rx1] = broadcast::channel<int>(8);
  auto rx2 = tx.subscribe();
  auto a = spawn(collect(std::move(rx1)));
  auto b = spawn(collect(std::move(rx2)));
  co_await yield_now();  // both park
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(tx.send(i), 2u);
  { auto drop = std::move(tx); }
  const std::vector<long> got_a = co_await a;
  EXPECT_EQ(got_a, (std::vector<long>{1, 2, 3}));
  const std::vector<long> got_b = co_await b;
  EXPECT_EQ(got_b, (std::vector<long>{1, 2, 3}));
}

TEST(Broadcast, EveryReceiverSeesEveryMessage) {
  testing::virtual_runtime v;
  v.rt.block_on(every_receiver_sees_every_message());
}

TEST(Broadcast, SubscribeStartsAtTheNextMessage) {
  auto [tx, rx] = broadcast::channel<int>(4);
  tx.send(1);
  auto late = tx.subscribe();
  auto again = late.resubscribe();
  EXPECT_EQ(tx.receiver_count(), 3u);
  tx.send(2);
  EXPECT_EQ(rx.try_recv().value, 1);
  EXPECT_EQ(rx.try_recv().value, 2);
  EXPECT_EQ(late.try_recv().value, 2);
  EXPECT_EQ(again.try_recv().value, 2);
  EXPECT_EQ(late.try_recv().status, recv_status::empty);
}

TEST(Broadcast, SlowReceiverLagsAndSkipsToTheOldestKeptMessage) {
  auto [tx, rx] = broadcast::channel<int>(4);
  for (int i = 0; i < 10; ++i) tx.send(i);
  auto r = rx.try_recv();
  EXPECT_EQ(r.status, recv_status::lagged);
  EXPECT_EQ(r.skipped, 6u);  // 0..5 were overwritten
  for (int i = 6; i < 10; ++i) EXPECT_EQ(rx.try_recv().value, i);
  EXPECT_EQ(rx.try_recv().status, recv_status::empty);
  tx.send(10);
  EXPECT_EQ(rx.try_recv().value, 10);  // caught up: no more lag
}

task<void> closed_after_the_rest_is_read() {
  auto [tx, rx] = broadcast::channel<std::string>(2);
  tx.send("a");
  tx.send("b");
  tx.send("c");
  { auto drop = std::move(tx); }
  auto r = co_await rx.recv();
  EXPECT_EQ(r.status, recv_status::lagged);  // lag is reported before closed
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ((co_await rx.recv()).value, "b");
  EXPECT_EQ((co_await rx.recv()).value, "c");
  EXPECT_EQ((co_await rx.recv()).status, recv_status::closed);
  EXPECT_EQ(rx.try_recv().status, recv_status::closed);
}

TEST(Broadcast, ReceiversReadWhatIsLeftThenSeeClosed) {
  testing::virtual_runtime v;
  v.rt.block_on(closed_after_the_rest_is_read());
}

task<recv_status> recv_status_of(broadcast::receiver<int> rx) { co_return (co_await rx.recv()).status; }

task<void> parked_receiver_learns_senders_are_gone() {
  auto [tx, rx] = broadcast::channel<int>(2);
  auto tx2 = tx;
  auto r = spawn(recv_status_of(std::move(rx)));
  co_await yield_now();
  { auto drop = std::move(tx); }
  for (int i = 0; i < 3; ++i) co_await yield_now();
  EXPECT_FALSE(r.is_finished()) << "a sender is still alive";
  { auto drop = std::move(tx2); }
  EXPECT_EQ(co_await r, recv_status::closed);
}

TEST(Broadcast, ParkedReceiverLearnsAllSendersAreGone) {
  testing::virtual_runtime v;
  v.rt.block_on(parked_receiver_learns_senders_are_gone());
}

TEST(Broadcast, SendWithoutReceiversStoresNothing) {
  auto [tx, rx] = broadcast::channel<int>(2);
  { auto drop = std::move(rx); }
  EXPECT_EQ(tx.send(1), 0u);
  auto late = tx.subscribe();
  EXPECT_EQ(late.try_recv().status, recv_status::empty);
  EXPECT_EQ(tx.send(2), 1u);
  EXPECT_EQ(late.try_recv().value, 2);
}

TEST(Broadcast, ZeroCapacityIsRejected) { EXPECT_THROW(broadcast::channel<int>(0), std::invalid_argument); }

task<int> recv_one(broadcast::receiver<int> rx) {
  auto r = co_await rx.recv();
  co_return r ? *r.value : -1;
}

task<void> one_send_wakes_many_parked_receivers(int n) {
  auto [tx, rx] = broadcast::channel<int>(1);
  std::vector<join_handle<int>> rs;
  for (int i = 0; i < n; ++i) rs.push_back(spawn(recv_one(tx.subscribe())));
  for (int i = 0; i < 4; ++i) co_await yield_now();  // all park
  EXPECT_EQ(tx.send(42), static_cast<std::size_t>(n) + 1);
  for (auto& r : rs) EXPECT_EQ(co_await r, 42);
  EXPECT_EQ(rx.try_recv().value, 42);
}

TEST(Broadcast, OneSendWakesMoreParkedReceiversThanOneWakeBatch) {
  testing::virtual_runtime v;
  v.rt.block_on(one_send_wakes_many_parked_receivers(100));
}

task<int> recv_by_pointer(broadcast::receiver<int>* rx) {
  auto r = co_await rx->recv();
  co_return r ? *r.value : -1;
}

task<void> aborted_receiver_unlinks(bool woken_first) {
  auto [tx, rx] = broadcast::channel<int>(4);
  auto other = tx.subscribe();
  auto a = spawn(recv_by_pointer(&rx));
  auto b = spawn(recv_by_pointer(&other));
  co_await yield_now();
  if (woken_first) tx.send(7);  // wakes both; `a` has not run yet
  a.abort();
  EXPECT_TRUE(co_await cancelled(a));
  if (!woken_first) tx.send(7);
  EXPECT_EQ(co_await b, 7);
  EXPECT_EQ(rx.try_recv().value, 7);  // the aborted wait consumed nothing
}

TEST(Broadcast, AbortedReceiverThatWasWokenConsumedNothing) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_unlinks(true));
}

TEST(Broadcast, AbortedParkedReceiverUnlinksItself) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_unlinks(false));
}

// ---------------------------------------------------------------------------
// Stress: one sender, receivers on other workers. Each receiver checks that
// values come in order and that values + skipped account for every message.

task<bool> checked_reader(broadcast::receiver<int> rx, int total) {
  long expect = 0;
  for (;;) {
    auto r = co_await rx.recv();
    if (r.status == recv_status::closed) break;
    if (r.status == recv_status::lagged) {
      expect += static_cast<long>(r.skipped);
      continue;
    }
    if (*r.value != expect) co_return false;
    ++expect;
    if (expect % 64 == 0) co_await yield_now();
  }
  co_return expect == total;
}

task<void> writer(broadcast::sender<int> tx, int total) {
  for (int i = 0; i < total; ++i) {
    tx.send(i);
    if (i % 16 == 0) co_await yield_now();
  }
}

task<int> fan_out(int readers, int total, std::size_t capacity) {
  auto [tx, rx] = broadcast::channel<int>(capacity);
  std::vector<join_handle<bool>> rs;
  for (int i = 0; i < readers; ++i) rs.push_back(spawn(checked_reader(tx.subscribe(), total)));
  { auto drop = std::move(rx); }
  auto w = spawn(writer(std::move(tx), total));
  co_await w;
  int good = 0;
  for (auto& r : rs) {
    const bool ok = co_await r;
    good += ok ? 1 : 0;
  }
  co_return good;
}

TEST(BroadcastStress, ReceiversOnOtherWorkersSeeOrderedValuesOrLagCounts) {
  runtime rt(testing::threaded(4));
  EXPECT_EQ(rt.block_on(fan_out(4, 100'000 / kScale, 16)), 4);   // lags likely
  EXPECT_EQ(rt.block_on(fan_out(4, 100'000 / kScale, 4096)), 4);  // fewer lags
}

}  // namespace
}  // namespace ringlane
