// Tests for the scheduler: spawn/join, abort, pinning, yield, exceptions,
// shutdown with parked tasks, and multi-worker stress with stealing.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

task<int> value(int v) { co_return v; }

task<int> spawn_and_join() {
  auto h = spawn(value(5));
  co_return co_await h;
}

TEST(Scheduler, SpawnedTaskResultIsJoined) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(spawn_and_join()), 5);
}

task<void> thrower() {
  throw std::runtime_error("spawned failure");
  co_return;
}

task<bool> join_failing() {
  auto h = spawn(thrower());
  try {
    co_await h;
  } catch (const std::runtime_error& e) {
    co_return std::string(e.what()) == "spawned failure";
  }
  co_return false;
}

TEST(Scheduler, ExceptionCrossesTheJoin) {
  testing::virtual_runtime v;
  EXPECT_TRUE(v.rt.block_on(join_failing()));
}

task<void> detached_failure(std::atomic<int>* ran) {
  ran->fetch_add(1);
  throw std::runtime_error("nobody listens");
  co_return;
}

task<int> spawn_detached_then_continue(std::atomic<int>* ran) {
  spawn(detached_failure(ran)).detach();
  co_await yield_now();
  co_await yield_now();
  co_return 1;
}

TEST(Scheduler, DetachedExceptionIsLoggedAndWorkerSurvives) {
  testing::virtual_runtime v;
  std::atomic<int> ran{0};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(v.rt.block_on(spawn_detached_then_continue(&ran)), 1);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_NE(err.find("nobody listens"), std::string::npos) << err;
  EXPECT_EQ(v.rt.block_on(value(9)), 9);  // still serving
}

task<void> yield_forever(std::atomic<int>* polls) {
  for (;;) {
    polls->fetch_add(1);
    co_await yield_now();
  }
}

task<int> abort_a_running_task() {
  std::atomic<int> polls{0};
  auto h = spawn(yield_forever(&polls));
  while (polls.load() < 10) co_await yield_now();
  h.abort();
  try {
    co_await h;
  } catch (const task_cancelled&) {
    co_return polls.load();
  }
  co_return -1;
}

TEST(Scheduler, AbortStopsATaskAndJoinReportsCancelled) {
  testing::virtual_runtime v;
  EXPECT_GE(v.rt.block_on(abort_a_running_task()), 10);
}

task<std::vector<int>> yield_order() {
  std::vector<int> order;
  auto step = [](std::vector<int>* out, int id) -> task<void> {
    for (int i = 0; i < 3; ++i) {
      out->push_back(id);
      co_await yield_now();
    }
  };
  auto a = spawn(step(&order, 1));
  auto b = spawn(step(&order, 2));
  co_await a;
  co_await b;
  co_return order;
}

TEST(Scheduler, YieldLetsOtherTasksRunInTurn) {
  testing::virtual_runtime v;
  // The newest spawn sits in the LIFO slot and starts first; after that the
  // two alternate because a yield goes to the back of the queue.
  EXPECT_EQ(v.rt.block_on(yield_order()), (std::vector<int>{2, 1, 2, 1, 2, 1}));
}

task<int> where_am_i() { co_return current_worker_index(); }

task<bool> pinned_stays_home() {
  const int home = current_worker_index();
  auto step = [](int h) -> task<bool> {
    for (int i = 0; i < 200; ++i) {
      if (current_worker_index() != h) co_return false;
      co_await yield_now();
    }
    co_return true;
  };
  std::vector<join_handle<bool>> hs;
  for (int i = 0; i < 8; ++i) hs.push_back(spawn_pinned(step(home)));
  bool ok = true;
  for (auto& h : hs) ok = (co_await h) && ok;
  co_return ok;
}

TEST(Scheduler, PinnedTasksNeverLeaveTheirWorker) {
  runtime rt(testing::threaded(2));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rt.block_on(pinned_stays_home()));
}

TEST(Scheduler, SpawnOnPinsToTheChosenWorker) {
  runtime rt(testing::threaded(2));
  for (std::uint32_t w = 0; w < 2; ++w) {
    auto h = rt.spawn_on(w, where_am_i());
    auto r = rt.block_on([](join_handle<int> h) -> task<int> { co_return co_await h; }(std::move(h)));
    EXPECT_EQ(r, static_cast<int>(w));
  }
}

task<void> park_forever() {
  // Suspends on a join that never completes: only shutdown can end it.
  struct never {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { w = this_task::park(h); }
    void await_resume() const noexcept {}
    waker w;
  };
  co_await never{};
}

TEST(Scheduler, ShutdownDestroysParkedTasks) {
  auto rt = std::make_unique<runtime>(testing::threaded(2));
  for (int i = 0; i < 100; ++i) rt->spawn(park_forever()).detach();
  rt.reset();  // must not leak (ASan) or hang
  SUCCEED();
}

