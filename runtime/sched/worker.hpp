// worker.hpp -- one scheduler thread: its queues, timers and driver.
//
// Where a runnable task can sit, from the worker's point of view:
//
//          other threads                      this worker only
//   ------------------------------    ------------------------------------
//   inbox  (pinned/bound tasks) ----> pinned FIFO  (never stolen)
//                                     LIFO slot    (last woken, runs next)
//   thieves <---- steal half -------- local_queue  (stealable, 256 slots)
//   global inject queue <--- overflow /
//
// The run loop, one turn (worker.cpp, run()):
//
//   1. next task  -- every `global_queue_interval` turns: inbox, then global
//                    queue first (fairness); otherwise LIFO slot (at most
//                    `lifo_cap` in a row), local queues, inbox, global queue
//   2. search     -- nothing local: become a searcher (bounded) and steal
//                    half of a random victim's local queue
//   3. run        -- resume the task until it parks, yields or finishes
//   4. maintain   -- every `event_interval` turns: driver poll + timers
//   5. park       -- nothing anywhere: publish "parked", re-check, then
//                    driver.park(next timer deadline); fire timers on return
//
// Everything here is owner-thread only unless marked otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "runtime/sched/driver.hpp"
#include "runtime/sched/inbox.hpp"
#include "runtime/sched/local_queue.hpp"
#include "runtime/sched/registry.hpp"
#include "runtime/sched/stats.hpp"
#include "runtime/sched/trace.hpp"
#include "runtime/time/timer_wheel.hpp"

namespace ringlane::detail {

class scheduler;

class worker {
 public:
  worker(scheduler& s, std::uint32_t index);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // The thread body.
  void run();

  // Any thread: queue `t` here (pinned or bound to this worker).
  void push_remote(task_header* t) noexcept;
  // Owner: queue a woken or spawned task (LIFO slot unless it yielded).
  void push_local(task_header* t) noexcept;

  // Owner: registers a task spawned on this worker (registry.hpp).
  void adopt(task_header* t) noexcept;
  // Owner (or shutdown): unlinks tasks other workers finished for us.
  void drain_remote_done() noexcept;
  task_list& owned() noexcept { return owned_; }

  // Any thread.
  void unpark() noexcept;
  std::uint32_t index() const noexcept { return index_; }
  scheduler& sched() const noexcept { return sched_; }
  const worker_counters& counters() const noexcept { return counters_; }
  worker_counters& counters() noexcept { return counters_; }
  local_queue& stealable() noexcept { return stealable_; }

  // Owner: this worker's timers, in milliseconds since the scheduler epoch.
  timer_wheel& wheel() noexcept { return wheel_; }
  std::uint64_t now_ms() const noexcept;

  // Read only after the worker stopped (see trace.hpp).
  const trace_ring& trace() const noexcept { return trace_; }

 private:
  task_header* next_task() noexcept;
  task_header* next_local() noexcept;
  task_header* pop_pinned() noexcept;
  task_header* take_inbox() noexcept;
  task_header* take_global() noexcept;
  task_header* steal() noexcept;
  void run_task(task_header* t) noexcept;
  void finish(task_header* t) noexcept;
  void requeue(task_header* t) noexcept;
  void push_queue(task_header* t) noexcept;
  void push_pinned(task_header* t) noexcept;
  void maybe_notify_peer() noexcept;
  void maintenance() noexcept;
  std::size_t fire_timers() noexcept;
  void park() noexcept;
  bool has_local_work() const noexcept;

  scheduler& sched_;
  const std::uint32_t index_;
  std::unique_ptr<driver> driver_;

  // Other threads touch these.
  alignas(64) inbox inbox_;
  remote_done_stack remote_done_;
  std::atomic<bool> parked_{true};  // seq_cst: see inbox.hpp
  local_queue stealable_;

  // Owner thread only.
  alignas(64) task_header* lifo_ = nullptr;
  std::uint32_t lifo_runs_ = 0;
  task_header* pinned_head_ = nullptr;
  task_header* pinned_tail_ = nullptr;
  std::uint64_t tick_ = 0;
  const bool stealing_;                 // enabled and more than one worker
  std::uint32_t global_countdown_;      // turns until inbox/global go first
  std::uint32_t event_countdown_;       // turns until driver poll + timers
  bool searching_ = false;
  std::uint64_t rng_;
  task_source source_ = task_source::local;  // where next_task found its task
  task_list owned_;                          // tasks spawned here, unfinished
  std::uint64_t id_seq_ = 0;
  timer_wheel wheel_;
  worker_counters counters_;
  trace_ring trace_;
};

// The worker running on this thread, or nullptr.
worker* current_worker() noexcept;

}  // namespace ringlane::detail
