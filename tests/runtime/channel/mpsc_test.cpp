// Tests for runtime/channel/mpsc.hpp: order, backpressure, closing in every
// direction, try_ variants, cancellation of parked senders and receivers,
// and multi-worker stress.
#include "runtime/channel/mpsc.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int kScale = 4;  // TSan is much slower: same shape, fewer messages
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kScale = 4;
#else
constexpr int kScale = 1;
#endif
#else
constexpr int kScale = 1;
#endif

// Lets other tasks run until `done()` holds, at most `rounds` turns.
template <class F>
task<bool> yield_until(F done, int rounds = 100) {
  for (int i = 0; i < rounds && !done(); ++i) co_await yield_now();
  co_return done();
}

task<void> produce(mpsc::sender<int> tx, int from, int to, int* sent) {
  for (int i = from; i < to; ++i) {
    auto r = co_await tx.send(i);
    if (!r) co_return;
    if (sent) ++*sent;
  }
}

// ---------------------------------------------------------------------------
// Order and backpressure

task<std::vector<int>> receive_all(mpsc::receiver<int> rx) {
  std::vector<int> got;
  while (std::optional<int> v = co_await rx.recv()) got.push_back(*v);
  co_return got;
}

task<std::vector<int>> order_through_small_buffer() {
  auto [tx, rx] = mpsc::channel<int>(4);
  auto p = spawn(produce(std::move(tx), 0, 100, nullptr));
  auto got = co_await receive_all(std::move(rx));
  co_await p;
  co_return got;
}

TEST(Mpsc, MessagesArriveInSendOrderAndRecvEndsWithTheSender) {
  testing::virtual_runtime v;
  std::vector<int> want(100);
  for (int i = 0; i < 100; ++i) want[i] = i;
  EXPECT_EQ(v.rt.block_on(order_through_small_buffer()), want);
}

task<void> sender_parks_when_full() {
  auto [tx, rx] = mpsc::channel<int>(2);
  int sent = 0;
  auto p = spawn(produce(std::move(tx), 0, 5, &sent));
  EXPECT_TRUE(co_await yield_until([&] { return sent == 2; }));
  for (int i = 0; i < 5; ++i) co_await yield_now();
  EXPECT_EQ(sent, 2) << "the third send must wait for a free slot";
  for (int expect = 0; expect < 5; ++expect) {
    EXPECT_EQ(co_await rx.recv(), expect);
    // One slot freed: exactly one more send completes.
    const int want = expect + 3 < 5 ? expect + 3 : 5;
    EXPECT_TRUE(co_await yield_until([&] { return sent == want; }));
    co_await yield_now();
    EXPECT_EQ(sent, want);
  }
  co_await p;
  EXPECT_EQ(co_await rx.recv(), std::nullopt);
}

TEST(Mpsc, SenderParksWhenFullAndResumesWhenSpaceFrees) {
  testing::virtual_runtime v;
  v.rt.block_on(sender_parks_when_full());
}

task<void> waiting_senders_are_served_first_come() {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_TRUE(tx.try_send(0).ok());
  auto a = spawn(produce(tx, 1, 2, nullptr));
  co_await yield_now();
  auto b = spawn(produce(tx, 2, 3, nullptr));
  co_await yield_now();
  // Queued senders hold the line: a newcomer cannot overtake them.
  EXPECT_EQ(tx.try_send(9).status, mpsc::send_status::full);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(co_await rx.recv(), i);
  co_await a;
  co_await b;
}

TEST(Mpsc, WaitingSendersAreServedInArrivalOrder) {
  testing::virtual_runtime v;
  v.rt.block_on(waiting_senders_are_served_first_come());
}

// ---------------------------------------------------------------------------
// try_ variants

