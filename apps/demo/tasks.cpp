// tasks.cpp -- the task manager actor over HTTP.
//
//   POST /tasks?ms=5000&name=report   start a job; 202 {"id": 1, "status": "running", ...}
//   GET  /tasks/:id                   its status and progress; 404 if unknown
//   GET  /tasks                       every job, by id
//
// `ms` (10..600000, default 5000: the article's 10 x 500 ms) is how long the
// job works; `name` (optional, 1..64 of [A-Za-z0-9_-]) labels it -- a name
// containing "fail" makes the job fail at the end, as in the article.
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "apps/demo/task_manager.hpp"

namespace demo {
namespace {

bool valid_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

void write_job(http::json_writer& w, const job_info& j) {
  w.begin_object()
      .key("id").value(j.id)
      .key("name").value(j.name)
      .key("status").value(name_of(j.status))
      .key("progress").value(static_cast<std::uint64_t>(j.progress))
      .key("duration_ms").value(j.duration_ms)
      .key("created_at").value(j.created_at)
      .key("completed_at");
  if (j.completed_at) {
    w.value(*j.completed_at);
  } else {
    w.null();
  }
  if (!j.result.empty()) w.key("result").value(j.result);
  w.end_object();
}

void actor_unavailable(http::context& ctx) { json_error(ctx, 503, "task manager unavailable"); }

}  // namespace

task<void> task_start(http::context& ctx) {
  const auto ms = query_uint(ctx, "ms", {.def = 5000, .min = 10, .max = 600'000});
  if (!ms) co_return;
  std::string name = ctx.query("name").value_or("");
  if (ctx.query("name") && !valid_name(name)) {
    json_error(ctx, 400, "query parameter 'name' must be 1..64 characters of [A-Za-z0-9_-]");
    co_return;
  }
  const std::optional<std::optional<job_info>> job = co_await start_job(std::move(name), *ms);
  if (!job) {
    actor_unavailable(ctx);
    co_return;
  }
  if (!*job) {
    ctx.response().header("Retry-After", "1");
    json_error(ctx, 503, "too many running tasks (" + std::to_string(kMaxRunningJobs) + "); try again later");
    co_return;
  }
  const job_info& started = **job;
  ctx.response().header("Location", "/tasks/" + std::to_string(started.id));
  http::json_writer w(json_body(ctx, 202));
  write_job(w, started);
}

task<void> task_status(http::context& ctx) {
  const auto id = param_uint(ctx, "id");
  if (!id) co_return;
  const std::optional<std::optional<job_info>> job = co_await job_status_of(*id);
  if (!job) {
    actor_unavailable(ctx);
    co_return;
  }
  if (!*job) {
    json_error(ctx, 404, "no task with id " + std::to_string(*id));
    co_return;
  }
  http::json_writer w(json_body(ctx));
  write_job(w, **job);
}

task<void> task_list(http::context& ctx) {
  const std::optional<std::vector<job_info>> jobs = co_await list_jobs();
  if (!jobs) {
    actor_unavailable(ctx);
    co_return;
  }
  http::json_writer w(json_body(ctx));
  w.begin_object().key("count").value(jobs->size()).key("tasks").begin_array();
  for (const job_info& j : *jobs) write_job(w, j);
  w.end_array().end_object();
}

}  // namespace demo
