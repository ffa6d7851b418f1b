// Whole WebSocket sessions against the test server's /ws echo, over real
// loopback sockets on both backends: the handshake and its refusals,
// messages whole and fragmented, control frames, both closing handshakes,
// and every protocol violation answered with its close code.
#include "http/ws/websocket.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>

#include "tests/http/support/test_server.hpp"
#include "tests/http/support/ws_client.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::http_conn;
using testing::ws_client;
using testing::ws_close_payload;
using testing::ws_encode;

constexpr std::uint8_t kCont = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

class WebSocketTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    http::options o = testing::test_options(GetParam());
    o.limits.max_body = 64 * 1024;  // the message limit too
    srv_ = testing::start_test_server(o);
  }
  std::uint16_t port() const { return srv_->port(); }

  // Opens a session and checks the 101. `id` names it for ws_ended().
  void open(ws_client& c, const std::string& id = {}) {
    auto r = c.open(id.empty() ? "/ws" : "/ws?id=" + id);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 101);
  }

  // The server still answers plain HTTP on a new connection.
  void expect_server_alive() {
    http_conn h(port());
    ASSERT_TRUE(h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = h.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }

  std::unique_ptr<http::server> srv_;
};

TEST_P(WebSocketTest, HandshakeAnswersWithTheAcceptKeyAndTheOfferedSubprotocol) {
  ws_client c(port());
  auto r = c.open("/ws", "Sec-WebSocket-Protocol: superchat, chat\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->header("upgrade"), "websocket");
  EXPECT_EQ(r->header("connection"), "Upgrade");
  EXPECT_EQ(r->header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(r->header("sec-websocket-protocol"), "chat");
}

TEST_P(WebSocketTest, RefusedHandshakesGetAnHttpAnswerAndTheConnectionGoesOn) {
  http_conn h(port());
  ASSERT_TRUE(h.send("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto plain = h.read_reply();
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 426);
  EXPECT_EQ(plain->header("upgrade"), "websocket");
  EXPECT_EQ(plain->header("connection"), "upgrade");  // with Upgrade (RFC 9110 7.8); the connection stays
  EXPECT_EQ(plain->header("sec-websocket-version"), "13");
  std::string bad_key = testing::ws_handshake_request();
  bad_key.replace(bad_key.find("dGhl"), 4, "!!!!");
  testing::expect_status_then_served(h, bad_key, 400);
  // Closing after the 426 keeps "upgrade" beside "close".
  http_conn last(port());
  ASSERT_TRUE(last.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto closing = last.read_reply();
  ASSERT_TRUE(closing);
  EXPECT_EQ(closing->status, 426);
  EXPECT_EQ(closing->header("connection"), "close, upgrade");
}

TEST_P(WebSocketTest, TextAndBinaryMessagesEchoWithTheirType) {
  ws_client c(port());
  open(c);
  const std::string big(40000, 'b');  // 16-bit length both ways
  for (const auto& [op, payload] : {std::pair<std::uint8_t, std::string>{kText, "hello"},
                                    {kBinary, std::string("\0\x01\xff", 3)},
                                    {kText, ""},
                                    {kBinary, big}}) {
    ASSERT_TRUE(c.send(op, payload));
    auto f = c.read();
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->fin);
    EXPECT_EQ(f->op, op);
    EXPECT_EQ(f->payload, payload);
  }
}

// A session that received and echoed a large message gives the buffers back
// before it waits for the next one (a small one keeps them).
TEST_P(WebSocketTest, AWaitingSessionFreesWhatALargeMessageGrew) {
  ws_client c(port());
  open(c);
  auto retained = [&]() -> std::size_t {
    if (!c.send(kText, "retained?")) return 0;
    auto f = c.read();
    return f ? std::stoul(f->payload) : 0;
  };
  const std::size_t base = retained();
  ASSERT_GT(base, 0u);
  const std::string big(60000, 'b');
  ASSERT_TRUE(c.send(kBinary, big));
  auto echoed = c.read();
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->payload.size(), big.size());
  EXPECT_LT(retained(), 40'000u);  // 120 KB before: the frame in, the echo out
  ASSERT_TRUE(c.send(kText, std::string(1000, 's')));
  ASSERT_TRUE(c.read());
  const std::size_t small = retained();
  EXPECT_LT(small, 40'000u);
}

TEST_P(WebSocketTest, FramesSentWithTheHandshakeAreNotLost) {
  ws_client c(port());
  const std::string frames = ws_encode(kText, "first") + ws_encode(kText, "second");
  auto r = c.open("/ws", {}, frames);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 101);
  for (const char* want : {"first", "second"}) {
    auto f = c.read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, want);
  }
}

TEST_P(WebSocketTest, FragmentsAreReassembledAndPingsAnsweredInBetween) {
  ws_client c(port());
  open(c);
  std::string all = ws_encode(kText, "Hel", false) + ws_encode(kPing, "p1") + ws_encode(kCont, "lo, ", false) +
                    ws_encode(kPong, "unsolicited") + ws_encode(kCont, "\xce\xba\xe1\xbd\xb9", true);
  // Byte by byte: frame headers and payloads split at every point.
  for (char ch : all) ASSERT_TRUE(c.conn().send(std::string_view(&ch, 1)));
  auto pong = c.read();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->op, kPong);
  EXPECT_EQ(pong->payload, "p1");
  auto f = c.read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->op, kText);
  EXPECT_EQ(f->payload, "Hello, \xce\xba\xe1\xbd\xb9");
}

