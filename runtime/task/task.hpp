// task.hpp -- task<T>: a lazy coroutine that produces one T.
//
// Protocol
//   1. Calling a task coroutine allocates its frame (frame_pool) and suspends
//      at initial_suspend: nothing runs until the task is awaited or spawned.
//   2. `co_await t` stores the awaiting coroutine as t's continuation and
//      transfers control to t (symmetric transfer: a tail call, no stack
//      growth; that is why GCC builds keep -foptimize-sibling-calls).
//   3. When t finishes, final_suspend transfers control back to the
//      continuation, or to std::noop_coroutine() when there is none (a spawned
//      task's body: the worker that resumed it sees handle.done()).
//   4. The result, or the exception that escaped the body, is stored in the
//      promise; await_resume returns the value or rethrows.
//   5. The task object owns the frame: destroying a task destroys its frame,
//      and with it every task object the frame holds (a whole suspended
//      chain can be destroyed from its root -- that is how abort works).
//
// A task<T> is move-only and must be awaited at most once, as an rvalue.
//
// Lifetime rules for task coroutines (C++ Core Guidelines CP.51/CP.53): take
// arguments by value when the task may be stored or spawned rather than
// awaited at once, never make a capturing lambda a coroutine, and bind
// temporaries to named locals before co_await (GCC PR 95599).
#pragma once

#include <coroutine>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "runtime/task/frame_pool.hpp"

namespace ringlane {

template <class T = void>
class task;

namespace detail {

// Promise-level allocation hooks shared by every ringlane coroutine type.
struct pooled_frame {
  static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { frame_pool::deallocate(p, size); }
};

// Transfers to the continuation when the coroutine finishes.
struct final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    if (auto c = h.promise().continuation) return c;
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct task_promise_base : pooled_frame {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  void rethrow_if_error() const {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct task_promise final : task_promise_base {
  // The value is constructed only by co_return; a union keeps T free of any
  // default-constructibility requirement.
  union {
    T value;
  };
  bool has_value = false;

  task_promise() noexcept {}
  ~task_promise() {
    if (has_value) value.~T();
  }

  task<T> get_return_object() noexcept;

  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(std::addressof(value))) T(std::forward<U>(v));
    has_value = true;
  }

  T take() {
    rethrow_if_error();
    return std::move(value);
  }
};

template <>
struct task_promise<void> final : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const { rethrow_if_error(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : handle_(h) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle_type child;
      bool await_ready() const noexcept { return !child || child.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
        child.promise().continuation = parent;
        return child;
      }
      T await_resume() { return child.promise().take(); }
    };
    return awaiter{handle_};
  }

  // For the scheduler: the raw frame. The task keeps ownership.
  handle_type handle() const noexcept { return handle_; }

  // Gives up ownership of the frame; the caller must destroy it.
  handle_type release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  void reset() noexcept {
    if (handle_) std::exchange(handle_, nullptr).destroy();
  }

  handle_type handle_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

// The type a task's result is stored as where void cannot be (optional,
// variant): `unit` stands for "completed with no value".
struct unit {
  friend bool operator==(unit, unit) noexcept = default;
};
template <class T>
using value_or_unit = std::conditional_t<std::is_void_v<T>, unit, T>;

}  // namespace ringlane
