// task_budget.hpp -- a process-wide cap on the tasks a handler keeps alive.
//
//   demo::task_budget& b = ...;              // one per kind of work, shared
//   std::optional<demo::task_budget::ticket> t = b.take(n);
//   if (!t) { /* 503: the process is at its cap; try again later */ }
//
// A handler that spawns many tasks per request takes a ticket for them first
// and stores it next to the state its tasks share, so the ticket is given
// back when the last task is done -- even when the client left early and the
// tasks ran on, detached. Without a cap, a crowd of clients (or clients that
// leave and come back) grows the process's memory without bound.
//
// Lock-free: take() is one compare-exchange loop; a ticket's destructor is
// one fetch_sub. Any worker may take and return.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

namespace demo {

class task_budget {
 public:
  // Gives its tasks back when destroyed. Move-only.
  class ticket {
   public:
    ticket(ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), count_(o.count_) {}
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (owner_) owner_->used_.fetch_sub(count_, std::memory_order_relaxed);
    }
    std::uint64_t count() const noexcept { return count_; }

   private:
    friend class task_budget;
    ticket(task_budget* owner, std::uint64_t count) noexcept : owner_(owner), count_(count) {}
    task_budget* owner_;
    std::uint64_t count_;
  };

  explicit task_budget(std::uint64_t cap) noexcept : cap_(cap) {}
  task_budget(const task_budget&) = delete;
  task_budget& operator=(const task_budget&) = delete;

  // A ticket for `n` tasks, or nullopt when fewer than `n` are left.
  std::optional<ticket> take(std::uint64_t n) noexcept {
    std::uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > cap_ - used) return std::nullopt;  // used <= cap_ always
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return ticket(this, n);
  }

  std::uint64_t cap() const noexcept { return cap_; }
  std::uint64_t in_use() const noexcept { return used_.load(std::memory_order_relaxed); }

 private:
  const std::uint64_t cap_;
  std::atomic<std::uint64_t> used_{0};
};

}  // namespace demo
