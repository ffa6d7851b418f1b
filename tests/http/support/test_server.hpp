// test_server.hpp -- an in-process http::server on a free loopback port, on
// a chosen backend, with the handlers the integration tests talk to.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "http/server/server.hpp"
#include "runtime/time/sleep.hpp"
#include "tests/engine/support.hpp"

namespace ringlane::testing {

inline http::options test_options(engine::backend_choice b, std::uint32_t workers = 1) {
  http::options o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.workers = workers;
  o.backend = b;
  o.buffers = 256;
  o.log = false;
  return o;
}

// How /ws?id=NAME sessions ended (websocket::close_code()), by name, for
// tests to wait on from their own thread.
class ws_endings {
 public:
  void add(std::string id, std::uint16_t code) {
    {
      std::lock_guard lock(m_);
      codes_[std::move(id)] = code;
    }
    cv_.notify_all();
  }
  // The session's close code once its handler has returned; nullopt if it
  // has not within `bound`.
  std::optional<std::uint16_t> wait(const std::string& id, std::chrono::seconds bound = std::chrono::seconds(10)) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, bound, [&] { return codes_.count(id) != 0; })) return std::nullopt;
    return codes_[id];
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::string, std::uint16_t> codes_;
};
inline ws_endings& ws_ended() {
  static ws_endings e;
  return e;
}

namespace handlers {

inline task<void> hello(http::context& ctx) {
  ctx.response().content_type("text/plain").body("Hello, World!");
  co_return;
}

inline task<void> echo(http::context& ctx) {
  ctx.response().content_type("application/octet-stream").body(ctx.body());
  co_return;
}

// /n/:i -> "i" (tells pipelined replies apart)
inline task<void> number(http::context& ctx) {
  ctx.response().body(ctx.param("i"));
  co_return;
}

inline task<void> boom(http::context&) {
  throw std::runtime_error("boom");
  co_return;
}

// /stream?n=K[&ms=M] -> K chunks "chunk i\n" (M ms apart)
inline task<void> stream(http::context& ctx) {
  const int n = std::stoi(ctx.query("n").value_or("10"));
  const int ms = std::stoi(ctx.query("ms").value_or("0"));
  const bool started = co_await ctx.start_stream(200, "text/plain");
  if (!started) co_return;
  for (int i = 0; i < n; ++i) {
    if (ms > 0 && i > 0) co_await sleep(std::chrono::milliseconds(ms));
    const bool ok = co_await ctx.send_chunk("chunk " + std::to_string(i) + "\n");
    if (!ok) co_return;
  }
}

// /stream-cut?then=throw|wait -> one chunk, then an exception or a wait
// of 10 s (for a handler deadline to cut).
inline task<void> stream_cut(http::context& ctx) {
  const bool started = co_await ctx.start_stream(200, "text/plain");
  if (!started) co_return;
  const bool ok = co_await ctx.send_chunk("first\n");
  if (!ok) co_return;
  if (ctx.query("then").value_or("") == "throw") throw std::runtime_error("failed mid-stream");
  co_await sleep(std::chrono::seconds(10));
}

// /events -> two Server-Sent Events
inline task<void> events(http::context& ctx) {
  const bool started = co_await ctx.start_sse();
  if (!started) co_return;
  const bool first = co_await ctx.send_event("hello", "greeting", "1");
  if (!first) co_return;
  co_await ctx.send_event("two\nlines");
}

// /ticks?ms=M -> a Server-Sent Event every M ms until send_event() says stop
inline task<void> ticks(http::context& ctx) {
  const int ms = std::stoi(ctx.query("ms").value_or("20"));
  const bool started = co_await ctx.start_sse();
  if (!started) co_return;
  for (int i = 0;; ++i) {
    const bool open = co_await ctx.send_event(std::to_string(i));
    if (!open) co_return;
    co_await sleep(std::chrono::milliseconds(ms));
  }
}

// /sized?n=K -> "0123456789" announced with Content-Length: 10, of which
// only the first K bytes are sent (K < 10: the connection must close).
inline task<void> sized(http::context& ctx) {
  const std::size_t n = std::stoul(ctx.query("n").value_or("10"));
  const bool started = co_await ctx.start_body(10);
  if (!started) co_return;
  const std::string_view digits = "0123456789";
  const bool first = co_await ctx.send_body(digits.substr(0, n / 2));
  if (!first) co_return;
  const bool second = co_await ctx.send_body(digits.substr(n / 2, n - n / 2));
  if (!second || n < 10) co_return;
  // Beyond the announced length: refused. A stray "!" on the wire would
  // corrupt the next response on the connection, which the test reads.
  const bool over = co_await ctx.send_body("!");
  (void)over;
}

inline task<void> slow(http::context& ctx) {
  co_await sleep(std::chrono::milliseconds(std::stoi(ctx.query("ms").value_or("100"))));
  ctx.response().body("slow");
}

// /ws -> WebSocket echo (same type back; subprotocol "chat" if offered);
// the text "close-me" makes the server start the closing handshake (4000),
// "close-long" the same with a reason too long for a close frame (4001),
// "retained?" is answered with the session's retained_bytes().
inline task<void> ws_echo(http::context& ctx) {
  const std::string id = ctx.query("id").value_or("");
  auto ws = co_await ctx.accept_websocket("chat");
  if (!ws) co_return;
  for (;;) {
    auto msg = co_await ws->receive();
    if (!msg) break;
    if (msg->data == "close-me") {
      co_await ws->close(4000, "bye");
      break;
    }
    if (msg->data == "retained?") {
      const bool sent = co_await ws->send(http::ws::opcode::text, std::to_string(ws->retained_bytes()));
      if (!sent) break;
      continue;
    }
    if (msg->data == "close-long") {  // a reason longer than a close frame holds
      const std::string reason = std::string(122, 'a') + "\xc3\xa9" + std::string(10, 'z');
      co_await ws->close(4001, reason);
      break;
    }
    const bool ok = co_await ws->send(msg->type, msg->data);
    if (!ok) break;
  }
  if (!id.empty()) ws_ended().add(id, ws->close_code());
}

}  // namespace handlers

// A started server with every test route; stopped (drained) on destruction.
inline std::unique_ptr<http::server> start_test_server(const http::options& o) {
  auto s = std::make_unique<http::server>(o);
  s->get("/", handlers::hello);
  s->post("/echo", handlers::echo);
  s->put("/echo", handlers::echo);
  s->get("/n/:i", handlers::number);
  s->get("/boom", handlers::boom);
  s->get("/stream", handlers::stream);
  s->get("/stream-cut", handlers::stream_cut);
  s->get("/slow", handlers::slow);
  s->get("/sized", handlers::sized);
  s->get("/events", handlers::events);
  s->get("/ticks", handlers::ticks);
  s->get("/ws", handlers::ws_echo);
  s->start();
  return s;
}

}  // namespace ringlane::testing
