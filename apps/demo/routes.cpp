// routes.cpp -- the endpoint table: registration and GET / both read it, so
// the index can never list a route that does not exist (or miss one).
#include <iterator>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "http/server/server.hpp"

namespace demo {
namespace {

struct endpoint {
  std::string_view method;
  std::string_view path;
  task<void> (*handler)(http::context&);
  std::string_view description;
};

constexpr endpoint kEndpoints[] = {
    {"GET", "/", index_page, "this list"},
    {"GET", "/async/fundamentals", async_fundamentals,
     "three simulated operations (100/150/75 ms) awaited together with when_all"},
    {"GET", "/async/comparison", async_comparison,
     "the same operations (50/75/100 ms) sequentially vs concurrently: both times and the speed-up"},
    {"GET", "/async-data", async_data, "database 200 ms, API 300 ms, file 100 ms concurrently (~300 ms total)"},
    {"GET", "/concurrent-ops", concurrent_ops, "100 spawned tasks that compute and yield, joined"},
    {"POST", "/async/pipeline", async_pipeline,
     "validate -> uppercase -> enrich + metadata (when_all) -> finalize; empty body is a 500"},
    {"GET", "/errors/timeout", error_timeout, "?ms=N&limit=L: an N ms operation under timeout(L): 504 when too slow"},
    {"GET", "/errors/fail", error_fail, "?kind=network|validation: an operation that fails: 500 with its message"},
    {"GET", "/errors/panic", error_panic, "the handler throws: the server's 500, the connection survives"},
    {"GET", "/errors/scenarios", error_scenarios, "success, timeout, network and validation errors, each reported"},
    {"GET", "/errors/report", error_report, "ten risky operations, every third fails: counted by outcome"},
    {"GET", "/control/semaphore", control_semaphore,
     "?tasks=10&permits=3&work_ms=100: spawned tasks under a semaphore; max observed concurrency"},
    {"GET", "/control/semaphore/budget", control_semaphore_budget,
     "the process-wide budget the semaphore endpoint's tasks come out of: cap, in_use, free"},
    {"GET", "/control/rate-limit", control_rate_limit,
     "process-wide token bucket (5 tokens, 5/s): 429 with Retry-After when empty"},
    {"GET", "/control/circuit-breaker", control_circuit_breaker,
     "?fail=0|1: a call through a circuit breaker (closed/open/half_open) over a simulated downstream"},
    {"GET", "/runtime/metrics", runtime_metrics,
     "live spawn/join, call and yield overheads, bytes per task, per-worker scheduler counters"},
    {"GET", "/users/:user_id", user_context,
     "user data, permissions, preferences and audit log looked up concurrently; 400 for a non-numeric id"},
    {"POST", "/tasks", task_start, "?ms=5000&name=x: start a background job in the task manager actor (503 past 1,000 running)"},
    {"GET", "/tasks", task_list, "the jobs the actor knows (running, and the latest 1,000 finished), with status and progress"},
    {"GET", "/tasks/:id", task_status, "one job's status (running/completed/failed) and progress"},
    {"GET", "/async/stream", async_stream, "?n=100: a JSON array streamed one item per chunk, 10 ms apart"},
    {"GET", "/stream/chunks", stream_chunks, "?n=1000: \"Chunk i: processed_data_i\" lines streamed ~1 ms apart"},
    {"GET", "/ws/echo", ws_echo, "WebSocket: every text or binary message echoed back (426 for a plain GET)"},
    {"GET", "/events", sse_ticks, "?n=5&ms=100: Server-Sent Events, n \"tick\" events ms apart"},
};

}  // namespace

task<void> index_page(http::context& ctx) {
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("name").value("ringlane demo: the hyperlane async articles, ported")
      .key("count").value(std::size(kEndpoints))
      .key("endpoints").begin_array();
  for (const endpoint& e : kEndpoints) {
    w.begin_object()
        .key("method").value(e.method)
        .key("path").value(e.path)
        .key("description").value(e.description)
        .end_object();
  }
  w.end_array().end_object();
  co_return;
}

void register_routes(http::server& s) {
  for (const endpoint& e : kEndpoints) s.route(e.method, e.path, e.handler);
}

}  // namespace demo
