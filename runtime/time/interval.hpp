// interval.hpp -- a ticker for periodic work (Tokio's time::interval).
//
//   interval every(1s);                     // the first tick completes at once
//   for (;;) {
//     co_await every.tick();
//     co_await send_heartbeat();
//   }
//
// Ticks are due at start, start + p, start + 2p, ... -- not "p after the
// last tick completed" -- so time spent between ticks does not make the
// schedule drift, as a loop around sleep(p) would.
//
// When the loop falls a whole period or more behind (a slow body, a busy
// worker), `missed_tick` says what the next ticks do. Period 100 ms, ticks
// due at 0, 100, 200, ...; the tick due at 100 completes at 350:
//
//   burst   catch up: the ticks due at 200 and 300 complete at once,
//           then 400, 500, ...                     (Tokio's default too)
//   delay   start over from now: 450, 550, ...
//   skip    keep the grid, drop what was missed: 400, 500, ...
//
// A tick late by less than a period is not "missed": the next one stays on
// the grid. Deadlines are on the worker's timer wheel (millisecond
// resolution, never early), read through now(), so tests drive an interval
// with the manual clock like any sleep.
//
// An interval belongs to one task: tick() must not be awaited by two tasks
// at once. The returned awaiter is a sleep_awaiter (cancellation, abort and
// timeout() treat it as any sleep).
#pragma once

#include <chrono>

#include "runtime/time/sleep.hpp"

namespace ringlane {

enum class missed_tick { burst, delay, skip };

class interval {
 public:
  using duration = clock_source::duration;
  using time_point = clock_source::time_point;

  // First tick due now. `period` must be positive.
  template <class Rep, class Period>
  explicit interval(std::chrono::duration<Rep, Period> period, missed_tick when_behind = missed_tick::burst) noexcept
      : interval(now(), period, when_behind) {}

  // First tick due at `start`.
  template <class Rep, class Period>
  interval(time_point start, std::chrono::duration<Rep, Period> period,
           missed_tick when_behind = missed_tick::burst) noexcept
      : period_(std::chrono::duration_cast<duration>(period)), next_(start), behind_(when_behind) {
    if (period_ <= duration::zero()) period_ = duration(1);
  }

  // Completes when the next tick is due (at once if it is overdue).
  [[nodiscard]] sleep_awaiter tick() noexcept {
    const time_point due = next_;
    next_ = after(due, now());
    return sleep_until(due);
  }

  // The next tick is one period from now; the grid moves with it.
  void reset() noexcept { next_ = now() + period_; }

  time_point deadline() const noexcept { return next_; }
  duration period() const noexcept { return period_; }

 private:
  // When the tick after the one due at `due` is due, seen at `t`.
  time_point after(time_point due, time_point t) const noexcept {
    if (t - due < period_) return due + period_;  // on time, or late by less than a period
    switch (behind_) {
      case missed_tick::burst:
        return due + period_;
      case missed_tick::delay:
        return t + period_;
      case missed_tick::skip:
        return due + period_ * ((t - due) / period_ + 1);
    }
    return due + period_;
  }

  duration period_;
  time_point next_;
  missed_tick behind_;
};

}  // namespace ringlane
