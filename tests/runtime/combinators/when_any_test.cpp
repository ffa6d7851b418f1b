// Tests for runtime/combinators/when_any.hpp: the first to finish wins,
// losers are aborted and awaited before when_any returns, exceptions from
// the winner propagate, and the range form reports the winner's index.
#include "runtime/combinators/when_any.hpp"

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

// Records whether its frame was destroyed (aborted) or finished.
struct lifecycle {
  bool finished = false;
  bool destroyed = false;
};

task<std::string> tracked(std::chrono::milliseconds d, lifecycle* life) {
  struct on_destroy {
    lifecycle* l;
    ~on_destroy() { l->destroyed = true; }
  } guard{life};
  co_await sleep(d);
  life->finished = true;
  co_return "slow";
}

TEST(WhenAny, FirstToFinishWinsAndLosersAreAwaited) {
  testing::virtual_runtime v;
  auto body = []() -> task<bool> {
    lifecycle life;
    const auto start = now();
    auto r = co_await when_any(after(30ms, 42), tracked(1s, &life));
    EXPECT_EQ(r.index, 0u);
    EXPECT_EQ(std::get<0>(r.value), 42);
    EXPECT_EQ(now() - start, std::chrono::nanoseconds(30ms));
    // The loser is gone by the time when_any returned: not finished, destroyed.
    co_return !life.finished && life.destroyed;
  };
  EXPECT_TRUE(v.rt.block_on(body()));
  EXPECT_EQ(v.rt.stats().live_tasks, 0u);
}

TEST(WhenAny, WinnersExceptionPropagates) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::string> {
    auto boom = []() -> task<int> {
      co_await sleep(5ms);
      throw std::runtime_error("winner failed");
    };
    try {
      co_await when_any(boom(), after(50ms, 1));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(v.rt.block_on(body()), "winner failed");
}

TEST(WhenAny, RangeFormReportsTheWinnersIndex) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::pair<std::size_t, int>> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 10; ++i) ts.push_back(after(std::chrono::milliseconds(i == 6 ? 1 : 100 + i), i * 10));
    co_return co_await when_any(std::move(ts));
  };
  EXPECT_EQ(v.rt.block_on(body()), (std::pair<std::size_t, int>{6, 60}));
}

TEST(WhenAny, ReadyOperandWinsWithoutWaiting) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::size_t> {
    auto now_value = []() -> task<int> { co_return 1; };
    auto r = co_await when_any(after(1h, 0), now_value());
    co_return r.index;
  };
  EXPECT_EQ(v.rt.block_on(body()), 1u);
}

}  // namespace
}  // namespace ringlane
