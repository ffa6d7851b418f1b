// sleep.hpp -- sleep(d) and sleep_until(t): park the task on this worker's
// timer wheel.
//
//   co_await ringlane::sleep(10ms);
//
// The awaiter embeds the wheel entry (no allocation) and parks with
// park_binding::this_worker: the wheel belongs to this worker, so whatever
// wakes the task (the timer, or an abort) makes it run here next, where the
// awaiter's destructor may touch the wheel.
//
// Rounding: deadlines are rounded up to the next millisecond on the wheel,
// so a sleep never ends early; it may end up to ~1 ms late (plus scheduling
// delay). A deadline already in the past completes without suspending.
#pragma once

#include <chrono>
#include <coroutine>

#include "runtime/task/waker.hpp"
#include "runtime/time/clock.hpp"
#include "runtime/time/timer_wheel.hpp"

namespace ringlane {
namespace detail {

class worker;

// The worker's clock and wheel, for awaiters (timer.cpp).
clock_source::time_point worker_now() noexcept;
// Milliseconds since the scheduler epoch, rounded up.
std::uint64_t to_wheel_ms(clock_source::time_point t) noexcept;
timer_wheel& worker_wheel() noexcept;
worker* require_worker(const char* what) noexcept;

// A wheel entry that wakes a task.
struct waking_timer : timer_entry {
  waker w;
  worker* owner = nullptr;
  waking_timer() noexcept : timer_entry(&fire) {}
  static void fire(timer_entry& e) noexcept { std::move(static_cast<waking_timer&>(e).w).wake(); }
  // Arms for `deadline` on the calling worker's wheel; fires `wk`.
  void arm(clock_source::time_point deadline, waker wk) noexcept;
  // Disarms if still armed. Owner thread only (guaranteed by the binding).
  void disarm() noexcept;
};

}  // namespace detail

class sleep_awaiter {
 public:
  explicit sleep_awaiter(clock_source::time_point deadline) noexcept : deadline_(deadline) {}
  sleep_awaiter(sleep_awaiter&& o) noexcept : deadline_(o.deadline_) {}  // before co_await only
  ~sleep_awaiter() { timer_.disarm(); }

  bool await_ready() const noexcept { return deadline_ <= detail::worker_now(); }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    timer_.arm(deadline_, this_task::park(h, park_binding::this_worker));
  }
  void await_resume() noexcept { timer_.disarm(); }

 private:
  clock_source::time_point deadline_;
  detail::waking_timer timer_;
};

// Completes at `deadline` or later.
[[nodiscard]] inline sleep_awaiter sleep_until(clock_source::time_point deadline) noexcept {
  return sleep_awaiter(deadline);
}

// Completes after `d` or later.
template <class Rep, class Period>
[[nodiscard]] sleep_awaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
  return sleep_awaiter(detail::worker_now() + std::chrono::duration_cast<clock_source::duration>(d));
}

// The runtime's notion of now (the manual clock in tests).
inline clock_source::time_point now() noexcept { return detail::worker_now(); }

}  // namespace ringlane
