// driver.hpp -- the seam through which a worker sleeps.
//
// The scheduler knows nothing about sockets or rings. When a worker runs out
// of tasks it calls park(timeout) on its driver, with the timer wheel's next
// deadline as the timeout. The engine (engine/) implements this seam with an
// io_uring (submit_and_wait_timeout) or epoll; the runtime ships a futex
// driver so it is usable and testable on its own, and tests use a fake
// driver with a manual clock (tests/support/).
//
// Contract:
//   park(timeout)  owner thread only. Processes pending events and returns
//                  when unpark() was called (now or since the last park), an
//                  event arrived, or `timeout` elapsed. nullopt = no timeout;
//                  zero = poll without blocking. Spurious returns are fine.
//   unpark()       any thread. Sticky: a call before park() makes the next
//                  park() return at once.
//
// A virtual call per park is free next to the syscall that parks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace ringlane {

class driver {
 public:
  virtual ~driver() = default;
  virtual void park(std::optional<std::chrono::nanoseconds> timeout) = 0;
  virtual void unpark() noexcept = 0;
  // Called by a busy worker every `event_interval` tasks: drain completions
  // without sleeping (io_uring with DEFER_TASKRUN only produces completions
  // when asked). Default: nothing to do.
  virtual void poll() {}
};

// Creates worker `index`'s driver. Called on that worker's own thread (a ring
// must be created by the thread that submits to it).
using driver_factory = std::function<std::unique_ptr<driver>(std::uint32_t index)>;

// The default: a futex word. park = FUTEX_WAIT with timeout, unpark = store
// + FUTEX_WAKE only when the owner may be asleep.
std::unique_ptr<driver> make_futex_driver();

}  // namespace ringlane
