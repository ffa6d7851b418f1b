// timeout.hpp -- bound how long a task may take.
//
//   std::optional<std::string> body = co_await timeout(2s, read_body(conn));
//   if (!body) { /* timed out: read_body was aborted and has finished */ }
//
// The operand runs as a child task; the caller parks on both the child and a
// timer on its own worker's wheel. If the deadline comes first the child is
// aborted (its frames are destroyed at its current suspension point, which
// for I/O means "ask the kernel to cancel, wait for the CQE") and awaited,
// and timeout returns nullopt. If the child finished after all (it won the
// race with the abort), its result is returned rather than lost. An
// exception from the operand is rethrown.
#pragma once

#include <chrono>
#include <optional>

#include "runtime/combinators/child.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane {
namespace detail {

// Parks until `child` is complete or `deadline` passes.
class complete_or_deadline {
 public:
  complete_or_deadline(task_header* child, clock_source::time_point deadline) noexcept
      : child_(child), deadline_(deadline) {}
  complete_or_deadline(const complete_or_deadline&) = delete;
  ~complete_or_deadline() { withdraw(); }

  bool await_ready() const noexcept { return is_complete(child_) || deadline_ <= worker_now(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    waker w = this_task::park(h, park_binding::this_worker);
    if (!register_join_waiter(child_, w.clone())) return false;
    registered_ = true;
    timer_.arm(deadline_, std::move(w));
    return true;
  }
  void await_resume() noexcept { withdraw(); }

 private:
  void withdraw() noexcept {
    timer_.disarm();
    if (registered_) {
      registered_ = false;
      cancel_join_wait(child_);
    }
  }

  task_header* child_;
  clock_source::time_point deadline_;
  waking_timer timer_;
  bool registered_ = false;
};

}  // namespace detail

template <class T>
task<std::optional<value_or_unit<T>>> timeout_at(clock_source::time_point deadline, task<T> operand) {
  detail::scoped_child<T> kid = detail::spawn_child(std::move(operand));
  co_await detail::complete_or_deadline(kid.header(), deadline);
  const bool aborted = !detail::is_complete(kid.header());
  if (aborted) {
    kid.handle().abort();
    co_await detail::wait_complete(kid.header());
  }
  try {
    if constexpr (std::is_void_v<T>) {
      kid.handle().take_result();
      co_return unit{};
    } else {
      co_return kid.handle().take_result();
    }
  } catch (const task_cancelled&) {
    if (!aborted) throw;
    co_return std::nullopt;
  }
}

template <class Rep, class Period, class T>
task<std::optional<value_or_unit<T>>> timeout(std::chrono::duration<Rep, Period> d, task<T> operand) {
  return timeout_at(now() + std::chrono::duration_cast<clock_source::duration>(d), std::move(operand));
}

namespace detail {
template <class A>
auto await_in_task(A awaitable) -> task<decltype(std::declval<A&&>().await_resume())> {
  co_return co_await std::move(awaitable);
}
template <class A>
concept plain_awaiter = requires(A a) {
  a.await_ready();
  a.await_resume();
};
}  // namespace detail

// Any awaiter (an object with await_ready/await_suspend/await_resume, e.g.
// a channel receive): wrapped in a task so it can run as the child.
template <class Rep, class Period, detail::plain_awaiter A>
auto timeout(std::chrono::duration<Rep, Period> d, A awaitable) {
  return timeout(d, detail::await_in_task(std::move(awaitable)));
}

}  // namespace ringlane
