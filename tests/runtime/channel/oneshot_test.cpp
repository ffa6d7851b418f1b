// Tests for runtime/channel/oneshot.hpp: delivery before and after the
// receiver waits, every closing direction, try_recv, tx.closed(),
// cancellation of parked awaiters, and a multi-worker stress.
#include "runtime/channel/oneshot.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

template <class T>
task<bool> cancelled(join_handle<T>& h) {
  try {
    co_await h;
  } catch (const task_cancelled&) {
    co_return true;
  }
  co_return false;
}

task<std::optional<std::string>> await_value(oneshot::receiver<std::string> rx) { co_return co_await rx; }

task<std::optional<std::string>> await_by_pointer(oneshot::receiver<std::string>* rx, bool* returned) {
  auto v = co_await *rx;
  *returned = true;
  co_return v;
}

task<void> value_sent_before_the_receiver_waits() {
  auto [tx, rx] = oneshot::channel<std::string>();
  EXPECT_TRUE(tx.send("early"));
  EXPECT_EQ(co_await rx, "early");
  EXPECT_EQ(co_await rx, std::nullopt);  // taken, and the sender is spent
  EXPECT_FALSE(tx.send("twice")) << "a sender is spent by its first send";
}

TEST(Oneshot, ValueSentBeforeTheReceiverWaitsIsDelivered) {
  testing::virtual_runtime v;
  v.rt.block_on(value_sent_before_the_receiver_waits());
}

task<void> parked_receiver_is_woken_by_send() {
  auto [tx, rx] = oneshot::channel<std::string>();
  bool returned = false;
  auto r = spawn(await_by_pointer(&rx, &returned));
  for (int i = 0; i < 3; ++i) co_await yield_now();
  EXPECT_FALSE(returned);
  EXPECT_TRUE(tx.send("late"));
  EXPECT_EQ(co_await r, "late");
}

TEST(Oneshot, ParkedReceiverIsWokenBySend) {
  testing::virtual_runtime v;
  v.rt.block_on(parked_receiver_is_woken_by_send());
}

task<void> dropped_sender_gives_nullopt(bool receiver_parked_first) {
  auto [tx, rx] = oneshot::channel<std::string>();
  auto r = spawn(await_value(std::move(rx)));
  if (receiver_parked_first) co_await yield_now();
  { auto drop = std::move(tx); }
  EXPECT_EQ(co_await r, std::nullopt);
}

TEST(Oneshot, SenderDroppedUnsentGivesNulloptToAParkedReceiver) {
  testing::virtual_runtime v;
  v.rt.block_on(dropped_sender_gives_nullopt(true));
}

TEST(Oneshot, SenderDroppedUnsentGivesNulloptToALateReceiver) {
  testing::virtual_runtime v;
  v.rt.block_on(dropped_sender_gives_nullopt(false));
}

