// clock.hpp -- where the runtime reads time.
//
// Workers read `now` through this seam so that tests can drive time by hand
// (manual_clock) and timer tests need no real waiting. The timer wheel itself
// never reads a clock: it is given milliseconds (see timer_wheel.hpp).
#pragma once

#include <atomic>
#include <chrono>

namespace ringlane {

class clock_source {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::nanoseconds;
  virtual ~clock_source() = default;
  virtual time_point now() const noexcept = 0;
};

// std::chrono::steady_clock (CLOCK_MONOTONIC, a vDSO call: ~20 ns).
class steady_clock_source final : public clock_source {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};

// Time that moves only when told to. Thread-safe.
class manual_clock final : public clock_source {
 public:
  manual_clock() noexcept : ns_(std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()) {}
  time_point now() const noexcept override { return time_point(duration(ns_.load(std::memory_order_acquire))); }
  void advance(duration d) noexcept { ns_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<duration::rep> ns_;
};

steady_clock_source& default_clock() noexcept;

}  // namespace ringlane
