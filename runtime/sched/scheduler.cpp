#include "runtime/sched/scheduler.hpp"

#include <cstdio>
#include <exception>
#include <latch>
#include <stdexcept>

#include "runtime/blocking/blocking_pool.hpp"
#include "runtime/sched/worker.hpp"
#include "runtime/task/join_handle.hpp"

namespace ringlane::detail {

namespace {
std::uint32_t default_workers() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}
}  // namespace

scheduler::scheduler(runtime_options opts)
    : opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : &default_clock()),
      epoch_(clock_->now()),
      idle_(opts_.workers ? opts_.workers : default_workers()) {
  if (!opts_.workers) opts_.workers = default_workers();
  if (!opts_.global_queue_interval) opts_.global_queue_interval = 1;
  if (!opts_.event_interval) opts_.event_interval = 1;
  const std::uint32_t n = opts_.workers;
  workers_.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<worker>(*this, i));
  blocking_ = std::make_unique<blocking_pool>(opts_.max_blocking_threads, opts_.blocking_keep_alive,
                                              opts_.thread_name + "-blk");
  threads_.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) threads_.emplace_back([w = workers_[i].get()] { w->run(); });
  // Wait until every driver exists: unpark() must find one.
  for (std::uint32_t r; (r = ready_.load(std::memory_order_acquire)) < n;) ready_.wait(r, std::memory_order_acquire);
}

scheduler::~scheduler() { shutdown(); }

std::unique_ptr<driver> scheduler::make_driver(std::uint32_t index) {
  return opts_.make_driver ? opts_.make_driver(index) : make_futex_driver();
}

void scheduler::worker_ready() noexcept {
  ready_.fetch_add(1, std::memory_order_release);
  ready_.notify_all();
}

blocking_pool& scheduler::blocking() { return *blocking_; }

void scheduler::worker_stopped() noexcept {
  std::unique_lock lock(stop_mu_);
  ++stopped_;
  stop_cv_.notify_all();
  stop_cv_.wait(lock, [&] { return teardown_; });
}

void scheduler::shutdown() noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  blocking_->shutdown();
  stopping_.store(true, std::memory_order_release);
  for (auto& w : workers_) w->unpark();
  {
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait(lock, [&] { return stopped_ == workers_.size(); });
  }
  cancel_all_tasks();
  {
    std::lock_guard lock(stop_mu_);
    teardown_ = true;
  }
  stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// Single-threaded from here on: no worker runs.
void scheduler::cancel_all_tasks() noexcept {
  using namespace task_state;
  for (auto& w : workers_) w->drain_remote_done();
  auto cancel_list = [&](task_list& list) {
    while (task_header* t = list.front()) {
      // Destroying the body may wake, spawn or release other tasks; hold a
      // reference so `t` survives until we are done with it.
      t->ref();
      t->state.fetch_or(cancelled, std::memory_order_acq_rel);
      t->vt->drop_body(t);
      const std::uint64_t s = t->state.fetch_or(complete, std::memory_order_acq_rel);
      if (s & join_waker) {
        // Dropped, not woken: the joiner is being cancelled too.
        waker w(std::exchange(t->join_waiter, nullptr), t->join_waiter_gen);
      }
      list.unlink(t);
      t->release();  // the scheduler's reference
      t->release();  // ours
    }
  };
  // Destroying one task's body may spawn more (a destructor that spawns):
  // repeat until every list stays empty.
  for (bool again = true; again;) {
    again = false;
    for (auto& w : workers_) {
      if (w->owned().front()) {
        again = true;
        cancel_list(w->owned());
      }
      w->drain_remote_done();
    }
    if (foreign_.front()) {
      again = true;
      cancel_list(foreign_);
    }
  }
  // Queues held only the scheduler references released above. Anything the
  // destructors woke was pushed into queues that are never run again.
}

void scheduler::submit(task_header* t, worker* home) noexcept {
  using namespace task_state;
  t->sched = this;
  t->home = home;
  // One reference for the scheduler, one for the join handle.
  t->state.store(notified | join_interest | 2 * ref_one, std::memory_order_relaxed);

  worker* me = current_worker();
  if (me && &me->sched() != this) me = nullptr;
  if (me) {
    me->adopt(t);
  } else {
    t->shard = foreign_shard;
    t->id = foreign_ids_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(foreign_mu_);
    foreign_.push_front(t);
    foreign_live_.fetch_add(1, std::memory_order_relaxed);
  }
  if (shut_down_ || stopping()) {
    // Too late to run: complete it as cancelled right away.
    t->state.fetch_or(cancelled, std::memory_order_relaxed);
  }
  schedule(t);
}

