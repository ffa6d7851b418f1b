// errors.cpp -- how failures surface, after the articles' error scenarios.
//
//   GET /errors/timeout?ms=N&limit=L  an operation of N ms (default 1000)
//                                     bounded by timeout(L ms) (default 100):
//                                     504 {"error":"Operation timed out"} when
//                                     it loses, 200 with its result otherwise
//   GET /errors/fail?kind=network|validation
//                                     an operation that fails after 30/10 ms:
//                                     500 {"error": its message}
//   GET /errors/panic                 the handler throws: the server answers
//                                     its own 500 and the connection lives on
//   GET /errors/scenarios             the four scenarios of the first article
//                                     (success, timeout, network_error,
//                                     validation_error), each caught and reported
//   GET /errors/report                ten risky operations (every third fails),
//                                     counted: the second article's report
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "runtime/combinators/timeout.hpp"

namespace demo {
namespace {

task<std::string> slow_operation(std::uint64_t ms) {
  co_await ringlane::sleep(std::chrono::milliseconds(ms));
  co_return "Operation completed after " + std::to_string(ms) + "ms";
}

task<std::string> network_call() {
  co_await ringlane::sleep(30ms);
  throw demo_error("Network connection failed");
}

task<std::string> validate_call() {
  co_await ringlane::sleep(10ms);
  throw demo_error("Input validation failed");
}

// The first article's execute_async_scenario.
task<std::string> execute_scenario(std::string scenario) {
  if (scenario == "success") {
    co_await ringlane::sleep(50ms);
    co_return "Operation completed successfully";
  }
  if (scenario == "timeout") {
    // tokio::select! between a 1000 ms operation and a 100 ms timer.
    std::optional<std::string> r = co_await ringlane::timeout(100ms, slow_operation(1000));
    if (!r) throw demo_error("Operation timed out");
    co_return *r;
  }
  if (scenario == "network_error") co_return co_await network_call();
  if (scenario == "validation_error") co_return co_await validate_call();
  throw demo_error("Unknown scenario");
}

// The second article's risky_async_operation.
task<std::string> risky_operation(std::uint64_t id) {
  co_await ringlane::sleep(10ms);
  if (id % 3 == 0) throw demo_error("Simulated error");
  co_return "Success result for operation " + std::to_string(id);
}

}  // namespace

task<void> error_timeout(http::context& ctx) {
  const auto ms = query_uint(ctx, "ms", {.def = 1000, .min = 0, .max = 60'000});
  if (!ms) co_return;
  const auto limit = query_uint(ctx, "limit", {.def = 100, .min = 1, .max = 60'000});
  if (!limit) co_return;
  const auto start = ringlane::now();
  std::optional<std::string> r = co_await ringlane::timeout(std::chrono::milliseconds(*limit), slow_operation(*ms));
  const double elapsed = ms_since(start);
  if (!r) {
    http::json_writer w(json_body(ctx, 504));
    w.begin_object()
        .key("error").value("Operation timed out")
        .key("status").value(504)
        .key("operation_ms").value(*ms)
        .key("timeout_ms").value(*limit)
        .key("elapsed_ms").value(elapsed)
        .end_object();
    co_return;
  }
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("result").value(*r)
      .key("operation_ms").value(*ms)
      .key("timeout_ms").value(*limit)
      .key("elapsed_ms").value(elapsed)
      .end_object();
}

task<void> error_fail(http::context& ctx) {
  const std::string kind = ctx.query("kind").value_or("network");
  if (kind != "network" && kind != "validation") {
    json_error(ctx, 400, "query parameter 'kind' must be 'network' or 'validation'");
    co_return;
  }
  std::string message;
  try {
    if (kind == "network") {
      co_await network_call();
    } else {
      co_await validate_call();
    }
  } catch (const demo_error& e) {
    message = e.what();
  }
  json_error(ctx, 500, message);
}

task<void> error_panic(http::context& ctx) {
  co_await ringlane::sleep(1ms);  // fail after a suspension, like real work
  ctx.response().header("x-never-sent", "the server replaces this response");
  throw std::runtime_error("deliberate panic in /errors/panic");
}

task<void> error_scenarios(http::context& ctx) {
  const char* const scenarios[] = {"success", "timeout", "network_error", "validation_error"};
  std::vector<std::pair<std::string, std::string>> results;
  for (const char* s : scenarios) {
    std::string outcome;
    try {
      outcome = "Success: " + co_await execute_scenario(s);
    } catch (const demo_error& e) {
      outcome = std::string("Error: ") + e.what();
    }
    results.emplace_back(s, std::move(outcome));
  }
  http::json_writer w(json_body(ctx));
  w.begin_array();
  for (const auto& [scenario, result] : results) {
    w.begin_object().key("scenario").value(scenario).key("result").value(result).end_object();
  }
  w.end_array();
}

task<void> error_report(http::context& ctx) {
  struct outcome {
    std::uint64_t id;
    bool success;
    std::string text;  // data or error message
  };
  std::vector<outcome> ops;
  for (std::uint64_t i = 0; i < 10; ++i) {
    outcome o{i, true, {}};
    try {
      o.text = co_await risky_operation(i);
    } catch (const demo_error& e) {
      o.success = false;
      o.text = e.what();
    }
    ops.push_back(std::move(o));
  }
  std::set<std::string> error_types;
  std::uint64_t ok = 0;
  for (const outcome& o : ops) {
    if (o.success) {
      ++ok;
    } else {
      error_types.insert(o.text);
    }
  }
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("total_operations").value(ops.size())
      .key("successful_operations").value(ok)
      .key("failed_operations").value(ops.size() - ok)
      .key("error_types").begin_array();
  for (const std::string& e : error_types) w.value(e);
  w.end_array().key("operations").begin_array();
  for (const outcome& o : ops) {
    w.begin_object().key("operation_id").value(o.id).key("success").value(o.success);
    if (o.success) {
      w.key("data").value(o.text).key("error_message").null();
    } else {
      w.key("data").null().key("error_message").value(o.text);
    }
    w.end_object();
  }
  w.end_array().end_object();
}

}  // namespace demo
