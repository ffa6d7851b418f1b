// Tests for runtime/time/sleep.hpp on virtual time (fake driver + manual
// clock): sleeps end exactly on the millisecond they asked for, never
// earlier, in deadline order, and an aborted sleeper leaves no timer behind.
#include "runtime/time/sleep.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "runtime/runtime.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;

task<std::chrono::nanoseconds> timed_sleep(std::chrono::milliseconds d) {
  const auto start = now();
  co_await sleep(d);
  co_return now() - start;
}

TEST(Sleep, EndsAfterExactlyTheRequestedVirtualTime) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(timed_sleep(250ms)), std::chrono::nanoseconds(250ms));
  // An hour of virtual time costs nothing real.
  EXPECT_EQ(v.rt.block_on(timed_sleep(std::chrono::duration_cast<std::chrono::milliseconds>(1h))),
            std::chrono::nanoseconds(1h));
}

TEST(Sleep, ZeroAndPastDeadlinesDoNotSuspend) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::chrono::nanoseconds> {
    const auto start = now();
    co_await sleep(0ms);
    co_await sleep_until(start - 5s);
    co_return now() - start;
  };
  EXPECT_EQ(v.rt.block_on(body()), std::chrono::nanoseconds(0));
}

task<void> sleeper(std::vector<int>* order, int id, std::chrono::milliseconds d) {
  co_await sleep(d);
  order->push_back(id);
}

task<std::vector<int>> sleepers_in_order() {
  std::vector<int> order;
  std::vector<join_handle<void>> hs;
  hs.push_back(spawn(sleeper(&order, 3, 300ms)));
  hs.push_back(spawn(sleeper(&order, 1, 100ms)));
  hs.push_back(spawn(sleeper(&order, 4, 70'000ms)));  // beyond level 1
  hs.push_back(spawn(sleeper(&order, 2, 200ms)));
  for (auto& h : hs) co_await h;
  co_return order;
}

TEST(Sleep, ManySleepersWakeInDeadlineOrder) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(sleepers_in_order()), (std::vector<int>{1, 2, 3, 4}));
}

task<bool> abort_a_sleeper() {
  std::vector<int> order;
  auto h = spawn(sleeper(&order, 1, 10s));
  co_await sleep(1ms);  // let it park on the wheel
  h.abort();
  bool cancelled = false;
  try {
    co_await h;
  } catch (const task_cancelled&) {
    cancelled = true;
  }
  co_await sleep(20s);  // its timer must not fire into a dead frame
  co_return cancelled && order.empty();
}

TEST(Sleep, AbortedSleeperCancelsItsTimer) {
  testing::virtual_runtime v;
  EXPECT_TRUE(v.rt.block_on(abort_a_sleeper()));
  EXPECT_EQ(v.rt.stats().live_tasks, 0u);
}

TEST(Sleep, RealClockSleepIsNotEarly) {
  runtime rt(testing::threaded(2));
  auto body = []() -> task<bool> {
    const auto start = std::chrono::steady_clock::now();
    co_await sleep(15ms);
    co_return std::chrono::steady_clock::now() - start >= 15ms;
  };
  EXPECT_TRUE(rt.block_on(body()));
}

}  // namespace
}  // namespace ringlane
