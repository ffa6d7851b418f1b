// spawn_blocking.hpp -- run a blocking callable on the blocking pool.
//
//   std::string text = co_await ringlane::spawn_blocking([path] { return read_file(path); });
//
// The job starts at once (not when awaited). Awaiting returns its value or
// rethrows its exception; if the runtime shut down before the job ran,
// awaiting throws task_cancelled. Dropping the handle without awaiting lets
// the job run to completion and discards its result.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/blocking/blocking_pool.hpp"
#include "runtime/sched/scheduler.hpp"
#include "runtime/task/join_handle.hpp"

namespace ringlane {
namespace detail {

template <class F>
class blocking_job final : public blocking_pool::job {
 public:
  using result_type = std::invoke_result_t<F&>;

  explicit blocking_job(F f) : fn_(std::move(f)) {}

  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<result_type>) {
        fn_();
        value_.emplace();
      } else {
        value_.emplace(fn_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    finish();
  }
  void abandon() noexcept override { finish(); }

  // Awaiter side. False when already done (do not suspend).
  bool park(waker w) {
    std::lock_guard lock(mu_);
    if (done_) return false;
    waiter_ = std::move(w);
    return true;
  }
  void unpark() noexcept {
    waker drop;
    std::lock_guard lock(mu_);
    drop = std::move(waiter_);
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  result_type take() {
    if (error_) std::rethrow_exception(error_);
    if (!value_) throw task_cancelled{};
    if constexpr (!std::is_void_v<result_type>) return std::move(*value_);
  }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  void finish() noexcept {
    waker w;
    {
      std::lock_guard lock(mu_);
      done_ = true;
      w = std::move(waiter_);
    }
    if (w) std::move(w).wake();
    release();
  }

  F fn_;
  std::optional<value_or_unit<result_type>> value_;
  std::exception_ptr error_;
  std::mutex mu_;
  waker waiter_;       // guarded by mu_
  bool done_ = false;  // guarded by mu_
  std::atomic<int> refs_{2};  // the pool's and the handle's
};

}  // namespace detail

template <class F>
class [[nodiscard]] blocking_handle {
 public:
  using job_type = detail::blocking_job<F>;
  explicit blocking_handle(job_type* j) noexcept : job_(j) {}
  blocking_handle(blocking_handle&& o) noexcept : job_(std::exchange(o.job_, nullptr)) {}
  blocking_handle& operator=(blocking_handle&&) = delete;
  ~blocking_handle() {
    if (job_) job_->release();
  }

  auto operator co_await() noexcept {
    struct awaiter {
      job_type* job;
      bool parked = false;
      ~awaiter() {
        if (parked) job->unpark();
      }
      bool await_ready() { return job->done(); }
      bool await_suspend(std::coroutine_handle<> h) {
        parked = job->park(this_task::park(h));
        return parked;
      }
      typename job_type::result_type await_resume() {
        parked = false;
        return job->take();
      }
    };
    return awaiter{job_};
  }

 private:
  job_type* job_;
};

template <class F>
blocking_handle<std::decay_t<F>> spawn_blocking(F&& f) {
  auto* j = new detail::blocking_job<std::decay_t<F>>(std::forward<F>(f));
  detail::current_scheduler().blocking().submit(j);
  return blocking_handle<std::decay_t<F>>{j};
}

}  // namespace ringlane
