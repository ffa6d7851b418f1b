// Tests for runtime/combinators/when_all.hpp: concurrency (total time is the
// longest operand, not the sum), results in operand order, exceptions after
// all operands finished, the range form, and cancellation of the parent.
#include "runtime/combinators/when_all.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "runtime/time/sleep.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;

task<int> after(std::chrono::milliseconds d, int v) {
  co_await sleep(d);
  co_return v;
}

task<std::string> text_after(std::chrono::milliseconds d, std::string s) {
  co_await sleep(d);
  co_return s;
}

task<void> fail_after(std::chrono::milliseconds d, std::string what) {
  co_await sleep(d);
  throw std::runtime_error(what);
}

TEST(WhenAll, RunsOperandsConcurrently) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::chrono::nanoseconds> {
    const auto start = now();
    auto [a, b, c] = co_await when_all(after(100ms, 1), text_after(300ms, "x"), after(200ms, 3));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, "x");
    EXPECT_EQ(c, 3);
    co_return now() - start;
  };
  EXPECT_EQ(v.rt.block_on(body()), std::chrono::nanoseconds(300ms));  // max, not sum (600)
}

TEST(WhenAll, VoidOperandsYieldUnit) {
  testing::virtual_runtime v;
  auto body = []() -> task<int> {
    auto noop = []() -> task<void> { co_await sleep(1ms); };
    auto [u, x] = co_await when_all(noop(), after(2ms, 7));
    EXPECT_EQ(u, unit{});
    co_return x;
  };
  EXPECT_EQ(v.rt.block_on(body()), 7);
}

task<int> count_finished(int* finished) {
  co_await sleep(500ms);
  ++*finished;
  co_return 1;
}

TEST(WhenAll, ExceptionIsRethrownAfterEveryOperandFinished) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::string> {
    int finished = 0;
    try {
      co_await when_all(fail_after(10ms, "first"), count_finished(&finished), fail_after(20ms, "second"));
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(finished, 1);  // the slow operand was not abandoned
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(v.rt.block_on(body()), "first");
}

TEST(WhenAll, RangeFormKeepsOperandOrder) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::vector<int>> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 50; ++i) ts.push_back(after(std::chrono::milliseconds(50 - i), i));
    co_return co_await when_all(std::move(ts));
  };
  const std::vector<int> r = v.rt.block_on(body());
  ASSERT_EQ(r.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(r[i], i);
}

TEST(WhenAll, AbortingTheParentAbortsTheOperands) {
  testing::virtual_runtime v;
  auto body = []() -> task<int> {
    int finished = 0;
    auto parent = [](int* f) -> task<void> { co_await when_all(count_finished(f), count_finished(f)); };
    auto h = spawn(parent(&finished));
    co_await sleep(10ms);
    h.abort();
    try {
      co_await h;
    } catch (const task_cancelled&) {
    }
    co_await sleep(1s);  // long past the operands' 500 ms
    co_return finished;
  };
  EXPECT_EQ(v.rt.block_on(body()), 0);
  EXPECT_EQ(v.rt.stats().live_tasks, 0u);
}

TEST(WhenAll, ManyOperandsAcrossWorkers) {
  runtime rt(testing::threaded(2));
  auto body = []() -> task<long> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 10'000; ++i) ts.push_back([](int x) -> task<int> { co_return x; }(i));
    long sum = 0;
    for (int x : co_await when_all(std::move(ts))) sum += x;
    co_return sum;
  };
  EXPECT_EQ(rt.block_on(body()), 10'000L * 9'999 / 2);
}

}  // namespace
}  // namespace ringlane
