#include "http/server/dispatch.hpp"

#include <cstdio>
#include <exception>
#include <string>

#include "engine/net/stream.hpp"
#include "http/ascii.hpp"
#include "http/response/serialize.hpp"
#include "http/response/status.hpp"
#include "http/server/context.hpp"
#include "runtime/combinators/timeout.hpp"

namespace ringlane::http::detail {
namespace {

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Something went wrong inside user code: a 500 if we still can, else end
// the connection (a stream already started cannot change its status, and
// must not look complete).
void fail(context& ctx, int status, const std::string& why) {
  std::fprintf(stderr, "ringlane: %.*s %.*s: %d (%s)\n", static_cast<int>(ctx.method().size()), ctx.method().data(),
               static_cast<int>(ctx.target().size()), ctx.target().data(), status, why.c_str());
  if (ctx.what_was_sent() == context::sent::nothing) {
    ctx.response().clear();
    ctx.response().status(status).content_type("text/plain").body(std::string(reason_phrase(status)));
  } else {
    ctx.abandon_response();
  }
}

// Runs one step of user code; an exception becomes a 500.
template <class F>
task<bool> guarded(context& ctx, F&& step) {
  std::exception_ptr err;
  bool go = true;
  try {
    go = co_await step();
  } catch (...) {
    err = std::current_exception();
  }
  if (err) {
    fail(ctx, 500, what_of(err));
    co_return false;
  }
  co_return go;
}

// The handler, under the handler deadline if one is set; an exception or a
// missed deadline becomes an error response.
task<void> call_handler(context& ctx, const route_entry& route, const options& o) {
  std::exception_ptr err;
  bool late = false;
  try {
    if (o.timeouts.handler.count() <= 0) {
      co_await route.handler(ctx);
    } else {
      auto finished = co_await timeout(o.timeouts.handler, route.handler(ctx));
      late = !finished;
    }
  } catch (...) {
    err = std::current_exception();
  }
  if (err) fail(ctx, 500, what_of(err));
  if (late) fail(ctx, 503, "handler deadline passed");
}

// What a path supports: its routed methods, and OPTIONS, which the server
// answers itself when no route does (so 405 and OPTIONS agree).
std::string allowed_methods(const core& c, std::string_view path) {
  std::string allow = c.routes.allowed(path);
  const bool routed = !ascii::for_each_list_item(allow, [](std::string_view m) { return m != "OPTIONS"; });
  if (!routed) allow += ", OPTIONS";
  return allow;
}

void not_routed(context& ctx, core& c, router::outcome why) {
  response& r = ctx.response();
  // OPTIONS without a route of its own: what the path (or, for "*", the
  // server) supports, as RFC 9110 9.3.7 describes.
  if (ctx.method() == "OPTIONS") {
    if (ctx.path() == "*") {
      r.status(204).header("Allow", c.all_methods);
      return;
    }
    if (why == router::outcome::method_not_allowed) {
      r.status(204).header("Allow", allowed_methods(c, ctx.path()));
      return;
    }
  }
  if (ctx.method() == "CONNECT") {
    // A tunnel nobody routed: this server is not a proxy (RFC 9110 9.3.6).
    r.status(501).content_type("text/plain").body("CONNECT: this server is not a proxy");
    return;
  }
  if (why == router::outcome::method_not_allowed) {
    // RFC 9110 15.5.6: the methods the resource supports.
    r.status(405).header("Allow", allowed_methods(c, ctx.path())).content_type("text/plain").body("Method Not Allowed");
  } else {
    r.status(404).content_type("text/plain").body("Not Found");
  }
}

}  // namespace

routed route_request(context& ctx, core& c) noexcept {
  const router::match_result m = c.routes.match(ctx.method(), ctx.path(), ctx.params_for_routing());
  routed r{m.result == router::outcome::found ? &c.entries[m.id] : nullptr, m.result, false};
  r.unwrapped = r.route && r.route->middleware.empty() && c.global.empty() && c.opts.timeouts.handler.count() <= 0;
  return r;
}

void handler_failed(context& ctx, const std::exception_ptr& e) { fail(ctx, 500, what_of(e)); }

task<void> dispatch(context& ctx, core& c, routed r) {
  const route_entry* route = r.route;
  const router::match_result m{r.outcome, 0};
  if (c.global.empty() && (!route || route->middleware.empty())) {
    if (route) {
      co_await call_handler(ctx, *route, c.opts);
    } else {
      not_routed(ctx, c, m.result);
    }
  } else {
    std::size_t ran_global = 0, ran_route = 0;
    bool go = true;
    for (const middleware& mw : c.global) {
      ++ran_global;
      if (mw.before) go = co_await guarded(ctx, [&]() { return mw.before(ctx); });
      if (!go) break;
    }
    if (go && route) {
      for (const middleware& mw : route->middleware) {
        ++ran_route;
        if (mw.before) go = co_await guarded(ctx, [&]() { return mw.before(ctx); });
        if (!go) break;
      }
    }
    if (go) {
      if (route) {
        co_await call_handler(ctx, *route, c.opts);
      } else {
        not_routed(ctx, c, m.result);
      }
    }
    for (std::size_t i = ran_route; i-- > 0;) {
      const middleware& mw = route->middleware[i];
      if (mw.after) co_await guarded(ctx, [&]() -> task<bool> {
        co_await mw.after(ctx);
        co_return true;
      });
    }
    for (std::size_t i = ran_global; i-- > 0;) {
      const middleware& mw = c.global[i];
      if (mw.after) co_await guarded(ctx, [&]() -> task<bool> {
        co_await mw.after(ctx);
        co_return true;
      });
    }
  }

}

void finish_response(context& ctx, core& c) {
  // Whatever the handler did not send itself goes out now -- telling the
  // client to go when a drain began while the handler ran.
  ctx.set_draining(c.draining.load(std::memory_order_relaxed));
  // A handler that set "Connection: close" itself gets what it asked for.
  if (const std::string_view conn = ctx.response().header("connection"); !conn.empty()) {
    const bool no_close = ascii::for_each_list_item(conn, [](std::string_view t) { return !ascii::iequals(t, "close"); });
    if (!no_close) ctx.close_after();
  }
  engine::stream& s = ctx.stream();
  switch (ctx.what_was_sent()) {
    case context::sent::nothing: {
      write_response(s.queue_buffer(), ctx.response(), ctx.wire_options());
      break;
    }
    case context::sent::chunked:
      if (ctx.method() != "HEAD" && ctx.request().version_minor >= 1 && !ctx.client_gone() &&
          !ctx.response_abandoned())
        write_last_chunk(s.queue_buffer());
      break;
    case context::sent::whole:
    case context::sent::sized:  // a short body: keep_alive() is false, the connection closes
    case context::sent::raw:
      break;
  }
}

}  // namespace ringlane::http::detail
