// dispatch.hpp -- one request from route lookup to a response in the
// stream's out buffer (internal; see handler.hpp for the order).
#pragma once

#include <exception>

#include "http/server/core.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::http {
class context;
}

namespace ringlane::http::detail {

// The route for a request, and whether it is unwrapped: no middleware, no
// handler deadline -- then the connection calls the handler itself (one
// coroutine frame per request instead of three, none for a plain handler).
struct routed {
  const route_entry* route;  // null: 404/405/OPTIONS
  router::outcome outcome;
  bool unwrapped;
};
routed route_request(context& ctx, core& c) noexcept;

// The general path: middleware, the handler under its deadline (503),
// 404/405/OPTIONS answers; exceptions become 500s.
task<void> dispatch(context& ctx, core& c, routed r);

// An unwrapped handler threw: a 500 (or a close, once streaming) and a log line.
void handler_failed(context& ctx, const std::exception_ptr& e);

// Writes the response (or the last chunk of a stream) unless the handler
// already sent it; honours a drain and a handler's "Connection: close".
void finish_response(context& ctx, core& c);

}  // namespace ringlane::http::detail
