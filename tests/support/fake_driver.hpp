// fake_driver.hpp -- a driver for deterministic tests: virtual time.
//
// With a manual_clock and one worker, a worker that parks with a timeout
// does not sleep: the fake driver advances the clock by exactly that timeout
// and returns, so the next timer fires at once. A test that sleeps for an
// hour finishes in microseconds, and timer order is exact (Tokio's paused
// clock works the same way).
//
// park() without a timeout means "nothing can happen until another thread
// acts" (block_on's spawn, the blocking pool, a test thread); it waits for
// unpark() for real, bounded by `deadlock_after`, and then aborts the test
// with a message instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "runtime/sched/driver.hpp"
#include "runtime/time/clock.hpp"

namespace ringlane::testing {

class fake_driver final : public driver {
 public:
  explicit fake_driver(manual_clock& c, std::chrono::seconds deadlock_after = std::chrono::seconds(20))
      : clock_(c), deadlock_after_(deadlock_after) {}

  void park(std::optional<std::chrono::nanoseconds> timeout) override {
    std::unique_lock lock(mu_);
    if (unparked_) {
      unparked_ = false;
      return;
    }
    if (timeout) {
      if (timeout->count() > 0) clock_.advance(*timeout);
      return;
    }
    if (!cv_.wait_for(lock, deadlock_after_, [&] { return unparked_; })) {
      std::fprintf(stderr, "fake_driver: worker parked with no timer and nobody woke it for %llds: deadlock\n",
                   static_cast<long long>(deadlock_after_.count()));
      std::abort();
    }
    unparked_ = false;
  }

  void unpark() noexcept override {
    std::lock_guard lock(mu_);
    unparked_ = true;
    cv_.notify_one();
  }

 private:
  manual_clock& clock_;
  std::chrono::seconds deadlock_after_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool unparked_ = false;
};

}  // namespace ringlane::testing
