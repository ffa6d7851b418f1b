#include "apps/demo/common.hpp"

#include <charconv>

namespace demo {

std::string& json_body(http::context& ctx, int status) {
  http::response& r = ctx.response();
  r.status(status).content_type("application/json");
  r.body().clear();
  return r.body();
}

void json_error(http::context& ctx, int status, std::string_view message) {
  http::json_writer w(json_body(ctx, status));
  w.begin_object().key("error").value(message).key("status").value(status).end_object();
}

std::optional<std::uint64_t> parse_uint(std::string_view s) noexcept {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> query_uint(http::context& ctx, std::string_view name, uint_range r) {
  const std::optional<std::string> raw = ctx.query(name);
  if (!raw) return r.def;
  const std::optional<std::uint64_t> v = parse_uint(*raw);
  if (!v || *v < r.min || *v > r.max) {
    json_error(ctx, 400,
               "query parameter '" + std::string(name) + "' must be an integer in [" + std::to_string(r.min) + ", " +
                   std::to_string(r.max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> param_uint(http::context& ctx, std::string_view name) {
  const std::optional<std::uint64_t> v = parse_uint(ctx.param(name));
  if (!v) json_error(ctx, 400, "route parameter '" + std::string(name) + "' must be a non-negative integer");
  return v;
}

double ms_since(ringlane::clock_source::time_point start) noexcept {
  return std::chrono::duration<double, std::milli>(ringlane::now() - start).count();
}

std::int64_t unix_seconds() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace demo
