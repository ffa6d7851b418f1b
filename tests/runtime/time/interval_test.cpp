// Tests for runtime/time/interval.hpp on virtual time: ticks stay on their
// grid whatever the loop body costs, and the three ways of catching up after
// a stall (burst, delay, skip) complete exactly when the header says.
#include "runtime/time/interval.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "runtime/runtime.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

// When each of `ticks` ticks completed, in ms since the start; the body
// after tick `stall_at` takes `stall` (virtual time), the others `work`.
task<std::vector<long>> ticks_at(missed_tick how, int ticks, int stall_at, ms stall, ms work = 0ms) {
  const auto start = now();
  interval every(100ms, how);
  std::vector<long> at;
  for (int i = 0; i < ticks; ++i) {
    co_await every.tick();
    at.push_back(static_cast<long>(std::chrono::duration_cast<ms>(now() - start).count()));
    co_await sleep(i == stall_at ? stall : work);
  }
  co_return at;
}

TEST(Interval, TicksKeepTheirGridWhateverTheBodyCosts) {
  testing::virtual_runtime v;
  // A 30 ms body: sleep(100ms) in a loop would drift to 0, 130, 260, ...
  EXPECT_EQ(v.rt.block_on(ticks_at(missed_tick::burst, 5, -1, 0ms, 30ms)), (std::vector<long>{0, 100, 200, 300, 400}));
}

TEST(Interval, ALateTickThatMissedNoneKeepsTheGrid) {
  testing::virtual_runtime v;
  // The tick due at 100 is asked for at 170: late, but not a period behind.
  for (missed_tick how : {missed_tick::burst, missed_tick::delay, missed_tick::skip}) {
    EXPECT_EQ(v.rt.block_on(ticks_at(how, 4, 0, 170ms)), (std::vector<long>{0, 170, 200, 300}));
  }
}

// The body after the first tick takes 350 ms: the tick due at 100 is asked
// for at 350, as in the header's example.
TEST(Interval, BurstCatchesUpAtOnce) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(ticks_at(missed_tick::burst, 6, 0, 350ms)), (std::vector<long>{0, 350, 350, 350, 400, 500}));
}

TEST(Interval, DelayStartsOverFromTheLateTick) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(ticks_at(missed_tick::delay, 5, 0, 350ms)), (std::vector<long>{0, 350, 450, 550, 650}));
}

TEST(Interval, SkipKeepsTheGridAndDropsWhatWasMissed) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(ticks_at(missed_tick::skip, 5, 0, 350ms)), (std::vector<long>{0, 350, 400, 500, 600}));
}

TEST(Interval, ResetMovesTheGridAndAStartCanBeLater) {
  testing::virtual_runtime v;
  auto body = []() -> task<std::vector<long>> {
    const auto start = now();
    auto since = [&] { return static_cast<long>(std::chrono::duration_cast<ms>(now() - start).count()); };
    std::vector<long> at;
    interval every(start + 50ms, 100ms);  // first tick at 50, not at once
    co_await every.tick();
    at.push_back(since());
    co_await sleep(20ms);
    every.reset();  // next tick 100 ms from now (70): at 170
    co_await every.tick();
    at.push_back(since());
    co_await every.tick();
    at.push_back(since());
    co_return at;
  };
  EXPECT_EQ(v.rt.block_on(body()), (std::vector<long>{50, 170, 270}));
}

}  // namespace
}  // namespace ringlane
