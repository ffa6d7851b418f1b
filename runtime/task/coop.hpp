// coop.hpp -- cooperative budgeting: a task that never has to wait still
// lets the others on its worker run (Tokio's coop budget).
//
// A task runs until it suspends. One whose operations all complete at once
// -- a handler streaming events into a socket that still has room, a
// connection with a long backlog of pipelined requests -- would never
// suspend, and every other task on the worker would wait behind it. So each
// time the worker resumes a task it gets a budget of `budget_per_run`
// operations; an operation that could complete without waiting spends one
// (spend()), and once the budget is gone it yields instead: the task goes
// to the back of the run queue and the operation completes when its turn
// comes again.
//
//   worker resumes task ──> budget = 128
//     flush() without waiting   spend() -> true    128 -> 127 ...
//     flush() without waiting   spend() -> false   budget gone: yield, then complete
//
// Operations that wait anyway (a suspension hands the worker over) spend
// nothing. The engine's stream spends on read() and flush(); see
// runtime/README.md section 5.
#pragma once

#include <coroutine>
#include <cstdint>

#include "runtime/task/header.hpp"

namespace ringlane::coop {

inline constexpr std::uint32_t budget_per_run = 128;

namespace detail {
// What the running task has left; set by the worker before each resume.
extern constinit thread_local std::uint32_t budget;
}  // namespace detail

// One operation that can complete without waiting: true while the running
// task has budget left (one is spent), false when it should yield first.
inline bool spend() noexcept {
  if (detail::budget == 0) return false;
  --detail::budget;
  return true;
}

// For an awaiter whose spend() failed: suspends the current task as
// yield_now() does (to the back of the queue). Returns where to go next.
inline std::coroutine_handle<> yield_from(std::coroutine_handle<> h) noexcept {
  ringlane::detail::task_header* t = ringlane::detail::current_task();
  t->resume_point = h;
  t->yield_requested = true;  // the worker requeues it when resume returns
  return std::noop_coroutine();
}

}  // namespace ringlane::coop
