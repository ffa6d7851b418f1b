// broadcast.hpp -- multi-producer, multi-consumer; every receiver sees every
// message (Tokio's broadcast).
//
//   auto [tx, rx] = ringlane::broadcast::channel<event>(64);
//   auto rx2 = tx.subscribe();               // sees messages sent from now on
//   tx.send(event{...});                     // never waits
//   for (;;) {
//     auto r = co_await rx.recv();
//     if (r.status == broadcast::recv_status::lagged) { note(r.skipped); continue; }
//     if (r.status == broadcast::recv_status::closed) break;   // all senders gone
//     handle(*r.value);
//   }
//
// Ring. Messages are numbered 0, 1, 2, ... in send order; `tail` is the number
// of the next one. Message i lives in slots[i % capacity] until message
// i + capacity overwrites it, so the ring holds messages [oldest, tail) with
// oldest = max(0, tail - capacity). Senders never wait for slow receivers.
// Each receiver keeps `next`, the number of the message it reads next:
//   next <  oldest   it missed (oldest - next) messages: recv returns
//                    lagged(oldest - next) and jumps to oldest (Tokio)
//   next <  tail     recv copies the message and advances (T must be copyable;
//                    senders swap new messages in, so also swappable)
//   next == tail     nothing new: closed if every sender is gone, else park
//
// Locking. One std::mutex (state::mu) guards everything shared; no atomics.
// A receiver parks by linking a recv_waiter node (inside its awaiter, in the
// coroutine frame: no allocation) into `waiters` with want = its `next`.
// It parks only when next == tail, and tail only grows, so `waiters` is
// sorted by `want`: a sender pops from the front while front.want < tail
// (the waiter has something to read), and stops at the first waiter that
// parked after the message was written. It pops at most wake_batch wakers,
// unlocks, wakes them, and relocks for the rest: wakers are never woken under
// mu, nothing is allocated, and no waiter is ever woken with nothing to read
// (a coroutine cannot re-suspend from await_resume).
//
// Closing:
//   event                 | effect
//   ----------------------+-------------------------------------------------
//   last sender destroyed | receivers read what is left (lagged first if
//                         | needed), then closed; parked receivers are woken
//   receiver destroyed    | senders only count one receiver less
//   no receivers left     | send() drops the value and returns 0 (not stored)
//
// Cancellation: a recv awaiter destroyed while parked unlinks itself. If it
// had already been popped and woken, nothing was handed to it: the message
// stays in the ring for the receiver's next recv.
//
// Values stay in the ring until overwritten or the channel is destroyed
// (Tokio drops them once every receiver has seen them; we keep it simple).
#pragma once

#include <cstddef>
#include <cstdint>
#include <coroutine>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/channel/waiter_link.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane::broadcast {

enum class recv_status { value, lagged, closed, empty };

template <class T>
struct [[nodiscard]] recv_result {
  recv_status status = recv_status::empty;
  std::optional<T> value;     // engaged iff status == value
  std::uint64_t skipped = 0;  // status == lagged: messages this receiver lost
  explicit operator bool() const noexcept { return status == recv_status::value; }
};

namespace detail {

using link = ringlane::detail::waiter_link;  // channel/waiter_link.hpp

struct recv_waiter : link {
  waker w;                 // guarded by state::mu
  std::uint64_t want = 0;  // the message this receiver waits for
};

inline constexpr std::size_t wake_batch = 32;

template <class T>
struct state {
  explicit state(std::size_t cap) : slots(cap) {}

  std::mutex mu;
  // ---- guarded by mu ----
  std::vector<std::optional<T>> slots;
  std::uint64_t tail = 0;
  std::size_t senders = 1;
  std::size_t receivers = 1;
  bool closed = false;  // senders == 0
  link waiters;         // recv_waiter nodes, sorted by want

  std::uint64_t oldest() const noexcept { return tail > slots.size() ? tail - slots.size() : 0; }

  // One step of a receiver positioned at `next`. False when there is nothing
  // to report yet (the receiver should park).
  bool poll(std::uint64_t& next, recv_result<T>& out) {
    if (next < oldest()) {
      out.status = recv_status::lagged;
      out.skipped = oldest() - next;
      next = oldest();
      return true;
    }
    if (next < tail) {
      out.value.emplace(*slots[next % slots.size()]);  // a copy; may throw, next unchanged
      out.status = recv_status::value;
      ++next;
      return true;
    }
    if (closed) {
      out.status = recv_status::closed;
      return true;
    }
    return false;
  }

  // Wakes every parked receiver that has something to read (all of them once
  // closed). Called with `lock` held; returns with it released.
  void wake_ready(std::unique_lock<std::mutex>& lock) noexcept {
    waker batch[wake_batch];
    for (;;) {
      std::size_t n = 0;
      while (n < wake_batch && waiters.linked()) {
        auto* w = static_cast<recv_waiter*>(waiters.next);
        if (w->want >= tail && !closed) break;  // parked after the newest message
        w->unlink();
        batch[n++] = std::move(w->w);
      }
      lock.unlock();
      for (std::size_t i = 0; i < n; ++i) std::move(batch[i]).wake();
      if (n < wake_batch) return;
      lock.lock();
    }
  }
};

}  // namespace detail