TEST(Oneshot, SendFailsOnceTheReceiverIsGone) {
  auto [tx, rx] = oneshot::channel<std::unique_ptr<int>>();
  EXPECT_FALSE(tx.is_closed());
  { auto drop = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  EXPECT_FALSE(tx.send(std::make_unique<int>(1)));
}

TEST(Oneshot, TryRecvDistinguishesEmptyValueAndClosed) {
  auto [tx, rx] = oneshot::channel<int>();
  EXPECT_EQ(rx.try_recv().status, oneshot::recv_status::empty);
  EXPECT_TRUE(tx.send(3));
  auto r = rx.try_recv();
  EXPECT_EQ(r.status, oneshot::recv_status::value);
  EXPECT_EQ(r.value, 3);
  EXPECT_EQ(rx.try_recv().status, oneshot::recv_status::closed);

  auto [tx2, rx2] = oneshot::channel<int>();
  { auto drop = std::move(tx2); }
  EXPECT_EQ(rx2.try_recv().status, oneshot::recv_status::closed);
}

TEST(Oneshot, CloseRefusesLaterSendsButKeepsAnEarlierValue) {
  auto [tx, rx] = oneshot::channel<int>();
  EXPECT_TRUE(tx.send(1));
  rx.close();
  EXPECT_EQ(rx.try_recv().value, 1);

  auto [tx2, rx2] = oneshot::channel<int>();
  rx2.close();
  EXPECT_TRUE(tx2.is_closed());
  EXPECT_FALSE(tx2.send(2));
  EXPECT_EQ(rx2.try_recv().status, oneshot::recv_status::closed);
}

task<int> wait_closed(oneshot::sender<int> tx) {
  co_await tx.closed();
  co_return tx.is_closed() ? 1 : 0;
}

task<void> closed_completes_when_receiver_goes() {
  auto [tx, rx] = oneshot::channel<int>();
  auto w = spawn(wait_closed(std::move(tx)));
  for (int i = 0; i < 3; ++i) co_await yield_now();
  EXPECT_FALSE(w.is_finished());
  { auto drop = std::move(rx); }
  EXPECT_EQ(co_await w, 1);
}

TEST(Oneshot, SenderClosedCompletesWhenTheReceiverGoes) {
  testing::virtual_runtime v;
  v.rt.block_on(closed_completes_when_receiver_goes());
}

// ---------------------------------------------------------------------------
// Cancellation

task<void> aborted_receiver_leaves_the_value(bool woken_first) {
  auto [tx, rx] = oneshot::channel<std::string>();
  bool returned = false;
  auto r = spawn(await_by_pointer(&rx, &returned));
  co_await yield_now();
  if (woken_first) {
    EXPECT_TRUE(tx.send("kept"));
  }
  r.abort();
  EXPECT_TRUE(co_await cancelled(r));
  EXPECT_FALSE(returned);
  if (!woken_first) {
    EXPECT_TRUE(tx.send("kept"));
  }
  EXPECT_EQ(co_await rx, "kept");
}

TEST(Oneshot, AbortedReceiverThatWasWokenLeavesTheValue) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_leaves_the_value(true));
}

TEST(Oneshot, AbortedParkedReceiverLeavesTheChannelUsable) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_leaves_the_value(false));
}

task<void> wait_closed_by_pointer(oneshot::sender<int>* tx) { co_await tx->closed(); }

task<void> aborted_closed_waiter_unregisters() {
  auto [tx, rx] = oneshot::channel<int>();
  auto w = spawn(wait_closed_by_pointer(&tx));
  co_await yield_now();
  w.abort();
  EXPECT_TRUE(co_await cancelled(w));
  EXPECT_TRUE(tx.send(4));
  EXPECT_EQ(co_await rx, 4);
}

TEST(Oneshot, AbortedClosedWaiterUnregisters) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_closed_waiter_unregisters());
}

// ---------------------------------------------------------------------------
// Stress: sender and receiver on different workers, racing.

task<void> reply(oneshot::sender<int> tx, int v) {
  tx.send(v * 2);
  co_return;
}

task<void> drop_unsent(oneshot::sender<int> tx) {
  auto drop = std::move(tx);
  co_return;
}

task<std::optional<int>> await_int(oneshot::receiver<int> rx) { co_return co_await rx; }

task<long> many_oneshots(int n) {
  std::vector<join_handle<std::optional<int>>> rs;
  rs.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto [tx, rx] = oneshot::channel<int>();
    rs.push_back(spawn(await_int(std::move(rx))));
    if (i % 4 == 3) {
      spawn(drop_unsent(std::move(tx))).detach();
    } else {
      spawn(reply(std::move(tx), i)).detach();
    }
  }
  long bad = 0;
  for (int i = 0; i < n; ++i) {
    auto v = co_await rs[i];
    if (i % 4 == 3 ? v.has_value() : v != i * 2) ++bad;
  }
  co_return bad;
}

TEST(OneshotStress, ValuesAndDropsRaceAcrossWorkers) {
  runtime rt(testing::threaded(4));
  EXPECT_EQ(rt.block_on(many_oneshots(20'000)), 0);
}

}  // namespace
}  // namespace ringlane
