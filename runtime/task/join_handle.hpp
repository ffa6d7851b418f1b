// join_handle.hpp -- spawned_task<T> (the heap object behind a spawn) and
// join_handle<T> (the caller's side of it).
//
// Joining, without locks (state bits are documented in header.hpp):
//
//   joiner (await_suspend)                 completer (worker finishing t)
//   ---------------------                  -----------------------------
//   if COMPLETE: don't suspend             prev = state |= COMPLETE
//   join_waiter = park(h)                  if prev has JOIN_WAKER:
//   CAS state: +JOIN_WAKER unless COMPLETE     wake join_waiter
//     failed on COMPLETE: drop the waker,
//     don't suspend
//
// Whoever sets its bit first decides who owns `join_waiter`: before
// JOIN_WAKER is set only the joiner touches it, afterwards only the
// completer. A joiner destroyed while waiting (its own task was aborted)
// takes its waker back by clearing JOIN_WAKER, unless COMPLETE came first.
//
// Dropping a join_handle detaches the task (it keeps running); abort()
// requests cancellation: the task's frames are destroyed at its next
// scheduling, and joining it throws task_cancelled.
#pragma once

#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include "runtime/task/task.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane {

// Thrown when joining a task that was aborted before it finished.
class task_cancelled : public std::runtime_error {
 public:
  task_cancelled() : std::runtime_error("task was cancelled") {}
};

namespace detail {

void log_detached_error(std::uint64_t id, const std::exception_ptr& e) noexcept;
// Sets CANCELLED and wakes the task (through a fresh reference).
void request_abort(task_header* t) noexcept;
// Drops the join handle: its interest and its reference; logs an
// unobserved failure.
void drop_join_handle(task_header* t, bool result_taken) noexcept;

template <class T>
struct spawned_task final : task_header, pooled_frame {
  task<T> body;
  // Filled when the body finishes, just before COMPLETE is published; the
  // body frame is destroyed right then (its parameters' destructors run on
  // the completing worker, not whenever the last reference goes).
  std::optional<value_or_unit<T>> value;
  std::exception_ptr error;

  explicit spawned_task(task<T>&& b) noexcept : body(std::move(b)) {
    resume_point = body.handle();
    vt = &vtable;
  }

  static bool body_done(task_header* h) noexcept { return self(h)->body.done(); }
  static void drop_body(task_header* h) noexcept {
    auto* s = self(h);
    if (s->body.done()) {
      try {
        if constexpr (std::is_void_v<T>) {
          s->body.handle().promise().take();
          s->value.emplace();
        } else {
          s->value.emplace(s->body.handle().promise().take());
        }
      } catch (...) {
        s->error = std::current_exception();
      }
    }
    s->body = task<T>{};
  }
  static bool has_error(task_header* h) noexcept { return self(h)->error != nullptr; }
  static void log_error(task_header* h) noexcept {
    auto* s = self(h);
    if (s->error) log_detached_error(s->id, s->error);
  }
  static void deallocate(task_header* h) noexcept { delete self(h); }
  static spawned_task* self(task_header* h) noexcept { return static_cast<spawned_task*>(h); }

  // Result for the joiner: value, the body's exception, or task_cancelled.
  T take() {
    if (error) std::rethrow_exception(error);
    if (!value) throw task_cancelled{};
    if constexpr (!std::is_void_v<T>) return std::move(*value);
  }

  static constexpr task_vtable vtable{&body_done, &drop_body, &has_error, &log_error, &deallocate};
};

}  // namespace detail

template <class T>
class [[nodiscard]] join_handle {
 public:
  join_handle() noexcept = default;
  explicit join_handle(detail::spawned_task<T>* t) noexcept : t_(t) {}  // adopts a reference
  join_handle(join_handle&& o) noexcept : t_(std::exchange(o.t_, nullptr)), taken_(o.taken_) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      t_ = std::exchange(o.t_, nullptr);
      taken_ = o.taken_;
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  bool valid() const noexcept { return t_ != nullptr; }
  bool is_finished() const noexcept {
    return t_ && (t_->state.load(std::memory_order_acquire) & detail::task_state::complete);
  }
  std::uint64_t id() const noexcept { return t_ ? t_->id : 0; }

  // Requests cancellation. The task stops at its current suspension point
  // (its frames are destroyed on the worker that runs it next); a task that
  // already finished keeps its result.
  void abort() const noexcept {
    if (t_) detail::request_abort(t_);
  }

  // Lets the task run on without anyone waiting for it.
  void detach() noexcept { reset(); }

  // Waits for the task; returns its value, rethrows its exception, or throws
  // task_cancelled. Await at most once.
  auto operator co_await() & noexcept { return awaiter{this}; }
  auto operator co_await() && noexcept { return awaiter{this}; }

  // For combinators: the result once is_finished() is true.
  T take_result() {
    taken_ = true;
    return t_->take();
  }

  detail::task_header* header() const noexcept { return t_; }

  struct awaiter {
    join_handle* jh;
    bool suspended = false;

    awaiter(join_handle* j) noexcept : jh(j) {}
    awaiter(awaiter&& o) noexcept : jh(o.jh), suspended(std::exchange(o.suspended, false)) {}
    ~awaiter() {
      if (suspended) cancel_wait(jh->t_);
    }

    bool await_ready() const noexcept { return jh->is_finished(); }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      suspended = register_waiter(jh->t_, this_task::park(h));
      return suspended;
    }
    T await_resume() {
      suspended = false;
      return jh->take_result();
    }
  };

  // Stores `w` as the joiner of `t`. False when `t` completed first (the
  // waker is dropped and the caller must not suspend).
  static bool register_waiter(detail::task_header* t, waker w) noexcept;
  // Withdraws a registered joiner (the joining frame is being destroyed).
  static void cancel_wait(detail::task_header* t) noexcept;

 private:
  void reset() noexcept {
    if (auto* t = std::exchange(t_, nullptr)) detail::drop_join_handle(t, taken_);
  }

  detail::spawned_task<T>* t_ = nullptr;
  bool taken_ = false;
};

namespace detail {
bool register_join_waiter(task_header* t, waker w) noexcept;
void cancel_join_wait(task_header* t) noexcept;
}  // namespace detail

template <class T>
bool join_handle<T>::register_waiter(detail::task_header* t, waker w) noexcept {
  return detail::register_join_waiter(t, std::move(w));
}
template <class T>
void join_handle<T>::cancel_wait(detail::task_header* t) noexcept {
  detail::cancel_join_wait(t);
}

}  // namespace ringlane
