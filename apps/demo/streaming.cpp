// streaming.cpp -- chunked responses produced while the handler works.
//
//   GET /async/stream?n=100    a JSON array, one item per chunk: each item is
//                              "processed" for 10 ms first; the producer yields
//                              every 10 items and stops when the client is gone
//   GET /stream/chunks?n=1000  text lines "Chunk i: processed_data_i\n", each
//                              processed for 100 us (the wheel rounds that to
//                              1 ms, as Tokio's does) then sent 1 ms apart
//
// send_chunk() returns false once the client has gone: both loops stop there.
// The terminating zero-length chunk is written when the handler returns.
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "runtime/task/yield.hpp"

namespace demo {
namespace {

task<std::string> process_stream_item(std::uint64_t id) {
  co_await ringlane::sleep(10ms);
  co_return "Processed item " + std::to_string(id);
}

task<std::string> process_data_chunk(std::uint64_t index) {
  co_await ringlane::sleep(100us);
  co_return "processed_data_" + std::to_string(index);
}

}  // namespace

task<void> async_stream(http::context& ctx) {
  const auto n = query_uint(ctx, "n", {.def = 100, .min = 0, .max = 10'000});
  if (!n) co_return;
  const bool started = co_await ctx.start_stream(200, "application/json");
  if (!started) co_return;
  bool open = co_await ctx.send_chunk("[");
  for (std::uint64_t i = 0; open && i < *n; ++i) {
    std::string item = co_await process_stream_item(i);
    std::string json;
    if (i > 0) json += ',';
    http::json_writer w(json);
    w.begin_object().key("id").value(i).key("data").value(item).end_object();
    open = co_await ctx.send_chunk(json);
    if (i % 10 == 0) co_await ringlane::yield_now();
  }
  if (open) {
    const bool closed_cleanly = co_await ctx.send_chunk("]");
    (void)closed_cleanly;
  }
}

task<void> stream_chunks(http::context& ctx) {
  const auto n = query_uint(ctx, "n", {.def = 1000, .min = 0, .max = 100'000});
  if (!n) co_return;
  const bool started = co_await ctx.start_stream(200, "text/plain");
  if (!started) co_return;
  for (std::uint64_t i = 0; i < *n; ++i) {
    std::string data = co_await process_data_chunk(i);
    const bool open = co_await ctx.send_chunk("Chunk " + std::to_string(i) + ": " + data + "\n");
    if (!open) break;  // client gone
    co_await ringlane::sleep(1ms);
  }
}

}  // namespace demo
