// epoll_intake_test.cpp -- a turn takes no more ready sockets than the
// receive pool has buffers for (engine/epoll/epoll_context.cpp,
// wait_and_dispatch). The rest wait on the kernel's ready list, in order,
// instead of meeting an empty pool: no reader sees -ENOBUFS.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <vector>

#include "engine/epoll/epoll_context.hpp"
#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"
#include "tests/engine/epoll/epoll_test_support.hpp"

namespace ringlane::engine {
namespace {

using namespace epoll_test;

constexpr int kSockets = 100;  // more than the pool (40), fewer than max_events (256)
constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr ssize_t kRequestLen = sizeof kRequest - 1;

task<void> more_ready_than_buffers_body() {
  std::vector<std::array<int, 2>> pairs;
  std::vector<std::unique_ptr<multishot_op>> ops;
  for (int i = 0; i < kSockets; ++i) {
    pairs.push_back(unix_pair());
    ops.push_back(make_multishot(op_code::recv_multishot, pairs.back()[0]));
    arm(*ops.back());
  }
  // One turn with nothing to read: every armed recv now waits for an edge.
  // The probe's completion proves the turn ran (armed ops get their first
  // try together, in one turn).
  const auto probe_pair = unix_pair();
  auto probe = make_multishot(op_code::recv_multishot, probe_pair[0]);
  arm(*probe);
  EXPECT_EQ(::send(probe_pair[1], kRequest, kRequestLen, 0), kRequestLen);
  const completion p = co_await next_completion{probe.get()};
  EXPECT_EQ(p.res, kRequestLen);
  if (p.flags & completion_flags::buffer) io().buffers().put(p.buffer_id);

  // All 100 sockets become readable at once.
  for (const auto& pr : pairs) EXPECT_EQ(::send(pr[1], kRequest, kRequestLen, 0), kRequestLen);
  // Consume like a server's tasks do: whatever arrived, in any order,
  // each buffer straight back to the pool; then let the next turn run.
  int enobufs = 0, chunks = 0, answered = 0;
  std::vector<bool> done(kSockets, false);
  for (int turn = 0; turn < 10'000 && answered < kSockets; ++turn) {
    for (int i = 0; i < kSockets; ++i) {
      if (done[static_cast<std::size_t>(i)] || ops[static_cast<std::size_t>(i)]->got.empty()) continue;
      const completion c = ops[static_cast<std::size_t>(i)]->got.front();
      ops[static_cast<std::size_t>(i)]->got.pop_front();
      done[static_cast<std::size_t>(i)] = true;
      ++answered;
      if (c.res == -ENOBUFS) ++enobufs;
      if (c.flags & completion_flags::buffer) {
        EXPECT_EQ(c.res, kRequestLen);
        ++chunks;
        io().buffers().put(c.buffer_id);
      }
    }
    co_await yield_now();
  }
  EXPECT_EQ(enobufs, 0) << "ready sockets were taken beyond the pool's buffers";
  EXPECT_EQ(chunks, kSockets);
  EXPECT_EQ(io().buffers().available(), 40u);

  drop(std::move(probe));
  for (auto& op : ops) drop(std::move(op));
  EXPECT_EQ(co_await close_fd(probe_pair[0]), 0);
  ::close(probe_pair[1]);
  for (const auto& pr : pairs) {
    EXPECT_EQ(co_await close_fd(pr[0]), 0);
    ::close(pr[1]);
  }
}

TEST(EpollIntake, TakesNoMoreReadySocketsThanThePoolHasBuffers) {
  runtime rt(epoll_runtime_small_pool(40));
  run(rt, more_ready_than_buffers_body());
}

}  // namespace
}  // namespace ringlane::engine
