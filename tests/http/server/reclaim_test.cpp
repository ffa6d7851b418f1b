// http/server/reclaim.cpp, end to end on both backends: a worker at its
// connection limit closes the connection that has been idle longest to
// admit a new one, never a busy one, and closes the newcomer at once when
// every connection is busy; server::stats() counts both.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;
using testing::http_conn;

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view kHold = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";

// GET /hold: a handler that is provably running (entered) until the test
// opens the gate, so that its connection is busy -- not idle -- for sure.
std::atomic<int> entered{0};
std::atomic<bool> gate_open{false};

task<void> hold(http::context& ctx) {
  entered.fetch_add(1);
  for (int i = 0; i < 10'000 && !gate_open.load(); ++i) co_await sleep(1ms);  // at most 10 s
  ctx.response().body("held");
}

bool handlers_entered(int n) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (entered.load() < n && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  return entered.load() >= n;
}

class ReclaimTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    entered = 0;
    gate_open = false;
  }
  void TearDown() override { gate_open = true; }

  std::unique_ptr<http::server> start(std::size_t max_connections) const {
    http::options o = testing::test_options(GetParam(), 1);
    o.max_connections = max_connections;
    auto s = std::make_unique<http::server>(o);
    s->get("/", testing::handlers::hello);
    s->get("/hold", hold);
    s->start();
    return s;
  }
};

bool served(http_conn& c) {
  if (!c.send(kGet)) return false;
  auto r = c.read_reply();
  return r && r->status == 200;
}

bool released(http_conn& c) {
  auto r = c.read_reply();
  return r && r->status == 200 && r->body == "held";
}

TEST_P(ReclaimTest, AtTheLimitTheConnectionIdleLongestMakesRoom) {
  auto srv = start(3);
  http_conn a(srv->port()), b(srv->port()), c(srv->port());
  for (http_conn* x : {&a, &b, &c}) ASSERT_TRUE(served(*x));
  ASSERT_TRUE(served(a));  // a's second request: b has now been idle longest

  http_conn d(srv->port());
  EXPECT_TRUE(served(d));           // admitted, not closed at accept ...
  EXPECT_TRUE(b.closed_by_peer());  // ... on b's room; b is closed without a word
  for (http_conn* x : {&a, &c, &d}) EXPECT_TRUE(served(*x));
  const http::server_stats st = srv->stats();
  EXPECT_EQ(st.accepted, 4u);
  EXPECT_EQ(st.reclaimed, 1u);
  EXPECT_EQ(st.rejected, 0u);
  EXPECT_EQ(st.open, 3u);
  EXPECT_EQ(st.requests, 8u);
}

TEST_P(ReclaimTest, ABusyConnectionIsNeverReclaimed) {
  auto srv = start(2);
  http_conn busy(srv->port()), idle(srv->port());
  ASSERT_TRUE(served(busy));  // busy went idle first ...
  ASSERT_TRUE(served(idle));
  ASSERT_TRUE(busy.send(kHold));  // ... and then took a request that is still running
  ASSERT_TRUE(handlers_entered(1));

  http_conn fresh(srv->port());
  EXPECT_TRUE(served(fresh));  // on idle's room: the busy one was passed over
  EXPECT_TRUE(idle.closed_by_peer());
  gate_open = true;
  EXPECT_TRUE(released(busy));  // its request completes undisturbed
  EXPECT_TRUE(served(busy));
}

TEST_P(ReclaimTest, WhenEveryConnectionIsBusyTheNewcomerIsClosedAtAccept) {
  auto srv = start(2);
  http_conn a(srv->port()), b(srv->port());
  for (http_conn* x : {&a, &b}) ASSERT_TRUE(x->send(kHold));
  ASSERT_TRUE(handlers_entered(2));

  http_conn third(srv->port());
  ASSERT_TRUE(third.ok());  // the kernel completes the handshake ...
  third.send(kGet);
  EXPECT_FALSE(third.read_reply());  // ... and we close it unanswered
  gate_open = true;
  for (http_conn* x : {&a, &b}) EXPECT_TRUE(released(*x));
  const http::server_stats st = srv->stats();
  EXPECT_EQ(st.rejected, 1u);
  EXPECT_EQ(st.reclaimed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReclaimTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
