// options.hpp -- runtime_options: every scheduler knob in one place.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/sched/driver.hpp"

namespace ringlane {

class clock_source;

struct runtime_options {
  // Worker threads; 0 = one per CPU the process may run on.
  std::uint32_t workers = 0;
  // Idle workers steal half of a busy worker's stealable queue. Pinned tasks
  // are never stolen either way.
  bool stealing = true;
  // Consecutive runs from the LIFO slot before the local queue gets a turn.
  // Tokio uses 3 ("picked out of thin air"); BM_channel_ping_pong shows the
  // slot's benefit, the cap only bounds starvation.
  std::uint32_t lifo_cap = 3;
  // Every this many turns the inbox and global queue are checked first, so
  // they cannot starve behind a busy local queue. Tokio's default is 31.
  std::uint32_t global_queue_interval = 31;  // >= 1
  // Every this many turns a busy worker polls its driver and timers. 61 as
  // in Tokio: prime, so it does not beat in step with the global interval.
  std::uint32_t event_interval = 61;  // >= 1
  // Creates each worker's driver on its own thread; empty = futex driver.
  driver_factory make_driver;
  // Time source; null = steady clock. Tests pass a manual_clock.
  clock_source* clock = nullptr;
  // spawn_blocking: at most this many threads; idle ones exit after
  // `blocking_keep_alive`.
  std::uint32_t max_blocking_threads = 64;
  std::chrono::milliseconds blocking_keep_alive{10'000};
  // Per-worker ring of the last N scheduling decisions (trace.hpp); 0 = off.
  std::size_t trace_events = 0;
  // Thread names are "<prefix>-<index>" (visible in top/perf).
  std::string thread_name = "ringlane";
};

}  // namespace ringlane
