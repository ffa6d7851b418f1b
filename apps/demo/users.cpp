// users.cpp -- GET /users/:user_id: the first article's "real-world"
// handler. Four lookups run together under when_all -- user data (50 ms),
// permissions (30 ms), preferences (20 ms), audit log (10 ms) -- then the
// results are combined (15 ms). Total ~65 ms instead of 125 ms in sequence.
// A user id must be a decimal number: anything else is a 400.
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "runtime/combinators/when_all.hpp"

namespace demo {
namespace {

task<std::string> fetch_user_data(std::uint64_t id) {
  co_await ringlane::sleep(50ms);
  co_return "UserData for " + std::to_string(id);
}

task<std::string> fetch_user_permissions(std::uint64_t id) {
  co_await ringlane::sleep(30ms);
  co_return "Permissions for " + std::to_string(id);
}

task<std::string> fetch_user_preferences(std::uint64_t id) {
  co_await ringlane::sleep(20ms);
  co_return "Preferences for " + std::to_string(id);
}

task<bool> log_user_access(std::uint64_t id) {
  co_await ringlane::sleep(10ms);
  (void)id;  // the article prints "User <id> accessed the system"; a demo server keeps stdout quiet
  co_return true;
}

task<std::string> process_user_context(std::string data, std::string permissions, std::string preferences) {
  co_await ringlane::sleep(15ms);
  co_return "Processed: " + data + " | " + permissions + " | " + preferences;
}

}  // namespace

task<void> user_context(http::context& ctx) {
  const auto id = param_uint(ctx, "user_id");
  if (!id) co_return;
  const auto start = ringlane::now();
  auto [data, permissions, preferences, audit] = co_await ringlane::when_all(
      fetch_user_data(*id), fetch_user_permissions(*id), fetch_user_preferences(*id), log_user_access(*id));
  const double lookups_ms = ms_since(start);
  std::string processed = co_await process_user_context(data, permissions, preferences);
  const double total = ms_since(start);

  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("user_id").value(std::to_string(*id))
      .key("user_data").value(data)
      .key("permissions").value(permissions)
      .key("preferences").value(preferences)
      .key("processed_data").value(processed)
      .key("audit_logged").value(audit)
      .key("lookups_time_ms").value(lookups_ms)
      .key("processing_time_ms").value(total)
      .key("async_operations").value(4)
      .end_object();
}

}  // namespace demo
