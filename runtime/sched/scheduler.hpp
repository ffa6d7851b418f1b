// scheduler.hpp -- the state all workers of one runtime share.
//
// Owns the workers and their threads, the global inject queue, the idle
// coordinator and the registry of live tasks (so that shutdown can destroy
// tasks that sit in no queue: parked on a channel, a timer, a join).
//
// Shutdown order (~scheduler / shutdown()):
//   1. blocking pool stops and joins its threads
//   2. `stopping` is set and every worker is unparked; each worker leaves its
//      run loop and waits (its thread stays alive, its driver too)
//   3. with no worker running tasks, every live task is completed as
//      cancelled: its body is destroyed, which runs the destructors of the
//      awaiters it was parked in (they withdraw their registrations; I/O
//      awaiters queue cancellations on their worker's ring)
//   4. each worker destroys its own driver *on its own thread* (a ring with
//      SINGLE_ISSUER/DEFER_TASKRUN may only be entered by its owner; the
//      engine drains the cancelled ops' completions there), and exits
//   5. threads are joined; queues are forgotten (they only held references
//      that step 3 released), then workers (wheels) are destroyed
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/sched/idle.hpp"
#include "runtime/sched/inject_queue.hpp"
#include "runtime/sched/options.hpp"
#include "runtime/sched/registry.hpp"
#include "runtime/sched/stats.hpp"
#include "runtime/time/clock.hpp"

namespace ringlane::detail {

class worker;
class blocking_pool;

class scheduler {
 public:
  explicit scheduler(runtime_options opts);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  void shutdown() noexcept;
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // Registers a new task and queues it. `home` pins it (nullptr: stealable).
  void submit(task_header* t, worker* home) noexcept;
  // Tasks spawned from threads that are not our workers (registry.hpp).
  static constexpr std::uint32_t foreign_shard = ~std::uint32_t{0};
  void unregister_foreign(task_header* t) noexcept;

  // Stealable task from a thread that is not one of our workers.
  void inject(task_header* t) noexcept;
  void inject_batch(task_header* first, task_header* last, std::uint32_t n) noexcept;
  inject_queue& global() noexcept { return global_; }

  // Wakes one sleeping worker if the idle protocol says so.
  void notify_parked() noexcept;
  // Any stealable work anywhere (the last searcher's re-check).
  bool any_stealable_work() noexcept;

  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(workers_.size()); }
  worker& worker_at(std::uint32_t i) noexcept { return *workers_[i]; }
  idle& idle_state() noexcept { return idle_; }
  const runtime_options& options() const noexcept { return opts_; }
  clock_source& clock() const noexcept { return *clock_; }
  clock_source::time_point epoch() const noexcept { return epoch_; }
  blocking_pool& blocking();

  runtime_stats stats() const;
  // Spawned and not yet finished, over all workers (approximate while
  // workers run).
  std::uint64_t live_tasks() const noexcept;

  // Called by a worker thread once its driver exists.
  std::unique_ptr<driver> make_driver(std::uint32_t index);
  void worker_ready() noexcept;
  // Called by a worker thread that left its run loop: returns when the
  // driver may be torn down (shutdown step 4).
  void worker_stopped() noexcept;

 private:
  void cancel_all_tasks() noexcept;

  runtime_options opts_;
  clock_source* clock_;
  clock_source::time_point epoch_;
  idle idle_;
  inject_queue global_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::mutex foreign_mu_;
  task_list foreign_;                          // guarded by foreign_mu_
  std::atomic<std::uint64_t> foreign_live_{0};
  std::atomic<std::uint64_t> foreign_ids_{1};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint32_t> ready_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::uint32_t stopped_ = 0;   // guarded by stop_mu_: workers out of their loop
  bool teardown_ = false;       // guarded by stop_mu_: tasks are gone, drivers may go
  std::vector<std::thread> threads_;
  std::unique_ptr<blocking_pool> blocking_;
  bool shut_down_ = false;
};

// The scheduler of the calling worker thread; throws std::logic_error when
// called outside a runtime.
scheduler& current_scheduler();

}  // namespace ringlane::detail
