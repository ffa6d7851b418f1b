// Tests for runtime/combinators/task_group.hpp (JoinSet semantics).
#include "runtime/combinators/task_group.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "runtime/time/sleep.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;

task<int> after(std::chrono::milliseconds d, int v) {
  co_await sleep(d);
  co_return v;
}

TEST(TaskGroup, NextYieldsInCompletionOrder) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::vector<int>> {
    task_group<int> g;
    g.spawn(after(30ms, 3));
    g.spawn(after(10ms, 1));
    g.spawn(after(20ms, 2));
    std::vector<int> out;
    while (auto r = co_await g.next()) out.push_back(*r);
    EXPECT_TRUE(g.empty());
    co_return out;
  };
  EXPECT_EQ(v.rt.block_on(body()), (std::vector<int>{1, 2, 3}));
}

TEST(TaskGroup, JoinAllCollectsEverythingAndRethrowsAfterwards) {
  testing::virtual_runtime v;
  auto body = []() -> task<int> {
    task_group<int> g;
    int finished = 0;
    auto counted = [](int* f) -> task<int> {
      co_await sleep(100ms);
      ++*f;
      co_return 0;
    };
    auto boom = []() -> task<int> {
      co_await sleep(1ms);
      throw std::runtime_error("member failed");
    };
    g.spawn(counted(&finished));
    g.spawn(boom());
    g.spawn(counted(&finished));
    try {
      co_await g.join_all();
    } catch (const std::runtime_error&) {
      co_return finished;
    }
    co_return -1;
  };
  EXPECT_EQ(v.rt.block_on(body()), 2);
}

TEST(TaskGroup, DroppingTheGroupAbortsMembers) {
  testing::virtual_runtime v;
  auto body = []() -> task<int> {
    int finished = 0;
    {
      task_group<void> g;
      for (int i = 0; i < 10; ++i) {
        g.spawn([](int* f) -> task<void> {
          co_await sleep(1s);
          ++*f;
        }(&finished));
      }
      co_await sleep(10ms);
    }
    co_await sleep(5s);
    co_return finished;
  };
  EXPECT_EQ(v.rt.block_on(body()), 0);
  EXPECT_EQ(v.rt.stats().live_tasks, 0u);
}

TEST(TaskGroup, AbortAllBeforeMembersRanEndsNext) {
  testing::virtual_runtime v;
  auto body = []() -> task<bool> {
    task_group<int> g;
    for (int i = 0; i < 5; ++i) g.spawn(after(1s, i));
    g.abort_all();  // none of them has run yet
    auto r = co_await g.next();
    co_return !r.has_value();
  };
  EXPECT_TRUE(v.rt.block_on(body()));
}

TEST(TaskGroup, ManyMembersOnSeveralWorkers) {
  runtime rt(testing::threaded(4));
  auto body = []() -> task<long> {
    task_group<int> g;
    for (int i = 0; i < 20'000; ++i) g.spawn([](int x) -> task<int> { co_return x; }(i));
    long sum = 0;
    while (auto r = co_await g.next()) sum += *r;
    co_return sum;
  };
  EXPECT_EQ(rt.block_on(body()), 20'000L * 19'999 / 2);
}

}  // namespace
}  // namespace ringlane
