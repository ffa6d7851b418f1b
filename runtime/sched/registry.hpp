// registry.hpp -- the list of live tasks a worker owns.
//
// Shutdown must destroy every unfinished task, including those parked
// nowhere the scheduler can see (in a channel's waiter list, on a timer, on a
// join). So every spawned task is linked into exactly one list from spawn to
// completion:
//
//   spawned on worker W          -> W's task_list (owner-only, no lock)
//   spawned from another thread  -> the scheduler's foreign list (mutex)
//
// A task spawned on W may finish on X (it was stolen). X must not touch W's
// list, so it takes one extra reference and pushes the task onto W's
// `remote_done` stack (a Treiber stack, like the inbox); W unlinks and
// releases it the next time it polls its driver or parks. Until then the
// finished header (not its frame: that is already destroyed) stays
// allocated. The common case -- a task finishing where it was spawned -- is
// two plain pointer updates and no atomic operation.
#pragma once

#include <atomic>

#include "runtime/task/header.hpp"

namespace ringlane::detail {

// Intrusive doubly linked list over task_header::owned_prev/owned_next. Not
// thread-safe: the owner serialises access.
class task_list {
 public:
  void push_front(task_header* t) noexcept {
    t->owned_prev = nullptr;
    t->owned_next = head_;
    if (head_) head_->owned_prev = t;
    head_ = t;
  }
  void unlink(task_header* t) noexcept {
    if (t->owned_prev) t->owned_prev->owned_next = t->owned_next; else head_ = t->owned_next;
    if (t->owned_next) t->owned_next->owned_prev = t->owned_prev;
    t->owned_prev = t->owned_next = nullptr;
  }
  task_header* front() const noexcept { return head_; }

 private:
  task_header* head_ = nullptr;
};

// Finished tasks handed back to their owner by other workers.
class remote_done_stack {
 public:
  // Any thread. Uses task_header::next: a finishing task is in no queue.
  void push(task_header* t) noexcept {
    task_header* top = top_.load(std::memory_order_relaxed);
    do {
      t->next = top;
    } while (!top_.compare_exchange_weak(top, t, std::memory_order_release, std::memory_order_relaxed));
  }
  // Owner only.
  task_header* take_all() noexcept {
    if (!top_.load(std::memory_order_relaxed)) return nullptr;
    return top_.exchange(nullptr, std::memory_order_acquire);
  }

 private:
  std::atomic<task_header*> top_{nullptr};
};

}  // namespace ringlane::detail
