// handler.hpp -- what a route runs: a handler and its middleware.
//
//   task<> hello(http::context& ctx) { ctx.response().body("Hello"); co_return; }
//
//   http::middleware auth{.before = [](http::context& ctx) -> task<bool> {
//     if (ctx.header("authorization").empty()) { ctx.response().status(401); co_return false; }
//     co_return true;                        // go on to the handler
//   }};
//
// Order for one request, global middleware around per-route middleware:
//
//   global.before... -> route.before... -> handler -> route.after... -> global.after...
//        (a before that returns false skips everything up to the afters
//         of the middleware that already ran, which still observe the response)
//
// A handler or middleware that throws gets a 500 and a log line; the
// connection and the worker go on.
#pragma once

#include <functional>
#include <vector>

#include "runtime/task/task.hpp"

namespace ringlane::http {

class context;

using handler = std::function<task<void>(context&)>;

struct middleware {
  std::function<task<bool>(context&)> before;  // optional; false = stop here (response already set)
  std::function<task<void>(context&)> after;   // optional; sees the final response
};

using middleware_list = std::vector<middleware>;

}  // namespace ringlane::http
