// concurrency.cpp -- the articles' first lesson: independent I/O-bound
// operations awaited together take as long as the slowest one, not the sum.
//
//   GET /async/fundamentals  three simulated operations (100, 150, 75 ms) under
//                            when_all; each result, and the total (~150 ms)
//   GET /async/comparison    the same three delays (50, 75, 100 ms) run one
//                            after another, then together; both times + speed-up
//   GET /async-data          database 200 ms, API 300 ms, file 100 ms together
//                            (~300 ms instead of 600)
//   GET /concurrent-ops      100 spawned CPU-ish tasks that yield every 1000
//                            iterations, joined
#include <cstdint>
#include <string>
#include <vector>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "runtime/combinators/when_all.hpp"
#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"

namespace demo {
namespace {

using clock_point = ringlane::clock_source::time_point;

// One simulated operation: its message and how long it really took.
struct timed_result {
  std::string message;
  double elapsed_ms;
};

task<timed_result> simulated(std::chrono::milliseconds delay, std::string message) {
  const clock_point start = ringlane::now();
  co_await ringlane::sleep(delay);
  co_return timed_result{std::move(message), ms_since(start)};
}

// The articles' async_operation(delay_ms).
task<std::string> async_operation(std::uint64_t delay_ms) {
  co_await ringlane::sleep(std::chrono::milliseconds(delay_ms));
  co_return "Operation completed after " + std::to_string(delay_ms) + "ms";
}

task<double> measure_sequential() {
  const clock_point start = ringlane::now();
  co_await async_operation(50);
  co_await async_operation(75);
  co_await async_operation(100);
  co_return ms_since(start);
}

task<double> measure_concurrent() {
  const clock_point start = ringlane::now();
  auto results = co_await ringlane::when_all(async_operation(50), async_operation(75), async_operation(100));
  (void)results;
  co_return ms_since(start);
}

void write_op(http::json_writer& w, std::string_view name, std::int64_t planned_ms, const timed_result& r) {
  w.begin_object()
      .key("name").value(name)
      .key("result").value(r.message)
      .key("planned_ms").value(planned_ms)
      .key("elapsed_ms").value(r.elapsed_ms)
      .end_object();
}

// The articles' async_computation: 10,000 additions, yielding every 1000.
task<std::uint64_t> async_computation(std::uint64_t id) {
  std::uint64_t result = 0;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    result += i;
    if (i % 1000 == 0) co_await ringlane::yield_now();
  }
  (void)id;
  co_return result;
}

}  // namespace

task<void> async_fundamentals(http::context& ctx) {
  const clock_point start = ringlane::now();
  auto [db, api, file] = co_await ringlane::when_all(simulated(100ms, "Database query completed"),
                                                      simulated(150ms, "External API call completed"),
                                                      simulated(75ms, "File operation completed"));
  const double total = ms_since(start);
  ctx.response().header("x-async-operations", "3");
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("database_result").value(db.message)
      .key("api_result").value(api.message)
      .key("file_result").value(file.message)
      .key("operations").begin_array();
  write_op(w, "database", 100, db);
  write_op(w, "external_api", 150, api);
  write_op(w, "file", 75, file);
  w.end_array()
      .key("sum_of_delays_ms").value(std::int64_t{325})
      .key("total_time_ms").value(total)
      .key("concurrent_execution").value(true)
      .end_object();
}

task<void> async_comparison(http::context& ctx) {
  const double sequential = co_await measure_sequential();
  const double concurrent = co_await measure_concurrent();
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("operations_ms").begin_array().value(50).value(75).value(100).end_array()
      .key("sequential_time_ms").value(sequential)
      .key("concurrent_time_ms").value(concurrent)
      .key("performance_improvement_percent").value((sequential - concurrent) / sequential * 100.0)
      .key("speedup_factor").value(sequential / concurrent)
      .end_object();
}

task<void> async_data(http::context& ctx) {
  const clock_point start = ringlane::now();
  auto [db, api, file] = co_await ringlane::when_all(simulated(200ms, "Database result"),
                                                      simulated(300ms, "API result"),
                                                      simulated(100ms, "File content"));
  const auto total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ringlane::now() - start).count();
  ctx.response().header("x-execution-time", std::to_string(total_ms) + "ms");
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("database_data").value(db.message)
      .key("api_data").value(api.message)
      .key("file_data").value(file.message)
      .key("total_time_ms").value(static_cast<std::int64_t>(total_ms))
      .key("execution_mode").value("concurrent")
      .end_object();
}

task<void> concurrent_ops(http::context& ctx) {
  constexpr std::uint64_t kTasks = 100;
  constexpr std::uint64_t kExpected = 10'000ull * 9'999ull / 2;  // sum of 0..9999
  const clock_point start = ringlane::now();
  std::vector<ringlane::join_handle<std::uint64_t>> handles;
  handles.reserve(kTasks);
  for (std::uint64_t i = 0; i < kTasks; ++i) handles.push_back(ringlane::spawn(async_computation(i)));
  std::uint64_t successful = 0;
  for (auto& h : handles) {
    const std::uint64_t r = co_await h;
    if (r == kExpected) ++successful;
  }
  const double total = ms_since(start);
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("tasks_created").value(kTasks)
      .key("successful_tasks").value(successful)
      .key("result_per_task").value(kExpected)
      .key("total_time_ms").value(total)
      .key("average_time_per_task_ms").value(total / static_cast<double>(kTasks))
      .key("concurrency_efficiency").value(static_cast<double>(successful) / static_cast<double>(kTasks) * 100.0)
      .end_object();
}

}  // namespace demo
