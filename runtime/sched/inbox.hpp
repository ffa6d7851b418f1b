// inbox.hpp -- a worker's multi-producer, single-consumer inbox.
//
// Tasks that must run on one particular worker (pinned tasks, and tasks
// parked on a resource that worker owns) are pushed here by other threads.
// It is a Treiber stack: producers CAS the new task onto `top_`; the owner
// takes the whole stack with one exchange and reverses it, restoring FIFO
// order. Because the consumer only ever takes everything at once, the ABA
// problem of Treiber pops does not arise.
//
// Ordering: push uses seq_cst on success so that it is totally ordered with
// the owner's seq_cst store of its `parked` flag (see worker.cpp, "park"):
// either the producer sees parked == true and unparks, or the owner sees the
// pushed task when it re-checks the inbox before sleeping. The owner's
// exchange is acquire: it sees the tasks' contents written before push.
#pragma once

#include <atomic>

#include "runtime/task/header.hpp"

namespace ringlane::detail {

class inbox {
 public:
  void push(task_header* t) noexcept {
    task_header* top = top_.load(std::memory_order_relaxed);
    do {
      t->next = top;
    } while (!top_.compare_exchange_weak(top, t, std::memory_order_seq_cst, std::memory_order_relaxed));
  }

  // Owner only: everything pushed so far, oldest first.
  task_header* take_all() noexcept {
    task_header* t = top_.exchange(nullptr, std::memory_order_acquire);
    task_header* fifo = nullptr;
    while (t) {
      task_header* n = t->next;
      t->next = fifo;
      fifo = t;
      t = n;
    }
    return fifo;
  }

  bool is_empty() const noexcept { return top_.load(std::memory_order_seq_cst) == nullptr; }

 private:
  std::atomic<task_header*> top_{nullptr};
};

}  // namespace ringlane::detail
