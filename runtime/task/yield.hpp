// yield.hpp -- yield_now(): let other tasks run, then continue.
//
// The task goes to the back of its queue (never the LIFO slot), so every
// task that was runnable before the yield gets a turn first. Costs one
// suspension and one queue push/pop: no waker, no reference counting
// (bench: BM_yield).
#pragma once

#include <coroutine>
#include <cstdio>
#include <cstdlib>

#include "runtime/task/header.hpp"

namespace ringlane {

struct yield_awaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept {
    detail::task_header* t = detail::current_task();
    if (!t) {
      std::fprintf(stderr, "ringlane: yield_now() outside a ringlane task\n");
      std::abort();
    }
    t->resume_point = h;
    t->yield_requested = true;  // the worker requeues it when resume returns
  }
  void await_resume() const noexcept {}
};

[[nodiscard]] inline yield_awaiter yield_now() noexcept { return {}; }

}  // namespace ringlane
