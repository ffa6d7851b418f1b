// child.hpp -- the building blocks of the combinators: child tasks that die
// with their parent, and awaiters that wait for children to finish.
//
// Combinators (when_all, when_any, timeout, task_group) run each operand as
// a spawned child task, so that the operands really run concurrently (each
// has its own resume point) and can be cancelled one by one. A child:
//   * is pinned to the parent's worker when the parent is pinned, and
//     stealable otherwise (it inherits the parent's placement);
//   * is aborted when its scoped_child handle is destroyed unfinished (the
//     parent itself was cancelled, or the combinator returned early);
//   * is awaited to completion by combinators before they return, so no
//     child outlives the combinator's co_await (the "losers are cancelled
//     and awaited" rule: their frames may own memory the kernel writes).
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "runtime/runtime.hpp"
#include "runtime/task/join_handle.hpp"

namespace ringlane::detail {

template <class T>
class scoped_child {
 public:
  explicit scoped_child(join_handle<T> h) noexcept : h_(std::move(h)) {}
  scoped_child(scoped_child&&) noexcept = default;
  scoped_child& operator=(scoped_child&&) noexcept = default;
  ~scoped_child() {
    if (h_.valid() && !h_.is_finished()) h_.abort();
  }
  join_handle<T>& handle() noexcept { return h_; }
  task_header* header() const noexcept { return h_.header(); }

 private:
  join_handle<T> h_;
};

// Spawns `t` where the current task runs (see the file comment).
template <class T>
scoped_child<T> spawn_child(task<T> t) {
  task_header* self = current_task();
  if (self && !self->stealable()) return scoped_child<T>(spawn_pinned(std::move(t)));
  return scoped_child<T>(spawn(std::move(t)));
}

inline bool is_complete(const task_header* t) noexcept {
  return t->state.load(std::memory_order_acquire) & task_state::complete;
}

// Waits until `child` is complete (finished or cancelled); takes no result.
class wait_complete {
 public:
  explicit wait_complete(task_header* child) noexcept : child_(child) {}
  wait_complete(const wait_complete&) = delete;
  ~wait_complete() {
    if (registered_) cancel_join_wait(child_);
  }
  bool await_ready() const noexcept { return is_complete(child_); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    registered_ = register_join_waiter(child_, this_task::park(h));
    return registered_;
  }
  void await_resume() noexcept { registered_ = false; }  // the completer consumed it

 private:
  task_header* child_;
  bool registered_ = false;
};

// Waits until at least one of `children` is complete. The task's waker is
// registered as joiner of every child still running; the registrations are
// withdrawn on resume and on destruction.
class any_complete {
 public:
  explicit any_complete(std::span<task_header* const> children) noexcept : children_(children) {}
  any_complete(const any_complete&) = delete;
  ~any_complete() { withdraw(); }

  bool await_ready() const noexcept { return first_complete() < children_.size(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    waker w = this_task::park(h);
    registered_ = true;
    for (task_header* c : children_) {
      if (!register_join_waiter(c, w.clone())) {
        withdraw();  // one finished meanwhile: do not sleep
        return false;
      }
    }
    return true;
  }
  void await_resume() noexcept { withdraw(); }

  // Index of the lowest-numbered complete child, or size() if none.
  std::size_t first_complete() const noexcept {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (is_complete(children_[i])) return i;
    }
    return children_.size();
  }

 private:
  void withdraw() noexcept {
    if (!registered_) return;
    registered_ = false;
    for (task_header* c : children_) cancel_join_wait(c);
  }

  std::span<task_header* const> children_;
  bool registered_ = false;
};

}  // namespace ringlane::detail