TEST(Mpsc, TrySendReportsFullAndClosedAndHandsTheValueBack) {
  auto [tx, rx] = mpsc::channel<std::unique_ptr<int>>(1);
  EXPECT_EQ(tx.max_capacity(), 1u);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(1)).ok());
  EXPECT_EQ(tx.capacity(), 0u);
  auto full = tx.try_send(std::make_unique<int>(2));
  EXPECT_EQ(full.status, mpsc::send_status::full);
  ASSERT_TRUE(full.value && *full.value);
  EXPECT_EQ(**full.value, 2);
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  auto closed = tx.try_send(std::make_unique<int>(3));
  EXPECT_EQ(closed.status, mpsc::send_status::closed);
  ASSERT_TRUE(closed.value && *closed.value);
  EXPECT_EQ(**closed.value, 3);
}

TEST(Mpsc, TryRecvDistinguishesEmptyFromClosed) {
  auto [tx, rx] = mpsc::channel<int>(4);
  EXPECT_EQ(rx.try_recv().status, mpsc::recv_status::empty);
  EXPECT_TRUE(tx.try_send(7).ok());
  auto r = rx.try_recv();
  EXPECT_EQ(r.status, mpsc::recv_status::value);
  EXPECT_EQ(r.value, 7);
  EXPECT_TRUE(tx.try_send(8).ok());
  { auto gone = std::move(tx); }
  EXPECT_EQ(rx.try_recv().value, 8);  // buffered messages outlive the senders
  EXPECT_EQ(rx.try_recv().status, mpsc::recv_status::closed);
}

TEST(Mpsc, ZeroCapacityIsRejected) { EXPECT_THROW(mpsc::channel<int>(0), std::invalid_argument); }

// ---------------------------------------------------------------------------
// Closing

task<std::optional<int>> recv_once(mpsc::receiver<int>* rx, bool* returned) {
  auto v = co_await rx->recv();
  *returned = true;
  co_return v;
}

task<void> recv_ends_when_every_sender_is_gone() {
  auto [tx, rx] = mpsc::channel<int>(4);
  auto tx2 = tx;
  mpsc::sender<int> tx3 = tx2;
  tx3 = tx;  // assignment keeps the count right too
  bool returned = false;
  auto r = spawn(recv_once(&rx, &returned));
  co_await yield_now();
  { auto drop = std::move(tx); }
  { auto drop = std::move(tx2); }
  for (int i = 0; i < 3; ++i) co_await yield_now();
  EXPECT_FALSE(returned) << "one sender is still alive";
  { auto drop = std::move(tx3); }
  EXPECT_EQ(co_await r, std::nullopt);
  EXPECT_TRUE(returned);
}

TEST(Mpsc, ParkedReceiverLearnsAllSendersAreGone) {
  testing::virtual_runtime v;
  v.rt.block_on(recv_ends_when_every_sender_is_gone());
}

task<mpsc::send_result<int>> send_one(mpsc::sender<int> tx, int value) { co_return co_await tx.send(value); }

task<void> parked_sender_learns_receiver_is_gone(bool close_only) {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_TRUE(tx.try_send(1).ok());
  auto s = spawn(send_one(tx, 2));
  co_await yield_now();
  EXPECT_FALSE(s.is_finished());
  if (close_only) {
    rx.close();
  } else {
    auto drop = std::move(rx);
  }
  auto r = co_await s;
  EXPECT_EQ(r.status, mpsc::send_status::closed);
  EXPECT_EQ(r.value, 2);  // the value comes back
  auto late = co_await tx.send(3);
  EXPECT_EQ(late.status, mpsc::send_status::closed);
  if (close_only) {
    EXPECT_EQ(co_await rx.recv(), 1);  // close() keeps the buffer
    EXPECT_EQ(co_await rx.recv(), std::nullopt);
  }
}

TEST(Mpsc, ParkedSenderLearnsTheReceiverIsGone) {
  testing::virtual_runtime v;
  v.rt.block_on(parked_sender_learns_receiver_is_gone(false));
}

TEST(Mpsc, CloseFailsSendersButDeliversTheBuffer) {
  testing::virtual_runtime v;
  v.rt.block_on(parked_sender_learns_receiver_is_gone(true));
}

