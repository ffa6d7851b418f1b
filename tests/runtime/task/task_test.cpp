// Tests for runtime/task/task.hpp and frame_pool: laziness, values,
// exceptions, deep synchronous chains (symmetric transfer), frame reuse.
#include "runtime/task/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "runtime/task/frame_pool.hpp"
#include "tests/support/test_runtime.hpp"

namespace ringlane {
namespace {

task<int> answer(bool* started) {
  *started = true;
  co_return 42;
}

task<int> add_one(task<int> inner) { co_return (co_await std::move(inner)) + 1; }

task<std::string> greet(std::string name) { co_return "hello " + name; }

task<void> fail() {
  throw std::runtime_error("boom");
  co_return;
}

task<int> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return (co_await chain(depth - 1)) + 1;
}

task<long> sum_loop(int n) {
  long s = 0;
  for (int i = 0; i < n; ++i) s += co_await chain(0) + 1;
  co_return s;
}

TEST(Task, DoesNotStartUntilAwaited) {
  testing::virtual_runtime v;
  bool started = false;
  task<int> t = answer(&started);
  EXPECT_FALSE(started);
  EXPECT_EQ(v.rt.block_on(std::move(t)), 42);
  EXPECT_TRUE(started);
}

TEST(Task, DestroyingAnUnstartedTaskNeverRunsIt) {
  bool started = false;
  { task<int> t = answer(&started); }
  EXPECT_FALSE(started);
}

TEST(Task, AwaitingATaskReturnsItsValue) {
  testing::virtual_runtime v;
  bool started = false;
  EXPECT_EQ(v.rt.block_on(add_one(answer(&started))), 43);
  EXPECT_EQ(v.rt.block_on(greet("ring")), "hello ring");
}

TEST(Task, ExceptionsPropagateToTheAwaiter) {
  testing::virtual_runtime v;
  EXPECT_THROW(v.rt.block_on(fail()), std::runtime_error);
}

TEST(Task, MoveOnlyResults) {
  testing::virtual_runtime v;
  auto make = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(7); };
  EXPECT_EQ(*v.rt.block_on(make()), 7);
}

TEST(Task, DeepRecursionDoesNotGrowTheStack) {
  testing::virtual_runtime v;
  // 100k nested awaits complete synchronously: only symmetric transfer
  // (a tail call) keeps the stack flat.
  EXPECT_EQ(v.rt.block_on(chain(100'000)), 100'000);
}

TEST(Task, ManySynchronousChildrenInALoop) {
  testing::virtual_runtime v;
  EXPECT_EQ(v.rt.block_on(sum_loop(1'000'000)), 1'000'000);
}

TEST(FramePool, ReusesFreedFrames) {
  void* a = detail::frame_pool::allocate(100);
  const std::size_t cached = detail::frame_pool::cached_blocks();
  detail::frame_pool::deallocate(a, 100);
  EXPECT_EQ(detail::frame_pool::cached_blocks(), cached + 1);
  void* b = detail::frame_pool::allocate(120);  // same 128-byte class: the same block
  EXPECT_EQ(a, b);
  EXPECT_EQ(detail::frame_pool::cached_blocks(), cached);
  detail::frame_pool::deallocate(b, 120);
  void* big = detail::frame_pool::allocate(100'000);  // beyond the classes: not cached
  detail::frame_pool::deallocate(big, 100'000);
  EXPECT_EQ(detail::frame_pool::cached_blocks(), cached + 1);
}

}  // namespace
}  // namespace ringlane