template <class T>
class receiver;

template <class T>
class sender {
 public:
  sender(const sender& o) : s_(o.s_) {
    if (s_) {
      std::lock_guard lock(s_->mu);
      ++s_->senders;
    }
  }
  sender(sender&&) noexcept = default;
  sender& operator=(sender o) noexcept {  // copy-and-swap: `o` releases ours
    s_.swap(o.s_);
    return *this;
  }
  ~sender() { release(); }

  // Publishes `value` to every receiver; returns how many there are. 0 means
  // none: the value is dropped, not stored (Tokio returns an error).
  std::size_t send(T value) {
    std::optional<T> slot_value(std::move(value));  // built outside the lock
    std::unique_lock lock(s_->mu);
    const std::size_t n = s_->receivers;
    if (n == 0) return 0;
    // Swap into the ring: slot_value now holds the overwritten message, which
    // is destroyed after the unlock.
    s_->slots[s_->tail % s_->slots.size()].swap(slot_value);
    ++s_->tail;
    s_->wake_ready(lock);
    return n;
  }

  // A receiver that sees every message sent after this call.
  receiver<T> subscribe() {
    std::lock_guard lock(s_->mu);
    ++s_->receivers;
    return receiver<T>(s_, s_->tail);
  }

  std::size_t receiver_count() const {
    std::lock_guard lock(s_->mu);
    return s_->receivers;
  }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  explicit sender(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  void release() noexcept {
    if (!s_) return;
    std::unique_lock lock(s_->mu);
    if (--s_->senders == 0) {
      s_->closed = true;
      s_->wake_ready(lock);  // every waiter: they will read what is left, then closed
    }
    if (lock.owns_lock()) lock.unlock();
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

template <class T>
class receiver {
 public:
  class [[nodiscard]] recv_awaiter;

  receiver(receiver&&) noexcept = default;
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::move(o.s_);
      next_ = o.next_;
    }
    return *this;
  }
  ~receiver() { release(); }

  // The next message, lagged(n) when this receiver fell more than capacity
  // behind, or closed once all senders are gone and nothing is left.
  recv_awaiter recv() noexcept { return recv_awaiter(this); }

  // Same without waiting: status empty when nothing is there yet.
  recv_result<T> try_recv() {
    recv_result<T> r;
    std::lock_guard lock(s_->mu);
    s_->poll(next_, r);
    return r;
  }

  // A new receiver starting at the next message sent (like tx.subscribe()).
  receiver resubscribe() const {
    std::lock_guard lock(s_->mu);
    ++s_->receivers;
    return receiver(s_, s_->tail);
  }

 private:
  friend class sender<T>;
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  receiver(std::shared_ptr<detail::state<T>> s, std::uint64_t next) noexcept : s_(std::move(s)), next_(next) {}

  void release() noexcept {
    if (!s_) return;
    {
      std::lock_guard lock(s_->mu);
      --s_->receivers;
    }
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
  std::uint64_t next_ = 0;  // owner only (the task using this receiver)
};

template <class T>
class [[nodiscard]] receiver<T>::recv_awaiter {
 public:
  explicit recv_awaiter(receiver* rx) noexcept : rx_(rx) {}
  recv_awaiter(const recv_awaiter&) = delete;
  recv_awaiter& operator=(const recv_awaiter&) = delete;
  ~recv_awaiter() {
    if (!parked_) return;
    waker mine;  // released after the unlock
    std::lock_guard lock(rx_->s_->mu);
    if (node_.linked()) {
      node_.unlink();
      mine = std::move(node_.w);
    }
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    std::lock_guard lock(rx_->s_->mu);
    if (rx_->s_->poll(rx_->next_, result_)) return false;
    node_.want = rx_->next_;
    node_.w = this_task::park(h);
    rx_->s_->waiters.push_back(&node_);
    parked_ = true;
    return true;  // published: `this` is not touched after the unlock
  }
  recv_result<T> await_resume() {
    if (parked_) {
      // Popped only once want < tail or closed: poll() reports something.
      std::lock_guard lock(rx_->s_->mu);
      rx_->s_->poll(rx_->next_, result_);
      parked_ = false;
    }
    return std::move(result_);
  }

 private:
  receiver* rx_;
  recv_result<T> result_;
  detail::recv_waiter node_;
  bool parked_ = false;  // owner-task only
};

// A channel whose ring holds `capacity` messages (> 0; throws otherwise).
template <class T>
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity) {
  static_assert(std::is_copy_constructible_v<T>, "broadcast: every receiver gets a copy");
  if (capacity == 0) throw std::invalid_argument("broadcast::channel: capacity must be > 0");
  auto s = std::make_shared<detail::state<T>>(capacity);
  return {sender<T>(s), receiver<T>(s, 0)};
}

}  // namespace ringlane::broadcast
