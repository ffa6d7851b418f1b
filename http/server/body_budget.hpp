// body_budget.hpp -- a cap on the request-body bytes buffered over all of a
// server's connections (internal).
//
//   body_budget bodies(1 << 30);          // in the server's core, shared
//   body_budget::hold h(&bodies);         // one per connection
//   if (!h.grow_to(head.content_length))  // Expect: 100-continue: whole, at the head
//     -> 503 Retry-After, close
//   if (!h.grow_to(body.size()))          // otherwise: as the body arrives
//     -> 503 Retry-After, close
//   h.release();                          // the message is done
//
// WebSocket sessions share it too: the message so far and the part of a
// data frame's payload that arrived are held (ws/websocket.cpp), and a
// message that does not fit ends the session with 1013 (try again later).
//
// max_body bounds one request; this bounds them all together. Without it,
// 10,000 clients that each start a 1 MiB upload ask for 10 GiB at once
// (nginx spills such bodies to disk; we refuse the ones that do not fit and
// the client may retry). What is held is what arrived, never what a head
// or frame header announces: a stalled client holds only its bytes. A
// client waiting for 100 Continue is the exception (its refusal comes
// instead of the 100). Lock-free: a compare-exchange loop to grow,
// a fetch_sub to release; any worker may do either.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace ringlane::http::detail {

class body_budget {
 public:
  explicit body_budget(std::uint64_t cap) noexcept : cap_(cap) {}
  body_budget(const body_budget&) = delete;
  body_budget& operator=(const body_budget&) = delete;

  // What one connection holds for its current message. A hold without a
  // budget (nullptr) tracks nothing and always fits.
  class hold {
   public:
    explicit hold(body_budget* b) noexcept : budget_(b) {}
    hold(hold&& o) noexcept : budget_(o.budget_), held_(std::exchange(o.held_, 0)) {}
    hold& operator=(hold&& o) noexcept {
      if (this != &o) {
        release();
        budget_ = o.budget_;
        held_ = std::exchange(o.held_, 0);
      }
      return *this;
    }
    ~hold() { release(); }

    // Holds `n` bytes in all if that fits (true at once when it holds that much already);
    // false, holding what it held, when the budget has no room for the rest.
    // The common case (no body, or a body already held) is one comparison
    // inlined into the connection loop; growing is a call.
    [[gnu::always_inline]] bool grow_to(std::uint64_t n) noexcept { return n <= held_ || grow(n); }
    void release() noexcept {
      if (held_ == 0) return;
      if (budget_ != nullptr) budget_->used_.fetch_sub(held_, std::memory_order_relaxed);
      held_ = 0;
    }

   private:
    [[gnu::noinline]] bool grow(std::uint64_t n) noexcept {
      if (budget_ != nullptr && !budget_->take(n - held_)) return false;
      held_ = n;
      return true;
    }

    body_budget* budget_;
    std::uint64_t held_ = 0;
  };

  std::uint64_t in_use() const noexcept { return used_.load(std::memory_order_relaxed); }

 private:
  bool take(std::uint64_t n) noexcept {
    std::uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > cap_ - used) return false;  // used <= cap_ always
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }

  const std::uint64_t cap_;
  std::atomic<std::uint64_t> used_{0};
};

}  // namespace ringlane::http::detail
