// runtime.hpp -- the runtime object and spawning.
//
//   ringlane::runtime rt({.workers = 4});
//   int v = rt.block_on(main_task());      // from any non-worker thread
//
//   // inside a task:
//   auto h = ringlane::spawn(work(42));      // stealable by idle workers
//   auto p = ringlane::spawn_pinned(conn()); // stays on this worker
//   int r = co_await h;                      // join: value, exception, or
//                                            // task_cancelled after abort()
//
// All workers are threads owned by the runtime; the thread that calls
// block_on only waits. Destroying the runtime stops the workers and destroys
// every task that has not finished (see scheduler.hpp, "Shutdown order").
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include "runtime/sched/options.hpp"
#include "runtime/sched/scheduler.hpp"
#include "runtime/sched/stats.hpp"
#include "runtime/task/join_handle.hpp"
#include "runtime/task/task.hpp"

namespace ringlane {

namespace detail {
worker* current_worker() noexcept;
worker* worker_by_index(scheduler& s, std::uint32_t index) noexcept;

template <class T>
join_handle<T> spawn_on(scheduler& s, task<T> body, worker* home) {
  auto* t = new spawned_task<T>(std::move(body));
  s.submit(t, home);
  return join_handle<T>{t};
}
}  // namespace detail

// Spawns `body` on the current runtime; idle workers may steal it.
template <class T>
join_handle<T> spawn(task<T> body) {
  return detail::spawn_on(detail::current_scheduler(), std::move(body), nullptr);
}

// Spawns `body` pinned to the current worker: it never runs anywhere else.
template <class T>
join_handle<T> spawn_pinned(task<T> body) {
  detail::scheduler& s = detail::current_scheduler();
  return detail::spawn_on(s, std::move(body), detail::current_worker());
}

// Index of the worker running the caller; -1 outside a runtime.
int current_worker_index() noexcept;

class runtime {
 public:
  explicit runtime(runtime_options opts = {}) : sched_(std::move(opts)) {}
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Runs `t` on the runtime and blocks the calling thread until it finishes.
  // Returns its value or rethrows its exception. Must not be called from a
  // worker thread (it would block the worker).
  template <class T>
  T block_on(task<T> t);

  // Spawns from any thread (stealable).
  template <class T>
  join_handle<T> spawn(task<T> t) {
    return detail::spawn_on(sched_, std::move(t), nullptr);
  }
  // Spawns pinned to worker `index` (0 <= index < workers()).
  template <class T>
  join_handle<T> spawn_on(std::uint32_t index, task<T> t) {
    return detail::spawn_on(sched_, std::move(t), detail::worker_by_index(sched_, index));
  }

  std::uint32_t workers() const noexcept { return sched_.size(); }
  runtime_stats stats() const { return sched_.stats(); }
  // Shuts the runtime down (the rings are only read once the workers have
  // stopped), then prints each worker's recorded scheduling decisions
  // (options.trace_events > 0).
  void dump_trace(std::ostream& out);

  // Stops the workers and destroys unfinished tasks; idempotent.
  void shutdown() noexcept { sched_.shutdown(); }
  detail::scheduler& scheduler() noexcept { return sched_; }

 private:
  struct waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  // Signals the waiter when the wrapper frame ends, however it ends (a
  // parameter, so it fires even if the task is destroyed before it ran).
  struct signal_on_exit {
    waiter* w;
    explicit signal_on_exit(waiter* x) noexcept : w(x) {}
    signal_on_exit(signal_on_exit&& o) noexcept : w(std::exchange(o.w, nullptr)) {}
    ~signal_on_exit() {
      if (!w) return;
      std::lock_guard lock(w->mu);
      w->done = true;
      w->cv.notify_one();
    }
  };
  template <class T>
  static task<void> run_and_signal(task<T> t, std::optional<value_or_unit<T>>* out, std::exception_ptr* error,
                                   signal_on_exit signal);

  detail::scheduler sched_;
};

template <class T>
task<void> runtime::run_and_signal(task<T> t, std::optional<value_or_unit<T>>* out, std::exception_ptr* error,
                                   signal_on_exit) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      out->emplace();
    } else {
      out->emplace(co_await std::move(t));
    }
  } catch (...) {
    *error = std::current_exception();
  }
}

template <class T>
T runtime::block_on(task<T> t) {
  if (detail::current_worker()) throw std::logic_error("ringlane: block_on called from a worker thread");
  std::optional<value_or_unit<T>> out;
  std::exception_ptr error;
  waiter w;
  auto h = spawn(run_and_signal<T>(std::move(t), &out, &error, signal_on_exit(&w)));
  {
    std::unique_lock lock(w.mu);
    w.cv.wait(lock, [&] { return w.done; });
  }
  // The signal fires while the wrapper's frame is destroyed, a few
  // instructions before the worker publishes COMPLETE; wait for that so the
  // task is fully gone (stats, shutdown) when block_on returns.
  while (!h.is_finished()) std::this_thread::yield();
  if (error) std::rethrow_exception(error);
  if (!out) throw task_cancelled{};
  if constexpr (!std::is_void_v<T>) return std::move(*out);
}

}  // namespace ringlane