task<void> granted_sender_learns_receiver_is_gone() {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_TRUE(tx.try_send(1).ok());
  auto s = spawn(send_one(tx, 2));
  co_await yield_now();
  EXPECT_EQ(rx.try_recv().value, 1);  // grants the permit to `s`, not run yet
  { auto drop = std::move(rx); }
  auto r = co_await s;
  EXPECT_EQ(r.status, mpsc::send_status::closed);
  EXPECT_EQ(r.value, 2);
}

TEST(Mpsc, SenderWokenWithAPermitStillFailsIfTheReceiverLeftMeanwhile) {
  testing::virtual_runtime v;
  v.rt.block_on(granted_sender_learns_receiver_is_gone());
}

// ---------------------------------------------------------------------------
// Cancellation (join_handle::abort destroys the parked awaiter)

template <class T>
task<bool> cancelled(join_handle<T>& h) {
  try {
    static_cast<void>(co_await h);
  } catch (const task_cancelled&) {
    co_return true;
  }
  co_return false;
}

task<void> aborted_queued_sender_sends_nothing() {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_TRUE(tx.try_send(1).ok());
  auto a = spawn(send_one(tx, 2));
  co_await yield_now();
  auto b = spawn(send_one(tx, 3));
  co_await yield_now();
  a.abort();
  EXPECT_TRUE(co_await cancelled(a));
  EXPECT_EQ(co_await rx.recv(), 1);
  EXPECT_EQ(co_await rx.recv(), 3);
  EXPECT_TRUE((co_await b).ok());
  EXPECT_EQ(rx.try_recv().status, mpsc::recv_status::empty);
}

TEST(Mpsc, AbortedQueuedSenderSendsNothing) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_queued_sender_sends_nothing());
}

task<void> aborted_granted_sender_passes_its_permit_on() {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_TRUE(tx.try_send(1).ok());
  auto a = spawn(send_one(tx, 2));
  co_await yield_now();
  auto b = spawn(send_one(tx, 3));
  co_await yield_now();
  // Frees the slot: the permit goes to `a`, which is woken but not run yet.
  EXPECT_EQ(rx.try_recv().value, 1);
  a.abort();
  EXPECT_TRUE(co_await cancelled(a));
  // `a` died holding the permit; it must have passed it to `b`.
  EXPECT_EQ(co_await rx.recv(), 3);
  EXPECT_TRUE((co_await b).ok());
  EXPECT_EQ(tx.capacity(), 1u);
}

TEST(Mpsc, AbortedGrantedSenderPassesItsPermitOn) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_granted_sender_passes_its_permit_on());
}

task<void> aborted_receiver_loses_no_message(bool woken_first) {
  auto [tx, rx] = mpsc::channel<int>(2);
  bool returned = false;
  auto r = spawn(recv_once(&rx, &returned));
  co_await yield_now();
  if (woken_first) {
    EXPECT_TRUE(tx.try_send(5).ok());  // wakes r, which has not run yet
  }
  r.abort();
  EXPECT_TRUE(co_await cancelled(r));
  EXPECT_FALSE(returned);
  if (!woken_first) {
    EXPECT_TRUE(tx.try_send(5).ok());
  }
  EXPECT_EQ(co_await rx.recv(), 5);  // still there, and the receiver slot is free
  EXPECT_TRUE(tx.try_send(6).ok());
  EXPECT_EQ(co_await rx.recv(), 6);
}

TEST(Mpsc, AbortedReceiverThatWasWokenLosesNoMessage) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_loses_no_message(true));
}

TEST(Mpsc, AbortedParkedReceiverLeavesTheChannelUsable) {
  testing::virtual_runtime v;
  v.rt.block_on(aborted_receiver_loses_no_message(false));
}

// Runtime shutdown destroys tasks parked on channels. The destruction order
// is arbitrary: dropping the last receiver wakes senders that are about to be
// destroyed too. ASan checks that nothing leaks or is used after free.
task<void> send_parked(mpsc::sender<std::unique_ptr<int>> tx, std::atomic<int>* parked) {
  parked->fetch_add(1);
  auto r = co_await tx.send(std::make_unique<int>(1));
  static_cast<void>(r);
}