// An awaiter whose waker the test controls.
struct manual_event {
  waker* slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { *slot = this_task::park(h); }
  void await_resume() const noexcept {}
};

task<void> two_parks(waker* first, waker* second, int* stage) {
  co_await manual_event{first};
  *stage = 1;
  co_await manual_event{second};
  *stage = 2;
}

task<int> stale_wake_is_ignored() {
  waker first, second;
  int stage = 0;
  auto h = spawn(two_parks(&first, &second, &stage));
  while (!first) co_await yield_now();
  waker duplicate = first.clone();  // e.g. a second child finishing
  std::move(first).wake();
  while (!second) co_await yield_now();
  // The task now waits for `second`; the duplicate of the first wake-up is
  // stale and must not resume it.
  std::move(duplicate).wake();
  for (int i = 0; i < 10; ++i) co_await yield_now();
  const int before = stage;
  std::move(second).wake();
  co_await h;
  co_return before * 10 + stage;
}

TEST(Scheduler, StaleWakerDoesNotResumeALaterSuspension) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(stale_wake_is_ignored()), 12);
}

TEST(Scheduler, TraceRecordsRunsAndParks) {
  runtime_options o = testing::threaded(1);
  o.trace_events = 64;
  runtime rt(o);
  EXPECT_EQ(rt.block_on(spawn_and_join()), 5);
  std::ostringstream out;
  rt.dump_trace(out);
  const std::string s = out.str();
  EXPECT_NE(s.find("w0 #"), std::string::npos) << s;
  EXPECT_NE(s.find("run   task"), std::string::npos) << s;
  EXPECT_NE(s.find("park  no timeout"), std::string::npos) << s;
}

// ---------------------------------------------------------------------------
// Stress: every spawned task runs exactly once, across workers and steals.

task<void> mark(std::vector<std::atomic<std::uint8_t>>* seen, std::uint32_t i) {
  (*seen)[i].fetch_add(1, std::memory_order_relaxed);
  co_return;
}

task<void> fan_out(std::vector<std::atomic<std::uint8_t>>* seen, std::uint32_t begin, std::uint32_t end) {
  std::vector<join_handle<void>> hs;
  hs.reserve(end - begin);
  for (std::uint32_t i = begin; i < end; ++i) hs.push_back(spawn(mark(seen, i)));
  for (auto& h : hs) co_await h;
}

task<void> spawn_million(std::vector<std::atomic<std::uint8_t>>* seen) {
  constexpr std::uint32_t kBatch = 10'000;
  std::vector<join_handle<void>> parts;
  for (std::uint32_t b = 0; b < seen->size(); b += kBatch) {
    parts.push_back(spawn(fan_out(seen, b, std::min<std::uint32_t>(b + kBatch, seen->size()))));
  }
  for (auto& p : parts) co_await p;
}

void run_million(bool stealing) {
  runtime rt(testing::threaded(4, stealing));
  std::vector<std::atomic<std::uint8_t>> seen(1'000'000);
  rt.block_on(spawn_million(&seen));
  std::size_t once = 0;
  for (auto& s : seen) once += s.load() == 1;
  EXPECT_EQ(once, seen.size()) << "lost or duplicated tasks";
  const worker_stats total = rt.stats().total();
  EXPECT_GE(total.polls, seen.size());
  EXPECT_EQ(rt.stats().live_tasks, 0u);
  if (stealing) std::printf("steals: %llu (tasks moved: %llu)\n", static_cast<unsigned long long>(total.steals),
                            static_cast<unsigned long long>(total.stolen_tasks));
}

TEST(SchedulerStress, MillionSpawnsRunExactlyOnceWithStealing) { run_million(true); }
TEST(SchedulerStress, MillionSpawnsRunExactlyOnceWithoutStealing) { run_million(false); }

TEST(SchedulerStress, SpawnFromOutsideThreads) {
  runtime rt(testing::threaded(2));
  std::vector<std::atomic<std::uint8_t>> seen(40'000);
  std::vector<std::thread> threads;
  std::vector<std::vector<join_handle<void>>> handles(4);
  for (std::uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint32_t i = t; i < seen.size(); i += 4) handles[t].push_back(rt.spawn(mark(&seen, i)));
    });
  }
  for (auto& th : threads) th.join();
  rt.block_on([](std::vector<std::vector<join_handle<void>>>* hs) -> task<void> {
    for (auto& v : *hs)
      for (auto& h : v) co_await h;
  }(&handles));
  std::size_t once = 0;
  for (auto& s : seen) once += s.load() == 1;
  EXPECT_EQ(once, seen.size());
}

}  // namespace
}  // namespace ringlane