// Test ids are unique per backend: both instantiations share ws_ended().
// Ids go into a query string: spaces become dashes.
std::string id_for(const char* name) {
  std::string id = std::string(name) + "-" + testing::backend_name(::testing::TestWithParam<backend_choice>::GetParam());
  for (char& ch : id) ch = ch == ' ' ? '-' : ch;
  return id;
}

TEST_P(WebSocketTest, ClientCloseIsEchoedThenTheServerCloses) {
  ws_client c(port());
  open(c, id_for("client-close"));
  ASSERT_TRUE(c.send(kClose, ws_close_payload(1001, "done")));
  EXPECT_EQ(c.read_close_then_eof(), 1001);
  EXPECT_EQ(testing::ws_ended().wait(id_for("client-close")), 1001);
  expect_server_alive();
}

TEST_P(WebSocketTest, ServerInitiatedCloseWaitsForTheClientsAnswer) {
  ws_client c(port());
  open(c);
  ASSERT_TRUE(c.send(kText, "close-me"));
  auto f = c.read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->op, kClose);
  EXPECT_EQ(f->code(), 4000);
  EXPECT_EQ(f->payload.substr(2), "bye");
  // Data the client sends before its own close is dropped, not echoed.
  ASSERT_TRUE(c.send(kText, "late"));
  ASSERT_TRUE(c.send(kClose, ws_close_payload(4000)));
  EXPECT_TRUE(c.conn().closed_by_peer());
}

TEST_P(WebSocketTest, ALongCloseReasonIsCutAtACharacterBoundary) {
  ws_client c(port());
  open(c);
  ASSERT_TRUE(c.send(kText, "close-long"));
  auto f = c.read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->op, kClose);
  EXPECT_EQ(f->code(), 4001);
  // 123 bytes would split the two-byte character at 122..123.
  EXPECT_EQ(f->payload.substr(2), std::string(122, 'a'));
}

TEST_P(WebSocketTest, AGracefulDrainClosesIdleSessionsWithGoingAway) {
  std::thread stopper;
  {
    ws_client c(port());
    open(c, id_for("drain"));
    ASSERT_TRUE(c.send(kText, "still here"));
    auto echo = c.read();
    ASSERT_TRUE(echo);
    // stop() returns once every connection is gone (or at the drain
    // deadline); the client closes its end after the close frame and EOF.
    stopper = std::thread([this] { srv_->stop(); });
    EXPECT_EQ(c.read_close_then_eof(), 1001);
  }
  stopper.join();
  EXPECT_EQ(testing::ws_ended().wait(id_for("drain")), 1001);
}

struct violation {
  const char* name;
  std::string frames;
  std::uint16_t code;
};