void scheduler::unregister_foreign(task_header* t) noexcept {
  std::lock_guard lock(foreign_mu_);
  foreign_.unlink(t);
  foreign_live_.fetch_sub(1, std::memory_order_relaxed);
}

std::uint64_t scheduler::live_tasks() const noexcept {
  std::uint64_t spawned = 0, finished = 0;
  for (auto& w : workers_) {
    spawned += w->counters().spawned.get();
    finished += w->counters().finished.get();
  }
  return foreign_live_.load(std::memory_order_relaxed) + spawned - finished;
}

void scheduler::inject(task_header* t) noexcept {
  global_.push(t);
  notify_parked();
}

void scheduler::inject_batch(task_header* first, task_header* last, std::uint32_t n) noexcept {
  global_.push_batch(first, last, n);
  notify_parked();
}

void scheduler::notify_parked() noexcept {
  if (auto i = idle_.worker_to_notify()) {
    if (worker* me = current_worker()) me->counters().notifies.add();
    workers_[*i]->unpark();
  }
}

bool scheduler::any_stealable_work() noexcept {
  if (!global_.is_empty()) return true;
  for (auto& w : workers_) {
    if (!w->stealable().is_empty()) return true;
  }
  return false;
}

runtime_stats scheduler::stats() const {
  runtime_stats r;
  for (auto& w : workers_) r.workers.push_back(w->counters().snapshot());
  r.live_tasks = live_tasks();
  return r;
}

scheduler& current_scheduler() {
  worker* w = current_worker();
  if (!w) throw std::logic_error("ringlane: no runtime on this thread (spawn from inside a task, or use runtime::spawn)");
  return w->sched();
}

// ---------------------------------------------------------------------------
// join_handle support (join_handle.hpp)

void log_detached_error(std::uint64_t id, const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "ringlane: detached task %llu failed: %s\n", static_cast<unsigned long long>(id), ex.what());
  } catch (...) {
    std::fprintf(stderr, "ringlane: detached task %llu failed with a non-standard exception\n",
                 static_cast<unsigned long long>(id));
  }
}

void request_abort(task_header* t) noexcept {
  using namespace task_state;
  // Like a wake, but for whatever the task is parked on (no generation
  // check): CANCELLED makes the next run destroy the body.
  std::uint64_t s = t->state.fetch_or(cancelled, std::memory_order_acq_rel) | cancelled;
  for (;;) {
    if (s & (complete | notified)) return;
    if (t->state.compare_exchange_weak(s, s | notified, std::memory_order_acq_rel, std::memory_order_acquire)) break;
  }
  if (!(s & running)) schedule(t);
}

void drop_join_handle(task_header* t, bool result_taken) noexcept {
  using namespace task_state;
  // Finished with an exception nobody looked at: say so, as for a detached
  // task (a task completing concurrently logs it itself: it sees no
  // JOIN_INTEREST once we cleared it below).
  if (!result_taken && (t->state.load(std::memory_order_acquire) & complete) && t->vt->has_error(t)) {
    t->vt->log_error(t);
  }
  t->release_with(join_interest);  // one RMW: interest and reference
}

bool register_join_waiter(task_header* t, waker w) noexcept {
  using namespace task_state;
  std::uint64_t s = t->state.load(std::memory_order_acquire);
  if (s & complete) return false;
  // Before JOIN_WAKER is set the slot is ours alone.
  t->join_waiter_gen = w.generation();
  t->join_waiter = std::move(w).into_raw();
  for (;;) {
    if (s & complete) {
      waker back(std::exchange(t->join_waiter, nullptr), t->join_waiter_gen);
      return false;
    }
    if (t->state.compare_exchange_weak(s, s | join_waker, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return true;
    }
  }
}

void cancel_join_wait(task_header* t) noexcept {
  using namespace task_state;
  std::uint64_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & complete) return;  // the completer owns (and wakes) the slot
    if (!(s & join_waker)) return;  // nothing registered
    if (t->state.compare_exchange_weak(s, s & ~join_waker, std::memory_order_acq_rel, std::memory_order_acquire)) {
      waker back(std::exchange(t->join_waiter, nullptr), t->join_waiter_gen);
      return;
    }
  }
}

}  // namespace ringlane::detail
