#include "http/server/cors.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "http/ascii.hpp"
#include "http/response/response.hpp"
#include "http/server/context.hpp"

namespace ringlane::http {
namespace {

class policy {
 public:
  explicit policy(cors_options o) : o_(std::move(o)) {
    if (o_.credentials && o_.origins.empty())
      throw std::invalid_argument("cors: credentials need a list of origins, not any origin");
    for (const std::string& v : o_.origins)
      if (v.empty() || !valid_field_value(v)) throw std::invalid_argument("cors: an origin cannot be sent: " + v);
    for (const std::string* v : {&o_.methods, &o_.headers, &o_.expose})
      if (!valid_field_value(*v)) throw std::invalid_argument("cors: a field value cannot be sent: " + *v);
    if (o_.max_age.count() > 0) max_age_ = std::to_string(o_.max_age.count());
  }

  // What Access-Control-Allow-Origin says to this caller; "" if it may not call.
  std::string_view allow_origin(std::string_view origin) const noexcept {
    if (origin.empty()) return {};
    if (o_.origins.empty()) return "*";
    const bool listed = std::find(o_.origins.begin(), o_.origins.end(), origin) != o_.origins.end();
    return listed ? origin : std::string_view{};
  }

  // The fields every answer to an allowed caller carries. header() replaces,
  // so running this twice (before and after the handler) is harmless.
  void set_common(response& r, std::string_view allowed) const {
    r.header("Access-Control-Allow-Origin", allowed);
    if (allowed != "*") add_vary(r, "Origin");
    if (o_.credentials) r.header("Access-Control-Allow-Credentials", "true");
  }

  void set_actual(response& r, std::string_view allowed) const {
    set_common(r, allowed);
    if (!o_.expose.empty()) r.header("Access-Control-Expose-Headers", o_.expose);
  }

  void set_preflight(context& ctx, std::string_view allowed) const {
    response& r = ctx.response();
    set_common(r, allowed);
    // The Allow view dies with the next change to r: copy it first.
    const std::string methods(o_.methods.empty() ? r.header("allow") : std::string_view(o_.methods));
    if (!methods.empty()) r.header("Access-Control-Allow-Methods", methods);
    if (!o_.headers.empty()) {
      r.header("Access-Control-Allow-Headers", o_.headers);
    } else if (const std::string_view asked = ctx.header("access-control-request-headers"); !asked.empty()) {
      r.header("Access-Control-Allow-Headers", asked);
      add_vary(r, "Access-Control-Request-Headers");
    }
    if (!max_age_.empty()) r.header("Access-Control-Max-Age", max_age_);
  }

 private:
  // Adds `token` to the response's Vary list unless it is there already.
  static void add_vary(response& r, std::string_view token) {
    const std::string_view vary = r.header("vary");
    if (vary.empty()) {
      r.header("Vary", token);
      return;
    }
    const bool absent = ascii::for_each_list_item(
        vary, [&](std::string_view t) { return !ascii::iequals(t, token) && t != "*"; });
    if (absent) r.header("Vary", std::string(vary) + ", " + std::string(token));
  }

  cors_options o_;
  std::string max_age_;
};

bool is_preflight(const context& ctx) noexcept {
  return ctx.method() == "OPTIONS" && !ctx.header("access-control-request-method").empty();
}

bool is_success(int status) noexcept { return status >= 200 && status < 300; }

}  // namespace

middleware cors(cors_options o) {
  auto p = std::make_shared<const policy>(std::move(o));
  middleware m;
  m.before = [p](context& ctx) -> task<bool> {
    const std::string_view allowed = p->allow_origin(ctx.header("origin"));
    if (!allowed.empty() && !is_preflight(ctx)) p->set_actual(ctx.response(), allowed);
    co_return true;
  };
  m.after = [p](context& ctx) -> task<void> {
    const std::string_view allowed = p->allow_origin(ctx.header("origin"));
    // A streamed answer went out with what before() set; nothing to add.
    if (allowed.empty() || ctx.what_was_sent() != context::sent::nothing) co_return;
    if (!is_preflight(ctx)) {
      p->set_actual(ctx.response(), allowed);
    } else if (is_success(ctx.response().status())) {
      p->set_preflight(ctx, allowed);
    }
    co_return;
  };
  return m;
}

}  // namespace ringlane::http
