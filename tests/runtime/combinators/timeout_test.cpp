// Tests for runtime/combinators/timeout.hpp.
#include "runtime/combinators/timeout.hpp"

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

TEST(Timeout, ReturnsTheValueWhenInTime) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::optional<int>> { co_return co_await timeout(100ms, after(99ms, 5)); };
  EXPECT_EQ(v.rt.block_on(body()), std::optional<int>(5));
}

TEST(Timeout, ExpiresAndAbortsTheOperand) {
  testing::virtual_runtime v;
  auto body = []() -> task<bool> {
    bool finished = false;
    auto slow = [](bool* f) -> task<void> {
      co_await sleep(1s);
      *f = true;
    };
    const auto start = now();
    auto r = co_await timeout(100ms, slow(&finished));
    EXPECT_EQ(now() - start, std::chrono::nanoseconds(100ms));
    co_await sleep(2s);
    co_return !r.has_value() && !finished;
  };
  EXPECT_TRUE(v.rt.block_on(body()));
  EXPECT_EQ(v.rt.stats().live_tasks, 0u);
}

TEST(Timeout, OperandExceptionIsRethrown) {
  testing::virtual_runtime v;
  auto body = []() -> task<void> {
    auto boom = []() -> task<int> {
      co_await sleep(1ms);
      throw std::logic_error("bad");
    };
    co_await timeout(1s, boom());
  };
  EXPECT_THROW(v.rt.block_on(body()), std::logic_error);
}

TEST(Timeout, NestedTimeoutsTheInnerFires) {
  testing::virtual_runtime v;
  auto body = []() -> task<int> {
    auto inner = []() -> task<int> {
      auto r = co_await timeout(50ms, after(1s, 1));
      co_return r ? 1 : 2;
    };
    auto r = co_await timeout(200ms, inner());
    co_return r ? *r : 3;
  };
  EXPECT_EQ(v.rt.block_on(body()), 2);
}

}  // namespace
}  // namespace ringlane