task<void> recv_parked(mpsc::receiver<int> rx, mpsc::receiver<std::unique_ptr<int>> keep,
                       std::atomic<int>* parked) {
  parked->fetch_add(1);
  auto v = co_await rx.recv();
  static_cast<void>(v);
  static_cast<void>(keep);
}

TEST(Mpsc, ShutdownDestroysTasksParkedOnChannels) {
  auto rt = std::make_unique<runtime>(testing::threaded(2));
  std::atomic<int> parked{0};
  {
    auto [tx, rx] = mpsc::channel<std::unique_ptr<int>>(1);
    auto [tx2, rx2] = mpsc::channel<int>(1);
    EXPECT_TRUE(tx.try_send(std::make_unique<int>(0)).ok());
    for (int i = 0; i < 8; ++i) rt->spawn(send_parked(tx, &parked)).detach();
    rt->spawn(recv_parked(std::move(rx2), std::move(rx), &parked)).detach();
    // tx2 dies here, but only after a sender parked holding a copy of it:
    rt->spawn([](mpsc::sender<int> keep, mpsc::sender<std::unique_ptr<int>> tx,
                 std::atomic<int>* parked) -> task<void> {
      parked->fetch_add(1);
      auto r = co_await tx.send(std::make_unique<int>(2));
      static_cast<void>(r);
      static_cast<void>(keep);
    }(std::move(tx2), std::move(tx), &parked)).detach();
  }
  // Two real worker threads: bound the wait by time, not by a count of
  // yields (on a loaded 2-core machine 100,000 yields passed before the
  // last task had started).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (parked.load() < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(parked.load(), 10);
  rt.reset();  // must not hang, leak or touch freed memory
}

// ---------------------------------------------------------------------------
// Unbounded