TEST_P(WebSocketTest, ViolationsCloseWithTheirCode) {
  const std::vector<violation> cases = {
      {"unmasked", ws_encode(kText, "hi", true, false), 1002},
      {"rsv1", ws_encode(kText, "hi", true, true, 0x40), 1002},
      {"reserved opcode", ws_encode(0x3, "hi"), 1002},
      {"fragmented ping", ws_encode(kPing, "hi", false), 1002},
      {"ping over 125", ws_encode(kPing, std::string(126, 'p')), 1002},
      {"continuation first", ws_encode(kCont, "hi"), 1002},
      {"text inside a fragmented text", ws_encode(kText, "a", false) + ws_encode(kText, "b"), 1002},
      {"invalid utf-8", ws_encode(kText, "\xed\xa0\x80"), 1007},
      {"invalid utf-8 across fragments", ws_encode(kText, "\xce", false) + ws_encode(kCont, "x"), 1007},
      // Known bad in the first fragment: closed at once, no FIN awaited.
      {"invalid utf-8 in an unfinished message", ws_encode(kText, "ok\xc0", false), 1007},
      {"a code point cut short by FIN", ws_encode(kText, "\xe2\x82", false) + ws_encode(kCont, ""), 1007},
      {"message above the limit", ws_encode(kBinary, std::string(64 * 1024 + 1, 'x')), 1009},
      {"fragments above the limit", ws_encode(kBinary, std::string(40000, 'x'), false) +
                                        ws_encode(kCont, std::string(40000, 'x')), 1009},
      {"close with one byte", ws_encode(kClose, "x"), 1002},
      {"close with code 1005", ws_encode(kClose, ws_close_payload(1005)), 1002},
      {"close with code 999", ws_encode(kClose, ws_close_payload(999)), 1002},
      {"close reason not utf-8", ws_encode(kClose, ws_close_payload(1000, "\xff")), 1007},
  };
  for (const violation& v : cases) {
    ws_client c(port());
    open(c, id_for(v.name));
    c.conn().send(v.frames);  // may fail once the server has closed
    EXPECT_EQ(c.read_close_then_eof(), v.code) << v.name;
    EXPECT_EQ(testing::ws_ended().wait(id_for(v.name)), v.code) << v.name;
  }
  expect_server_alive();
}

// Random frame sequences (fixed seed): valid and broken frames mixed. Every
// session must end with at most one close frame, last, carrying a code a
// server may send, then EOF; everything before it is an echo or a pong.
TEST_P(WebSocketTest, RandomFrameSequencesEndCleanly) {
  std::mt19937 rng(20261202);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto payload = [&](std::size_t max) {
    std::string p(static_cast<std::size_t>(pick(static_cast<int>(max) + 1)), 'x');
    for (char& ch : p) ch = pick(8) == 0 ? static_cast<char>(rng()) : static_cast<char>('a' + pick(26));
    return p;
  };
  for (int session = 0; session < 60; ++session) {
    std::string frames;
    for (int n = 1 + pick(6); n > 0; --n) {
      switch (pick(9)) {
        case 0: frames += ws_encode(kText, payload(300)); break;
        case 1: frames += ws_encode(kBinary, payload(70000)); break;
        case 2: frames += ws_encode(kText, payload(20), false) + ws_encode(kCont, payload(20)); break;
        case 3: frames += ws_encode(kPing, payload(125)); break;
        case 4: frames += ws_encode(kPong, payload(10)); break;
        case 5: frames += ws_encode(kClose, ws_close_payload(static_cast<std::uint16_t>(pick(5000)))); break;
        case 6: frames += ws_encode(static_cast<std::uint8_t>(pick(16)), payload(10), pick(2) == 0); break;
        case 7: frames += ws_encode(kText, payload(10), true, pick(2) == 0, static_cast<std::uint8_t>(pick(8) << 4)); break;
        default: frames += payload(12); break;  // garbage bytes
      }
    }
    ws_client c(port());
    open(c);
    c.conn().send(frames);  // may fail once the server has closed
    c.send(kClose, ws_close_payload(1000));
    bool closed = false;
    for (;;) {
      auto f = c.read();
      if (!f) break;
      ASSERT_FALSE(closed) << "a frame after the close frame, session " << session;
      ASSERT_TRUE(f->op == kText || f->op == kBinary || f->op == kPong || f->op == kClose) << int{f->op};
      if (f->op == kClose) {
        closed = true;
        const std::uint16_t code = f->code();
        EXPECT_TRUE(f->payload.empty() || http::ws::valid_close_code(code)) << code << ", session " << session;
      }
    }
    EXPECT_TRUE(closed) << "no close frame before EOF, session " << session;
  }
  expect_server_alive();
}

TEST_P(WebSocketTest, ClientVanishingMidMessageEndsTheSessionAsAbnormal) {
  {
    ws_client c(port());
    open(c, id_for("vanish"));
    ASSERT_TRUE(c.conn().send(ws_encode(kBinary, std::string(1000, 'x')).substr(0, 500)));
  }  // closed here, half a frame sent
  EXPECT_EQ(testing::ws_ended().wait(id_for("vanish")), 1006);
  expect_server_alive();
}

INSTANTIATE_TEST_SUITE_P(Backends, WebSocketTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
