// The server's body budget (options::max_body_memory), end to end on both
// backends: request bodies held by all connections together stay within it;
// a body that does not fit gets 503 with Retry-After and the connection
// closes; what a finished, refused or abandoned body held comes back.
// WebSocket messages share it: one that does not fit ends its session with
// 1013 (try again later).
// server::stats().body_memory shows what is held, so each step waits for the
// server to reach a state instead of racing it.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"
#include "tests/http/support/ws_client.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;
using testing::http_conn;

constexpr std::size_t kBudget = 100'000;

std::string post_head(std::size_t length, std::string_view extra = {}) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n" +
         std::string(extra) + "\r\n";
}

class BodyBudgetTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    http::options o = testing::test_options(GetParam(), 2);  // two workers share one budget
    o.max_body_memory = kBudget;
    srv_ = testing::start_test_server(o);
  }
  // Waits (at most 10 s) until the server holds `bytes` of body memory.
  bool holds(std::uint64_t bytes) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (srv_->stats().body_memory != bytes) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }
  // A connection that has sent the head of an 80,000-byte body with
  // "Expect: 100-continue" (held whole at its head), then part of it.
  std::unique_ptr<http_conn> holder() {
    auto c = std::make_unique<http_conn>(srv_->port());
    EXPECT_TRUE(c->send(post_head(80'000, "Expect: 100-continue\r\n")));
    auto interim = c->read_reply();
    EXPECT_TRUE(interim && interim->status == 100);
    EXPECT_TRUE(holds(80'000)) << "the body waiting for its 100 was not held at its head";
    EXPECT_TRUE(c->send(std::string(1'000, 'a')));
    return c;
  }
  void expect_refused(http_conn& c) {
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->header("retry-after"), "1");
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  std::unique_ptr<http::server> srv_;
};

TEST_P(BodyBudgetTest, SizedBodiesShareTheBudget) {
  auto a = holder();
  {
    http_conn b(srv_->port());
    ASSERT_TRUE(b.send(post_head(30'000) + std::string(30'000, 'b')));  // 80,000 + 30,000 > 100,000
    expect_refused(b);
  }
  EXPECT_EQ(srv_->stats().body_refusals, 1u);
  {
    http_conn b(srv_->port());  // exactly what is left fits
    ASSERT_TRUE(b.send(post_head(20'000) + std::string(20'000, 'c')));
    auto r = b.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::string(20'000, 'c'));
  }
  EXPECT_TRUE(holds(80'000)) << "the finished body kept its share";
  ASSERT_TRUE(a->send(std::string(79'000, 'a')));
  auto r = a->read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 80'000u);
  EXPECT_EQ(srv_->stats().body_memory, 0u);  // given back before the reply was sent
  EXPECT_EQ(srv_->stats().body_refusals, 1u);
}

// Without "Expect: 100-continue" a sized body is held as it arrives: a head
// that announces more than is left is not refused for it.
TEST_P(BodyBudgetTest, ASizedBodyIsHeldAsItArrivesNotAsAnnounced) {
  auto a = holder();
  http_conn b(srv_->port());
  ASSERT_TRUE(b.send(post_head(30'000) + std::string(1'000, 'b')));
  ASSERT_TRUE(holds(81'000)) << "the announced 30,000 bytes were held, or the 1,000 that came were not";
  {
    http_conn c(srv_->port());  // what is left still serves others
    ASSERT_TRUE(c.send(post_head(19'000) + std::string(19'000, 'c')));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  ASSERT_TRUE(holds(81'000));
  ASSERT_TRUE(b.send(std::string(29'000, 'b')));  // the rest does not fit
  expect_refused(b);
  EXPECT_TRUE(holds(80'000)) << "the refused body kept its share";
}

TEST_P(BodyBudgetTest, AChunkedBodyIsRefusedWhenItOutgrowsTheBudget) {
  auto a = holder();
  http_conn b(srv_->port());
  ASSERT_TRUE(b.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(b.send("2710\r\n" + std::string(10'000, 'b') + "\r\n"));  // 10,000 bytes
  ASSERT_TRUE(holds(90'000)) << "the chunked body was not held as it grew";
  ASSERT_TRUE(b.send("4e20\r\n" + std::string(20'000, 'b') + "\r\n"));  // 20,000 more do not fit
  expect_refused(b);
  EXPECT_TRUE(holds(80'000)) << "the refused body kept its share";
  EXPECT_EQ(srv_->stats().body_refusals, 1u);
}

TEST_P(BodyBudgetTest, AnExpectContinueThatDoesNotFitGets503Not100) {
  auto a = holder();
  http_conn b(srv_->port());
  ASSERT_TRUE(b.send(post_head(30'000, "Expect: 100-continue\r\n")));
  expect_refused(b);
}

TEST_P(BodyBudgetTest, AClientThatLeavesMidBodyGivesItsShareBack) {
  auto a = holder();
  a.reset();  // closes the socket with the body unfinished
  EXPECT_TRUE(holds(0));
  http_conn b(srv_->port());
  ASSERT_TRUE(b.send(post_head(90'000) + std::string(90'000, 'b')));
  auto r = b.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(srv_->stats().body_refusals, 0u);
}

TEST_P(BodyBudgetTest, WebSocketMessagesShareTheBudget) {
  auto a = holder();
  constexpr std::uint8_t kBinary = 0x2, kCont = 0x0;
  {
    testing::ws_client w(srv_->port());
    auto up = w.open();
    ASSERT_TRUE(up && up->status == 101);
    ASSERT_TRUE(w.send(kBinary, std::string(20'000, 'w')));  // exactly what is left fits
    auto echo = w.read();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload.size(), 20'000u);
    EXPECT_TRUE(holds(80'000)) << "the delivered message kept its share";
    // Fragments: the second one would take the message past what is left.
    ASSERT_TRUE(w.send(kBinary, std::string(15'000, 'w'), false));
    ASSERT_TRUE(holds(95'000)) << "the first fragment was not held";
    w.send(kCont, std::string(10'000, 'w'));  // may fail once the server has closed
    EXPECT_EQ(w.read_close_then_eof(), 1013);
  }
  EXPECT_TRUE(holds(80'000)) << "the refused message kept its share";
  testing::ws_client w(srv_->port());
  auto up = w.open();
  ASSERT_TRUE(up && up->status == 101);
  w.send(kBinary, std::string(30'000, 'w'));
  EXPECT_EQ(w.read_close_then_eof(), 1013);  // refused as its payload came
  EXPECT_TRUE(holds(80'000));
}

// A frame header is held to what its payload has delivered, not to what it
// announces: 14 bytes must not reserve a message's worth of everyone's
// budget (a client could stall there as long as it likes).
TEST_P(BodyBudgetTest, AWebSocketFrameHoldsWhatArrivedNotWhatItAnnounces) {
  auto a = holder();
  testing::ws_client w(srv_->port());
  auto up = w.open();
  ASSERT_TRUE(up && up->status == 101);
  const std::string frame = testing::ws_encode(0x2, std::string(90'000, 'w'));
  const std::size_t header = 14;  // 2 + 8 (64-bit length) + 4 (mask)
  ASSERT_TRUE(w.conn().send(std::string_view(frame).substr(0, header + 1'000)));
  ASSERT_TRUE(holds(81'000)) << "the announced 90,000 bytes were held, or the 1,000 that came were not";
  http_conn b(srv_->port());
  ASSERT_TRUE(b.send(post_head(10'000) + std::string(10'000, 'b')));
  auto r = b.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  w.conn().send(std::string_view(frame).substr(header + 1'000));  // may fail once the server has closed
  EXPECT_EQ(w.read_close_then_eof(), 1013);  // the rest does not fit
  EXPECT_TRUE(holds(80'000));
}

INSTANTIATE_TEST_SUITE_P(Backends, BodyBudgetTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
