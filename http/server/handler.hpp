// handler.hpp -- what a route runs: a handler and its middleware.
//
//   task<> hello(http::context& ctx) { ctx.response().body("Hello"); co_return; }
//   void   ping(http::context& ctx)  { ctx.response().body("pong"); }
//
// A handler is a coroutine (anything callable as task<void>(context&)) or,
// when it never waits, a plain function (void(context&)). Both are routed
// the same way; the plain one is called directly, with no coroutine frame
// to allocate, resume and free (169 of hello's 3,040 instructions per
// request, http/README.md section 7). Middleware and the handler deadline
// treat both alike (a plain handler cannot overrun a deadline by waiting).
//
//   http::middleware auth;
//   auth.before = [](http::context& ctx) -> task<bool> {
//     if (ctx.header("authorization").empty()) { ctx.response().status(401); co_return false; }
//     co_return true;                        // go on to the handler
//   };
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

#include <concepts>
#include <functional>
#include <type_traits>
#include <vector>

#include "runtime/task/task.hpp"

namespace ringlane::http {

class context;

class handler {
 public:
  handler() = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, handler> && std::is_invocable_r_v<task<void>, F&, context&>)
  handler(F f) : async_(std::move(f)) {}  // NOLINT: implicit on purpose, like std::function
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, handler> && std::is_invocable_v<F&, context&> &&
             std::is_void_v<std::invoke_result_t<F&, context&>>)
  handler(F f) : sync_(std::move(f)) {}  // NOLINT

  explicit operator bool() const noexcept { return async_ || sync_; }
  bool is_plain() const noexcept { return static_cast<bool>(sync_); }

  // Runs a plain handler (is_plain() must hold).
  void call_plain(context& ctx) const { sync_(ctx); }

  // Either kind as a task: the plain one wrapped in a coroutine that refers
  // to this handler (keep it alive until the task is done, as routes are).
  task<void> operator()(context& ctx) const { return sync_ ? wrap(sync_, ctx) : async_(ctx); }

 private:
  static task<void> wrap(const std::function<void(context&)>& f, context& ctx) {
    f(ctx);
    co_return;
  }

  std::function<task<void>(context&)> async_;
  std::function<void(context&)> sync_;
};

struct middleware {
  std::function<task<bool>(context&)> before;  // optional; false = stop here (response already set)
  std::function<task<void>(context&)> after;   // optional; sees the final response
};

using middleware_list = std::vector<middleware>;

}  // namespace ringlane::http
