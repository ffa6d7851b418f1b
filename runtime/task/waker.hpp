// waker.hpp -- how a suspended task is woken, and the one way to suspend.
//
// Every awaiter that suspends a ringlane task calls this_task::park(h) from
// its await_suspend. park() records h as the point to resume and returns a
// waker: an owning reference to the task. Later, any thread calls
// std::move(w).wake() and the task is queued on a worker, which resumes h.
//
// Rules for awaiters (the scheduler relies on them):
//   * Never resume a coroutine handle directly; always go through a waker.
//     Only the worker that holds the task RUNNING may resume it.
//   * After publishing the waker (to a waiter list, another thread, ...) do
//     not touch the coroutine frame in await_suspend: the task may already be
//     running elsewhere.
//   * An awaiter must be destructible while parked: a task can be aborted at
//     any suspension point, which destroys its frames. The destructor takes
//     its registration back (unlinks from the waiter list, cancels its timer).
//   * Pass park_binding::this_worker when the task is parked on something
//     owned by this worker (its timer wheel, its ring). Whatever wakes the
//     task, it then runs on this worker first, so the awaiter's destructor or
//     await_resume can touch that resource on its owner thread.
#pragma once

#include <coroutine>
#include <cstdint>
#include <utility>

#include "runtime/task/header.hpp"

namespace ringlane {

class waker {
 public:
  waker() noexcept = default;
  // Adopts a reference to `t`, for the park of generation `gen`.
  waker(detail::task_header* t, std::uint32_t gen) noexcept : t_(t), gen_(gen) {}
  waker(waker&& o) noexcept : t_(std::exchange(o.t_, nullptr)), gen_(o.gen_) {}
  waker& operator=(waker&& o) noexcept {
    if (this != &o) {
      drop();
      t_ = std::exchange(o.t_, nullptr);
      gen_ = o.gen_;
    }
    return *this;
  }
  waker(const waker&) = delete;
  waker& operator=(const waker&) = delete;
  ~waker() { drop(); }

  waker clone() const noexcept {
    if (t_) t_->ref();
    return waker{t_, gen_};
  }

  explicit operator bool() const noexcept { return t_ != nullptr; }

  // Gives up the reference (for slots that store it untyped, like
  // task_header::join_waiter); waker{ptr, gen} adopts it back.
  detail::task_header* into_raw() && noexcept { return std::exchange(t_, nullptr); }
  std::uint32_t generation() const noexcept { return gen_; }
  bool wakes(const detail::task_header* t) const noexcept { return t_ == t; }

  // Queues the task for running -- unless it is already queued, complete, or
  // has parked again since this waker was made (a stale wake-up is dropped)
  // -- and gives up this reference.
  void wake() && noexcept;
  // Same, keeping the reference.
  void wake_by_ref() const noexcept;

 private:
  void drop() noexcept {
    if (auto* t = std::exchange(t_, nullptr)) t->release();
  }
  detail::task_header* t_ = nullptr;
  std::uint32_t gen_ = 0;
};

enum class park_binding { free, this_worker };

namespace this_task {

// Records `h` as the current task's resume point and returns a waker for it.
// Must be called from await_suspend inside a ringlane task.
waker park(std::coroutine_handle<> h, park_binding binding = park_binding::free) noexcept;

// Identifier of the running task (0 outside tasks).
std::uint64_t id() noexcept;

}  // namespace this_task
}  // namespace ringlane
