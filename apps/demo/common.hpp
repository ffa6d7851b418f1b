// common.hpp -- what every demo handler shares: JSON responses, JSON errors,
// validated query parameters and elapsed-time helpers.
//
//   task<void> h(http::context& ctx) {
//     auto n = demo::query_uint(ctx, "n", {.def = 100, .min = 1, .max = 10'000});
//     if (!n) co_return;                       // a 400 JSON error is already set
//     http::json_writer w(demo::json_body(ctx));
//     w.begin_object().key("n").value(*n).end_object();
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/json/writer.hpp"
#include "http/server/context.hpp"
#include "runtime/time/sleep.hpp"

namespace demo {

namespace http = ringlane::http;
using ringlane::task;
using namespace std::chrono_literals;

// Sets `status` and the JSON content type; returns the (empty) body to write
// into with a json_writer.
std::string& json_body(http::context& ctx, int status = 200);

// {"error": message, "status": status} with that status.
void json_error(http::context& ctx, int status, std::string_view message);

struct uint_range {
  std::uint64_t def;  // when the parameter is absent
  std::uint64_t min;
  std::uint64_t max;
};

// The query parameter `name` as a decimal number in [min, max]; `def` when it
// is absent. Anything else ("", "abc", "-1", "12x", out of range) sets a 400
// JSON error naming the parameter and returns nullopt.
std::optional<std::uint64_t> query_uint(http::context& ctx, std::string_view name, uint_range r);

// A route parameter that must be a decimal number (at most 18 digits); nullopt
// (with a 400 set) otherwise.
std::optional<std::uint64_t> param_uint(http::context& ctx, std::string_view name);

// Decimal digits only, 1..18 of them.
std::optional<std::uint64_t> parse_uint(std::string_view s) noexcept;

// Milliseconds since `start` on the runtime clock, with sub-ms precision.
double ms_since(ringlane::clock_source::time_point start) noexcept;

// Seconds since the Unix epoch (wall clock, for "timestamp" fields).
std::int64_t unix_seconds() noexcept;

// A simulated failure of an async operation (the articles' Err(...)).
struct demo_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace demo
