// realtime.cpp -- the two push channels a browser speaks.
//
//   GET /ws/echo              WebSocket (RFC 6455): every text or binary
//                             message comes back as it was sent; a plain GET
//                             gets 426, a malformed handshake 400
//   GET /events?n=5&ms=100    Server-Sent Events: n "tick" events, ms apart,
//                             each with an id and a JSON data line
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"

namespace demo {

task<void> ws_echo(http::context& ctx) {
  auto ws = co_await ctx.accept_websocket();
  if (!ws) co_return;  // 426/400 already set on the response
  for (;;) {
    auto msg = co_await ws->receive();  // pings are answered inside
    if (!msg) break;                    // closed (or the client vanished)
    const bool sent = co_await ws->send(msg->type, msg->data);
    if (!sent) break;
  }
}

task<void> sse_ticks(http::context& ctx) {
  const auto n = query_uint(ctx, "n", {.def = 5, .min = 0, .max = 10'000});
  if (!n) co_return;
  const auto ms = query_uint(ctx, "ms", {.def = 100, .min = 0, .max = 60'000});
  if (!ms) co_return;
  const bool started = co_await ctx.start_sse();
  if (!started) co_return;
  for (std::uint64_t i = 0; i < *n; ++i) {
    if (i > 0) co_await ringlane::sleep(std::chrono::milliseconds(*ms));
    std::string data;
    http::json_writer w(data);
    w.begin_object().key("tick").value(i).key("of").value(*n).end_object();
    const bool open = co_await ctx.send_event(data, "tick", std::to_string(i));
    if (!open) break;  // client gone
  }
}

}  // namespace demo