task<void> unbounded_never_waits() {
  auto [tx, rx] = mpsc::unbounded_channel<int>();
  auto tx2 = tx;
  for (int i = 0; i < 10'000; ++i) EXPECT_TRUE((i % 2 ? tx : tx2).send(i).ok());
  for (int i = 0; i < 10'000; ++i) EXPECT_EQ(co_await rx.recv(), i);
  rx.close();
  auto r = tx.send(1);
  EXPECT_EQ(r.status, mpsc::send_status::closed);
  EXPECT_EQ(r.value, 1);
  EXPECT_TRUE(tx2.is_closed());
}

TEST(Mpsc, UnboundedChannelNeverWaits) {
  testing::virtual_runtime v;
  v.rt.block_on(unbounded_never_waits());
}

// ---------------------------------------------------------------------------
// Stress: real threads, tasks on different workers.

task<void> tagged_producer(mpsc::sender<std::uint64_t> tx, std::uint64_t tag, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await tx.send((tag << 32) | static_cast<std::uint64_t>(i));
    if (!r) co_return;
  }
}

task<bool> fan_in(int producers, int per_producer) {
  auto [tx, rx] = mpsc::channel<std::uint64_t>(16);
  std::vector<join_handle<void>> ps;
  for (int p = 0; p < producers; ++p) ps.push_back(spawn(tagged_producer(tx, p, per_producer)));
  { auto drop = std::move(tx); }  // recv ends when the producers finish
  std::vector<int> next(producers, 0);
  long total = 0;
  bool ok = true;
  while (auto v = co_await rx.recv()) {
    const auto p = static_cast<int>(*v >> 32);
    const auto i = static_cast<int>(*v & 0xffffffffu);
    if (p >= producers || i != next[p]) ok = false;  // lost, duplicated or reordered
    if (p < producers) next[p] = i + 1;
    ++total;
  }
  for (auto& h : ps) co_await h;
  EXPECT_EQ(total, static_cast<long>(producers) * per_producer);
  for (int p = 0; p < producers; ++p) EXPECT_EQ(next[p], per_producer);
  co_return ok;
}

TEST(MpscStress, FourProducersThroughSixteenSlotsEveryMessageOnceInOrder) {
  runtime rt(testing::threaded(4));
  EXPECT_TRUE(rt.block_on(fan_in(4, 100'000 / kScale)));
}

task<int> ping(mpsc::sender<int> out, mpsc::receiver<int> in, int rounds) {
  int last = -1;
  for (int i = 0; i < rounds; ++i) {
    auto sent = co_await out.send(i);
    if (!sent) co_return -1;
    auto v = co_await in.recv();
    if (!v || *v != i) co_return -2;
    last = *v;
  }
  co_return last;
}

task<void> pong(mpsc::receiver<int> in, mpsc::sender<int> out) {
  while (auto v = co_await in.recv()) {
    auto sent = co_await out.send(*v);
    if (!sent) co_return;
  }
}

TEST(MpscStress, PingPongBetweenTwoWorkers) {
  runtime rt(testing::threaded(2));
  auto [to_pong, pong_in] = mpsc::channel<int>(1);
  auto [to_ping, ping_in] = mpsc::channel<int>(1);
  const int rounds = 50'000 / kScale;
  auto b = rt.spawn_on(1, pong(std::move(pong_in), std::move(to_ping)));
  auto a = rt.spawn_on(0, ping(std::move(to_pong), std::move(ping_in), rounds));
  EXPECT_EQ(rt.block_on([](join_handle<int> a, join_handle<void> b) -> task<int> {
              int r = co_await a;
              co_await b;  // pong ends: ping's sender died with ping
              co_return r;
            }(std::move(a), std::move(b))),
            rounds - 1);
}

task<void> send_id(mpsc::sender<int> tx, int id, std::atomic<int>* sent_ok) {
  auto r = co_await tx.send(id);  // not `if (co_await ...)`: GCC 12.2 miscompiles it
  if (r) sent_ok->store(1, std::memory_order_relaxed);
}

task<std::vector<int>> slow_consumer(mpsc::receiver<int> rx) {
  std::vector<int> got;
  while (auto v = co_await rx.recv()) {
    got.push_back(*v);
    if (got.size() % 3 == 0) co_await yield_now();
  }
  co_return got;
}

// Senders park, get permits and are aborted in every interleaving the
// threads produce. A lost permit would stall the channel (the test would hang
// rather than pass); a lost or doubled message fails the checks below.
task<void> aborts_race_with_permits(int n) {
  std::vector<std::atomic<int>> sent_ok(n);
  join_handle<std::vector<int>> consumer;
  std::vector<join_handle<void>> senders;
  {
    auto [tx, rx] = mpsc::channel<int>(2);
    consumer = spawn(slow_consumer(std::move(rx)));
    for (int i = 0; i < n; ++i) senders.push_back(spawn(send_id(tx, i, &sent_ok[i])));
  }
  for (int i = 0; i < n; i += 3) senders[i].abort();
  for (auto& s : senders) co_await cancelled(s);
  std::vector<int> got = co_await consumer;
  std::vector<int> seen(n, 0);
  for (int id : got) {
    EXPECT_TRUE(id >= 0 && id < n);
    if (id >= 0 && id < n) ++seen[id];
  }
  for (int i = 0; i < n; ++i) {
    EXPECT_LE(seen[i], 1) << "message " << i << " delivered twice";
    if (sent_ok[i].load()) {
      EXPECT_EQ(seen[i], 1) << "message " << i << " reported sent but lost";
    }
    if (i % 3 != 0) {
      EXPECT_EQ(seen[i], 1) << "message " << i << " from a live sender lost";
    }
  }
}

TEST(MpscStress, AbortedSendersNeverLoseAPermitOrAMessage) {
  runtime rt(testing::threaded(2));
  for (int round = 0; round < 20; ++round) rt.block_on(aborts_race_with_permits(300));
}

}  // namespace
}  // namespace ringlane
