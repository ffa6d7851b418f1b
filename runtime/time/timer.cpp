// The glue between awaiters and the calling worker's wheel and clock.
#include <cstdio>
#include <cstdlib>

#include "runtime/sched/scheduler.hpp"
#include "runtime/sched/worker.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane::detail {

worker* require_worker(const char* what) noexcept {
  worker* w = current_worker();
  if (!w) {
    std::fprintf(stderr, "ringlane: %s used outside a runtime worker\n", what);
    std::abort();
  }
  return w;
}

clock_source::time_point worker_now() noexcept {
  worker* w = current_worker();
  return w ? w->sched().clock().now() : default_clock().now();
}

std::uint64_t to_wheel_ms(clock_source::time_point t) noexcept {
  worker* w = require_worker("a timer");
  const auto since = t - w->sched().epoch();
  if (since.count() <= 0) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(since);
  return static_cast<std::uint64_t>(ms.count());
}

timer_wheel& worker_wheel() noexcept { return require_worker("a timer")->wheel(); }

void waking_timer::arm(clock_source::time_point deadline, waker wk) noexcept {
  owner = require_worker("a timer");
  w = std::move(wk);
  owner->wheel().insert(*this, to_wheel_ms(deadline));
}

void waking_timer::disarm() noexcept {
  if (armed()) owner->wheel().cancel(*this);
  w = waker{};
}

}  // namespace ringlane::detail
