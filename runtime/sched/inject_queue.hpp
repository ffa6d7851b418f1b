// inject_queue.hpp -- the global queue: stealable tasks spawned or woken from
// outside any worker, and the overflow of full local queues.
//
// A mutex around an intrusive FIFO (task_header::next). It is touched rarely
// on the hot path: workers look here every `global_queue_interval` ticks, or
// when their own queues are empty, and then take a batch. `len_` lets them
// skip the lock when the queue is empty (a relaxed read may be stale; a stale
// zero only delays the task to the next check, and parking re-checks under
// the idle protocol).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "runtime/task/header.hpp"

namespace ringlane::detail {

class inject_queue {
 public:
  void push(task_header* t) noexcept {
    t->next = nullptr;
    push_batch(t, t, 1);
  }

  // Appends an already linked chain first..last of `n` tasks.
  void push_batch(task_header* first, task_header* last, std::uint32_t n) noexcept {
    std::lock_guard lock(mu_);
    last->next = nullptr;
    if (tail_) tail_->next = first; else head_ = first;
    tail_ = last;
    len_.store(len_.load(std::memory_order_relaxed) + n, std::memory_order_seq_cst);
  }

  // Takes up to `max` tasks as a linked chain; returns the first (or null).
  task_header* pop_batch(std::uint32_t max, std::uint32_t& taken) noexcept {
    taken = 0;
    if (is_empty()) return nullptr;
    std::lock_guard lock(mu_);
    task_header* first = head_;
    task_header* last = nullptr;
    while (head_ && taken < max) {
      last = head_;
      head_ = head_->next;
      ++taken;
    }
    if (!head_) tail_ = nullptr;
    if (last) last->next = nullptr;
    len_.store(len_.load(std::memory_order_relaxed) - taken, std::memory_order_seq_cst);
    return taken ? first : nullptr;
  }

  bool is_empty() const noexcept { return len_.load(std::memory_order_seq_cst) == 0; }
  std::uint32_t len() const noexcept { return len_.load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  task_header* head_ = nullptr;  // guarded by mu_
  task_header* tail_ = nullptr;  // guarded by mu_
  std::atomic<std::uint32_t> len_{0};  // written under mu_, read anywhere
};

}  // namespace ringlane::detail
