// oneshot.hpp -- a channel for exactly one value (Tokio's oneshot).
//
//   auto [tx, rx] = ringlane::oneshot::channel<int>();
//   spawn(compute(std::move(tx)));          // compute() calls tx.send(42)
//   std::optional<int> v = co_await rx;     // nullopt: sender dropped unsent
//
// State. One std::mutex (state::mu) guards every field of the shared state;
// there are no atomics here. The value moves sender -> state -> receiver, each
// step under mu. At most one task waits on each side, so each side has a
// single waker slot instead of a list:
//   rx_waker   the task in `co_await rx`; taken by send() or by the sender's
//              destruction, cleared by its awaiter's destructor
//   tx_waker   the task in `co_await tx.closed()`; taken when the receiver
//              closes or goes away, cleared by its awaiter's destructor
// Wakers are moved out under mu and woken after unlock (the woken task locks
// mu first thing; the scheduler's locks never nest inside ours).
//
// Lifecycle:
//   event                     | sender                   | receiver
//   --------------------------+--------------------------+-----------------------
//   tx.send(v)                | returns true; the sender | gets v (now, or when
//                             | is spent                 | it awaits)
//   sender dropped unsent     | --                       | gets nullopt
//   rx.close() / rx dropped   | send() returns false and | a value sent before
//                             | drops v; is_closed();    | close() can still be
//                             | closed() completes       | taken (close() only)
//
// Cancellation: an awaiter destroyed while parked (task aborted) only clears
// its slot. A value that arrived meanwhile stays in the shared state, so a
// receiver that outlives the aborted await still gets it.
#pragma once

#include <coroutine>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "runtime/task/waker.hpp"

namespace ringlane::oneshot {

enum class recv_status { value, empty, closed };

template <class T>
struct [[nodiscard]] try_recv_result {
  recv_status status = recv_status::empty;
  std::optional<T> value;  // engaged iff status == value
  explicit operator bool() const noexcept { return status == recv_status::value; }
};

namespace detail {

template <class T>
struct state {
  std::mutex mu;
  // ---- guarded by mu ----
  std::optional<T> value;
  bool tx_done = false;    // sent, or the sender is gone
  bool rx_closed = false;  // close() called or receiver gone
  waker rx_waker;
  waker tx_waker;

  // Receiver side: true when finished (a value, or none can ever come).
  bool take(std::optional<T>& out) {
    if (value) {
      out.emplace(std::move(*value));
      value.reset();
      return true;
    }
    return tx_done || rx_closed;
  }
};

// Shared by both sides' awaiters: drops the waker in `slot` if it is still
// there (the other side did not take it).
template <class T>
void clear_slot(state<T>& s, waker state<T>::*slot) noexcept {
  waker mine;  // released after the unlock
  std::lock_guard lock(s.mu);
  mine = std::move(s.*slot);
}

}  // namespace detail

template <class T>
class receiver;

template <class T>
class sender {
 public:
  class [[nodiscard]] closed_awaiter;

  sender(sender&&) noexcept = default;
  sender& operator=(sender&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~sender() { release(); }

  // Delivers `value`; false (and `value` is dropped) when the receiver is
  // closed or gone, or this sender was already used. The sender is spent
  // either way.
  bool send(T value) {
    if (!s_) return false;
    auto s = std::move(s_);
    waker rx;
    {
      std::lock_guard lock(s->mu);
      s->tx_done = true;
      if (s->rx_closed) return false;  // `value` dies after the unlock
      s->value.emplace(std::move(value));
      rx = std::move(s->rx_waker);
    }
    if (rx) std::move(rx).wake();
    return true;
  }

  // True once the receiver closed or went away (a spent sender: true).
  bool is_closed() const {
    if (!s_) return true;
    std::lock_guard lock(s_->mu);
    return s_->rx_closed;
  }

  // Completes when the receiver closes or goes away. One waiter at a time.
  closed_awaiter closed() noexcept { return closed_awaiter(s_.get()); }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel();
  explicit sender(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  void release() noexcept {
    if (!s_) return;
    waker rx;
    {
      std::lock_guard lock(s_->mu);
      s_->tx_done = true;  // unsent: the receiver gets nullopt
      rx = std::move(s_->rx_waker);
    }
    if (rx) std::move(rx).wake();
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

template <class T>
class [[nodiscard]] sender<T>::closed_awaiter {
 public:
  explicit closed_awaiter(detail::state<T>* s) noexcept : s_(s) {}
  closed_awaiter(const closed_awaiter&) = delete;
  closed_awaiter& operator=(const closed_awaiter&) = delete;
  ~closed_awaiter() {
    if (parked_) detail::clear_slot(*s_, &detail::state<T>::tx_waker);
  }

  bool await_ready() const noexcept { return s_ == nullptr; }  // spent sender
  bool await_suspend(std::coroutine_handle<> h) {
    std::lock_guard lock(s_->mu);
    if (s_->rx_closed) return false;
    s_->tx_waker = this_task::park(h);
    parked_ = true;
    return true;  // published: `this` is not touched after the unlock
  }
  void await_resume() noexcept { parked_ = false; }

 private:
  detail::state<T>* s_;
  bool parked_ = false;  // owner-task only
};

template <class T>
class receiver {
 public:
  class [[nodiscard]] awaiter;

  receiver(receiver&&) noexcept = default;
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~receiver() { release(); }

  // `co_await rx`: the value, or nullopt if the sender went away unsent (or
  // the value was already taken). One await at a time.
  awaiter operator co_await() & noexcept { return awaiter(s_.get()); }
  awaiter operator co_await() && noexcept { return awaiter(s_.get()); }

  try_recv_result<T> try_recv() {
    try_recv_result<T> r;
    std::lock_guard lock(s_->mu);
    if (s_->take(r.value)) r.status = r.value ? recv_status::value : recv_status::closed;
    return r;
  }

  // Refuses the value from now on (send() returns false); one sent before
  // can still be taken.
  void close() noexcept {
    waker tx;
    {
      std::lock_guard lock(s_->mu);
      s_->rx_closed = true;
      tx = std::move(s_->tx_waker);
    }
    if (tx) std::move(tx).wake();
  }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel();
  explicit receiver(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  void release() noexcept {
    if (!s_) return;
    close();
    std::optional<T> unread;  // destroyed after the unlock
    {
      std::lock_guard lock(s_->mu);
      unread.swap(s_->value);
    }
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

template <class T>
class [[nodiscard]] receiver<T>::awaiter {
 public:
  explicit awaiter(detail::state<T>* s) noexcept : s_(s) {}
  awaiter(const awaiter&) = delete;
  awaiter& operator=(const awaiter&) = delete;
  ~awaiter() {
    if (parked_) detail::clear_slot(*s_, &detail::state<T>::rx_waker);
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    std::lock_guard lock(s_->mu);
    if (s_->take(value_)) return false;
    s_->rx_waker = this_task::park(h);
    parked_ = true;
    return true;  // published: `this` is not touched after the unlock
  }
  std::optional<T> await_resume() {
    if (parked_) {
      // Woken by send() or by the sender leaving: take() finishes.
      std::lock_guard lock(s_->mu);
      s_->take(value_);
      parked_ = false;
    }
    return std::move(value_);
  }

 private:
  detail::state<T>* s_;
  std::optional<T> value_;
  bool parked_ = false;  // owner-task only
};

template <class T>
std::pair<sender<T>, receiver<T>> channel() {
  auto s = std::make_shared<detail::state<T>>();
  return {sender<T>(s), receiver<T>(s)};
}

}  // namespace ringlane::oneshot
