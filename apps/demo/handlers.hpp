// handlers.hpp -- every demo endpoint, grouped by the file that implements it.
// routes.cpp maps them to paths (and describes them for GET /).
#pragma once

#include "http/server/context.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::http {
class server;
}

namespace demo {

using ringlane::task;
namespace http = ringlane::http;

// concurrency.cpp -- when_all versus one-after-another.
task<void> async_fundamentals(http::context& ctx);  // GET /async/fundamentals
task<void> async_comparison(http::context& ctx);    // GET /async/comparison
task<void> async_data(http::context& ctx);          // GET /async-data
task<void> concurrent_ops(http::context& ctx);      // GET /concurrent-ops

// pipeline.cpp
task<void> async_pipeline(http::context& ctx);  // POST /async/pipeline

// errors.cpp -- failures, timeouts, a throwing handler.
task<void> error_timeout(http::context& ctx);    // GET /errors/timeout
task<void> error_fail(http::context& ctx);       // GET /errors/fail
task<void> error_panic(http::context& ctx);      // GET /errors/panic
task<void> error_scenarios(http::context& ctx);  // GET /errors/scenarios
task<void> error_report(http::context& ctx);     // GET /errors/report

// semaphore.cpp, rate_limit.cpp, circuit_breaker.cpp
task<void> control_semaphore(http::context& ctx);        // GET /control/semaphore
task<void> control_semaphore_budget(http::context& ctx); // GET /control/semaphore/budget
task<void> control_rate_limit(http::context& ctx);       // GET /control/rate-limit
task<void> control_circuit_breaker(http::context& ctx);  // GET /control/circuit-breaker

// metrics.cpp -- the runtime measuring itself. The server gives access to the
// per-worker counters; set it before run().
void set_metrics_server(http::server* s) noexcept;
task<void> runtime_metrics(http::context& ctx);  // GET /runtime/metrics

// users.cpp
task<void> user_context(http::context& ctx);  // GET /users/:user_id

// tasks.cpp -- the task manager actor's HTTP face.
task<void> task_start(http::context& ctx);   // POST /tasks
task<void> task_status(http::context& ctx);  // GET /tasks/:id
task<void> task_list(http::context& ctx);    // GET /tasks

// streaming.cpp
task<void> async_stream(http::context& ctx);   // GET /async/stream
task<void> stream_chunks(http::context& ctx);  // GET /stream/chunks

// realtime.cpp
task<void> ws_echo(http::context& ctx);    // GET /ws/echo
task<void> sse_ticks(http::context& ctx);  // GET /events

// routes.cpp
task<void> index_page(http::context& ctx);  // GET /
// Registers every endpoint above on `s`.
void register_routes(http::server& s);

}  // namespace demo
