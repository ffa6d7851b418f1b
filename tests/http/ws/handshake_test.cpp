// The opening handshake's checks, each with its status, on heads from the
// real parser.
#include "http/ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/proto/parser.hpp"

namespace ringlane::http::ws {
namespace {

constexpr std::string_view kGood =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

// Parses `head` (without its final empty line) and checks it.
handshake check(std::string head, std::string_view protocol = {}) {
  head += "\r\n";
  request_parser p(limits{});
  std::size_t used = 0;
  const parse_event ev = p.feed(head, used);
  EXPECT_TRUE(ev == parse_event::complete || ev == parse_event::head) << head;
  return check_handshake(p.head(), protocol);
}

std::string replace(std::string_view s, std::string_view from, std::string_view to) {
  std::string out(s);
  out.replace(out.find(from), from.size(), to);
  return out;
}

TEST(Handshake, AcceptsTheRfcExample) {
  const handshake hs = check(std::string(kGood));
  EXPECT_EQ(hs.status, 0);
  EXPECT_EQ(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(hs.protocol.empty());
  std::string out;
  write_switching_protocols(out, hs);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(Handshake, TokensAreCaseInsensitiveListMembers) {
  const std::string h = replace(replace(kGood, "Upgrade: websocket", "Upgrade: WebSocket"), "Connection: Upgrade",
                                "Connection: keep-alive, upgrade");
  EXPECT_EQ(check(h).status, 0);
}

TEST(Handshake, SubprotocolOnlyWhenTheClientOffersIt) {
  const std::string offered = std::string(kGood) + "Sec-WebSocket-Protocol: superchat, chat\r\n";
  EXPECT_EQ(check(offered, "chat").protocol, "chat");
  EXPECT_TRUE(check(offered, "mqtt").protocol.empty());
  EXPECT_TRUE(check(std::string(kGood), "chat").protocol.empty());
  std::string out;
  write_switching_protocols(out, check(offered, "chat"));
  EXPECT_NE(out.find("\r\nSec-WebSocket-Protocol: chat\r\n"), std::string::npos);
}

TEST(Handshake, RefusalsAndTheirStatuses) {
  EXPECT_EQ(check("GET /chat HTTP/1.1\r\nHost: x\r\n").status, 426);  // plain GET
  EXPECT_EQ(check(replace(kGood, "Upgrade: websocket", "Upgrade: h2c")).status, 426);
  EXPECT_EQ(check(replace(kGood, "Version: 13", "Version: 8")).status, 426);
  EXPECT_EQ(check(replace(kGood, "GET", "POST")).status, 400);
  EXPECT_EQ(check(replace(kGood, "HTTP/1.1", "HTTP/1.0")).status, 400);
  EXPECT_EQ(check(replace(kGood, "dGhlIHNhbXBsZSBub25jZQ==", "short==")).status, 400);
  EXPECT_EQ(check(replace(kGood, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=x")).status, 400);
  EXPECT_EQ(check(replace(kGood, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j*Q==")).status, 400);
  EXPECT_EQ(check(replace(kGood, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")).status, 400);
  EXPECT_EQ(check(std::string(kGood) + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n").status, 400);  // twice
  EXPECT_EQ(check(std::string(kGood) + "sec-websocket-version: 13\r\n").status, 400);
}

}  // namespace
}  // namespace ringlane::http::ws
