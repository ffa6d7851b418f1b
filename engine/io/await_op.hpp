// await_op.hpp -- awaiting one single-shot operation.
//
//   completion c = co_await engine::submit(std::move(op));   // c.res: bytes or -errno
//
// The awaiter owns the op until it completes. await_ready starts it (the
// epoll backend may finish it right there: no suspension at all); otherwise
// the task parks bound to this worker, and the backend's completion wakes
// it. If the awaiter is destroyed first (the task was aborted, a timeout
// fired), the op is orphaned and cancelled; the backend deletes it when its
// completion arrives (op.hpp, "Lifecycle").
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "engine/io/io_context.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane::engine {

// What an awaited op yields by default: a copy of its completion record.
struct completion {
  std::int32_t res;
  std::uint32_t flags;
  std::uint16_t buffer_id;
};
struct extract_completion {
  completion operator()(const op_base& op) const noexcept { return {op.res, op.flags, op.buffer_id}; }
};

// `Extract` turns the finished op into the awaited value (it runs before the
// op is freed, so it may copy out op-owned memory such as a peer address).
template <class Extract = extract_completion>
class [[nodiscard]] op_awaiter {
 public:
  explicit op_awaiter(std::unique_ptr<op_base> op) noexcept : op_(op.release()) {}
  op_awaiter(op_awaiter&& o) noexcept : op_(std::exchange(o.op_, nullptr)), io_(o.io_) {}

  // Fails the op with -ETIMEDOUT after `d` (op.hpp, link_timeout_ns).
  op_awaiter&& within(std::chrono::nanoseconds d) && noexcept {
    op_->link_timeout_ns = d.count() > 0 ? d.count() : 1;
    return std::move(*this);
  }
  op_awaiter& operator=(op_awaiter&&) = delete;
  ~op_awaiter() { release(); }

  bool await_ready() {
    io_ = current_io();
    if (!io_) {
      std::fprintf(stderr, "ringlane: I/O operation %s outside an engine worker\n", to_string(op_->code));
      std::abort();
    }
    if (io_->start(*op_)) {
      op_->state = op_state::done;
      return true;
    }
    op_->state = op_state::in_flight;
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    op_->waiter = this_task::park(h, park_binding::this_worker);
    if (op_->link_timeout_ns > 0 && io_->kind() != backend_kind::uring) {
      // No linked timeouts in the kernel: the worker's wheel cancels the op.
      deadline_.io = io_;
      deadline_.op = op_;
      deadline_.wheel = &detail::worker_wheel();  // this worker's: the task is bound here
      deadline_.wheel->insert(deadline_,
                              detail::to_wheel_ms(detail::worker_now() + std::chrono::nanoseconds(op_->link_timeout_ns)));
    }
  }
  auto await_resume() noexcept {
    disarm();
    if (deadline_.fired && op_->res == -ECANCELED) op_->res = -ETIMEDOUT;
    return Extract{}(*op_);
  }

 private:
  // A wheel entry that cancels the op when its deadline passes.
  struct deadline_timer : detail::timer_entry {
    io_context* io = nullptr;
    op_base* op = nullptr;
    detail::timer_wheel* wheel = nullptr;
    bool fired = false;
    deadline_timer() noexcept : detail::timer_entry(&fire) {}
    static void fire(detail::timer_entry& e) noexcept {
      auto& d = static_cast<deadline_timer&>(e);
      d.fired = true;
      d.io->cancel(*d.op);
    }
  };

  void disarm() noexcept {
    if (deadline_.armed()) deadline_.wheel->cancel(deadline_);
  }

  void release() noexcept {
    disarm();
    op_base* op = std::exchange(op_, nullptr);
    if (!op) return;
    if (op->state == op_state::in_flight) {
      op->state = op_state::orphaned;
      op->waiter = waker{};
      io_->cancel(*op);  // the backend deletes it with its completion
      return;
    }
    delete op;
  }

  op_base* op_;
  io_context* io_ = nullptr;
  deadline_timer deadline_;
};

template <class Extract = extract_completion>
op_awaiter<Extract> submit(std::unique_ptr<op_base> op) noexcept {
  return op_awaiter<Extract>(std::move(op));
}

}  // namespace ringlane::engine
