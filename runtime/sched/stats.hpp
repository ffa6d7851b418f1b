// stats.hpp -- per-worker counters.
//
// Each counter has one writer (its worker) and is read by anyone taking a
// snapshot, so relaxed atomic loads and stores suffice: a snapshot is a
// consistent-enough picture, not a linearizable one. No RMW on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace ringlane {

struct worker_stats {
  std::uint64_t polls = 0;            // task runs (resume or cancel)
  std::uint64_t lifo_hits = 0;        // runs taken from the LIFO slot
  std::uint64_t local_pops = 0;       // runs taken from the local queues
  std::uint64_t inbox_tasks = 0;      // tasks received from other threads
  std::uint64_t global_pops = 0;      // tasks taken from the global queue
  std::uint64_t steals = 0;           // successful steal operations
  std::uint64_t stolen_tasks = 0;     // tasks moved by those steals
  std::uint64_t overflows = 0;        // local queue overflows to global
  std::uint64_t parks = 0;            // times the worker slept
  std::uint64_t notifies = 0;         // times it woke a sleeping peer
  std::uint64_t timers_fired = 0;
  std::uint64_t spawned = 0;          // tasks spawned from this worker
  std::uint64_t finished = 0;         // tasks that finished on this worker
};

namespace detail {

// A counter with one writing thread and any number of readers: a relaxed
// load and store (a plain add on x86), never a locked read-modify-write.
template <class T>
struct single_writer_counter {
  std::atomic<T> v{0};
  void add(T n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(T n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  T get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// The live counters inside a worker.
struct worker_counters {
  template <class T>
  using counter = single_writer_counter<T>;
  counter<std::uint64_t> polls, lifo_hits, local_pops, inbox_tasks, global_pops, steals, stolen_tasks, overflows,
      parks, notifies, timers_fired, spawned, finished;

  worker_stats snapshot() const noexcept {
    return {polls.get(),  lifo_hits.get(), local_pops.get(), inbox_tasks.get(), global_pops.get(),  steals.get(),
            stolen_tasks.get(), overflows.get(), parks.get(), notifies.get(), timers_fired.get(), spawned.get(),
            finished.get()};
  }
};

}  // namespace detail

struct runtime_stats {
  std::vector<worker_stats> workers;
  std::uint64_t live_tasks = 0;
  worker_stats total() const noexcept;
};

}  // namespace ringlane
