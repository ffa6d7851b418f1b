// semaphore.cpp -- GET /control/semaphore?tasks=10&permits=3&work_ms=100
//
// The first article's semaphore pattern: `tasks` spawned tasks each take one
// of `permits` permits, work for `work_ms`, and give it back. Every task
// counts itself in and out of the critical section, so the handler reports
// the highest concurrency it actually observed (= permits) and the total
// time (~ ceil(tasks / permits) * work_ms).
//
// The shared state lives in a shared_ptr that every task holds: if the
// request goes away, the detached tasks still own what they touch. It also
// holds the request's ticket from a process-wide task budget (100,000 tasks,
// ~1 KB each; RINGLANE_DEMO_TASK_BUDGET overrides it): a request that would
// go over gets 503 with Retry-After, and the tasks go back to the budget when
// the last of them is done, not when the client leaves.
//
// GET /control/semaphore/budget reports the budget (cap, in use, free)
// without taking from it: how an operator -- or a test -- sees it drain.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "apps/demo/task_budget.hpp"
#include "runtime/runtime.hpp"
#include "runtime/sync/semaphore.hpp"

namespace demo {
namespace {

task_budget& budget() {
  static task_budget b([] {
    const char* env = std::getenv("RINGLANE_DEMO_TASK_BUDGET");
    const std::optional<std::uint64_t> v = env ? parse_uint(env) : std::nullopt;
    return v.value_or(100'000);
  }());
  return b;
}

struct limited_state {
  limited_state(std::size_t permits, task_budget::ticket t) : sem(permits), ticket(std::move(t)) {}
  ringlane::semaphore sem;
  task_budget::ticket ticket;  // returned when the last task drops the state
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> max_active{0};
};

struct limited_result {
  std::uint64_t id;
  double waited_ms;  // until the permit was granted
  double total_ms;
};

task<limited_result> limited_task(std::uint64_t id, std::shared_ptr<limited_state> st, std::uint64_t work_ms) {
  const auto start = ringlane::now();
  std::optional<ringlane::semaphore_permit> permit = co_await st->sem.acquire();
  if (!permit) throw demo_error("semaphore closed");
  const double waited = ms_since(start);
  const std::uint64_t now_active = st->active.fetch_add(1) + 1;
  std::uint64_t seen = st->max_active.load();
  while (now_active > seen && !st->max_active.compare_exchange_weak(seen, now_active)) {
  }
  co_await ringlane::sleep(std::chrono::milliseconds(work_ms));
  st->active.fetch_sub(1);  // out before the permit goes back
  permit->release();
  co_return limited_result{id, waited, ms_since(start)};
}

}  // namespace

task<void> control_semaphore(http::context& ctx) {
  const auto tasks = query_uint(ctx, "tasks", {.def = 10, .min = 1, .max = 1000});
  if (!tasks) co_return;
  const auto permits = query_uint(ctx, "permits", {.def = 3, .min = 1, .max = 1000});
  if (!permits) co_return;
  const auto work_ms = query_uint(ctx, "work_ms", {.def = 100, .min = 0, .max = 10'000});
  if (!work_ms) co_return;

  std::optional<task_budget::ticket> ticket = budget().take(*tasks);
  if (!ticket) {
    ctx.response().header("retry-after", std::to_string((*work_ms + 999) / 1000 + 1));
    json_error(ctx, 503, "too many semaphore tasks in flight (" + std::to_string(budget().cap()) + "); try again");
    co_return;
  }
  const auto start = ringlane::now();
  auto st = std::make_shared<limited_state>(*permits, std::move(*ticket));
  std::vector<ringlane::join_handle<limited_result>> handles;
  handles.reserve(*tasks);
  for (std::uint64_t i = 0; i < *tasks; ++i) handles.push_back(ringlane::spawn(limited_task(i, st, *work_ms)));
  std::vector<limited_result> results;
  results.reserve(*tasks);
  for (auto& h : handles) results.push_back(co_await h);
  const double total = ms_since(start);
  const std::uint64_t waves = (*tasks + *permits - 1) / *permits;

  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("tasks").value(*tasks)
      .key("permits").value(*permits)
      .key("work_ms").value(*work_ms)
      .key("completed").value(results.size())
      .key("max_concurrency").value(st->max_active.load())
      .key("expected_min_time_ms").value(waves * *work_ms)
      .key("total_time_ms").value(total)
      .key("summary").value("Completed " + std::to_string(results.size()) + " tasks with semaphore control")
      .key("results").begin_array();
  for (const limited_result& r : results) {
    w.begin_object()
        .key("task").value(r.id)
        .key("waited_ms").value(r.waited_ms)
        .key("total_ms").value(r.total_ms)
        .end_object();
  }
  w.end_array().end_object();
}

task<void> control_semaphore_budget(http::context& ctx) {
  const task_budget& b = budget();
  const std::uint64_t in_use = b.in_use();
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("cap").value(b.cap())
      .key("in_use").value(in_use)
      .key("free").value(b.cap() - std::min(in_use, b.cap()))
      .end_object();
  co_return;
}

}  // namespace demo
