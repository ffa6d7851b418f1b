// watch.hpp -- one latest value, observed by many (Tokio's watch).
//
//   auto [tx, rx] = ringlane::watch::channel<config>(load());
//   tx.send(reload());                         // replaces the value
//   for (;;) {
//     const bool alive = co_await rx.changed();   // false: sender gone
//     if (!alive) break;
//     apply(rx.borrow());
//   }
//
// Versions. The state holds the value and `version`, bumped by every send.
// Each receiver remembers `seen`, the version it last observed (at creation:
// the current one). changed() completes when version != seen and sets seen =
// version, so a receiver sees each change at most once, and several sends
// between two looks coalesce into one change whose value is the latest.
//
// T must be copyable (borrow() returns copies) and swappable (send() swaps
// the new value in and destroys the old one after unlocking).
//
// Locking. One std::mutex (state::mu) guards the value, version, counts and
// the waiter list; no atomics. borrow() returns a copy made under mu (a guard
// holding mu across a co_await could deadlock a worker). A receiver parks by
// linking a changed_waiter (inside its awaiter, in the coroutine frame: no
// allocation) into `waiters` with seen = its version. It parks only when seen
// == version, and version only grows, so `waiters` is sorted by `seen`: a
// sender pops from the front while front.seen != version (that waiter has a
// change to see), at most wake_batch at a time, unlocks, wakes them, and
// relocks for the rest. Wakers are never woken under mu, and a waiter is never
// woken with nothing to report (await_resume could not re-suspend).
//
// Closing:
//   event                  | effect
//   -----------------------+------------------------------------------------
//   sender destroyed       | changed() reports an unseen change first (true),
//                          | then false; parked receivers are woken
//   last receiver gone     | send() fails (returns false, value not stored);
//                          | send_replace() still stores; is_closed() true
//
// Cancellation: a changed() awaiter destroyed while parked unlinks itself;
// if it had been popped already nothing was consumed (its receiver's `seen`
// is unchanged), so the receiver still sees the change on its next look.
#pragma once

#include <cstddef>
#include <cstdint>
#include <coroutine>
#include <memory>
#include <mutex>
#include <utility>

#include "runtime/channel/waiter_link.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane::watch {

namespace detail {

using link = ringlane::detail::waiter_link;  // channel/waiter_link.hpp

struct changed_waiter : link {
  waker w;                 // guarded by state::mu
  std::uint64_t seen = 0;  // the version this receiver had when it parked
};

inline constexpr std::size_t wake_batch = 32;

template <class T>
struct state {
  explicit state(T v) : value(std::move(v)) {}

  std::mutex mu;
  // ---- guarded by mu ----
  T value;
  std::uint64_t version = 0;
  std::size_t receivers = 1;
  bool closed = false;  // the sender is gone
  link waiters;         // changed_waiter nodes, sorted by seen

  // One look by a receiver that has seen `seen`. False: nothing to report
  // yet (park). Otherwise `changed` is the answer for changed().
  bool poll(std::uint64_t& seen, bool& changed) noexcept {
    if (seen != version) {
      seen = version;
      changed = true;
      return true;
    }
    changed = false;
    return closed;
  }

  // Wakes every parked receiver with a change to see (all once closed).
  // Called with `lock` held; returns with it released.
  void wake_ready(std::unique_lock<std::mutex>& lock) noexcept {
    waker batch[wake_batch];
    for (;;) {
      std::size_t n = 0;
      while (n < wake_batch && waiters.linked()) {
        auto* w = static_cast<changed_waiter*>(waiters.next);
        if (w->seen == version && !closed) break;  // parked after the latest send
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

// The single producer (move-only).
template <class T>
class sender {
 public:
  sender(sender&&) noexcept = default;
  sender& operator=(sender&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~sender() { release(); }

  // Replaces the value and notifies receivers. False when no receiver is
  // left: then nothing is stored (Tokio returns the value in an error).
  bool send(T value) {
    std::unique_lock lock(s_->mu);
    if (s_->receivers == 0) return false;
    store(lock, value);
    return true;  // `value` now holds the old one and dies after the unlock
  }

  // Stores `value` even without receivers; returns the previous value.
  T send_replace(T value) {
    std::unique_lock lock(s_->mu);
    store(lock, value);
    return value;
  }

  T borrow() const {
    std::lock_guard lock(s_->mu);
    return s_->value;
  }

  receiver<T> subscribe() {
    std::lock_guard lock(s_->mu);
    ++s_->receivers;
    return receiver<T>(s_, s_->version);
  }

  std::size_t receiver_count() const {
    std::lock_guard lock(s_->mu);
    return s_->receivers;
  }
  bool is_closed() const { return receiver_count() == 0; }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(U);
  explicit sender(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  // Swaps `value` in, bumps the version and wakes; releases `lock`.
  void store(std::unique_lock<std::mutex>& lock, T& value) {
    using std::swap;
    swap(s_->value, value);
    ++s_->version;
    s_->wake_ready(lock);
  }

  void release() noexcept {
    if (!s_) return;
    std::unique_lock lock(s_->mu);
    s_->closed = true;
    s_->wake_ready(lock);
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

// An observer. Copies are independent receivers that start with the same
// `seen` version.
template <class T>
class receiver {
 public:
  class [[nodiscard]] changed_awaiter;

  receiver(const receiver& o) : s_(o.s_), seen_(o.seen_) {
    if (s_) {
      std::lock_guard lock(s_->mu);
      ++s_->receivers;
    }
  }
  receiver(receiver&&) noexcept = default;
  receiver& operator=(receiver o) noexcept {  // copy-and-swap
    s_.swap(o.s_);
    std::swap(seen_, o.seen_);
    return *this;
  }
  ~receiver() { release(); }

  // A copy of the current value; does not mark it seen.
  T borrow() const {
    std::lock_guard lock(s_->mu);
    return s_->value;
  }
  // A copy of the current value, marked seen.
  T borrow_and_update() {
    std::lock_guard lock(s_->mu);
    seen_ = s_->version;
    return s_->value;
  }
  // True when a send happened that this receiver has not seen.
  bool has_changed() const {
    std::lock_guard lock(s_->mu);
    return seen_ != s_->version;
  }

  // Waits for an unseen change and marks it seen: true. False once the
  // sender is gone and every change was seen. One await at a time.
  changed_awaiter changed() noexcept { return changed_awaiter(this); }

 private:
  friend class sender<T>;
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(U);
  receiver(std::shared_ptr<detail::state<T>> s, std::uint64_t seen) noexcept : s_(std::move(s)), seen_(seen) {}

  void release() noexcept {
    if (!s_) return;
    {
      std::lock_guard lock(s_->mu);
      --s_->receivers;
    }
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
  std::uint64_t seen_ = 0;  // owner only (the task using this receiver)
};

template <class T>
class [[nodiscard]] receiver<T>::changed_awaiter {
 public:
  explicit changed_awaiter(receiver* rx) noexcept : rx_(rx) {}
  changed_awaiter(const changed_awaiter&) = delete;
  changed_awaiter& operator=(const changed_awaiter&) = delete;
  ~changed_awaiter() {
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
    if (rx_->s_->poll(rx_->seen_, changed_)) return false;
    node_.seen = rx_->seen_;
    node_.w = this_task::park(h);
    rx_->s_->waiters.push_back(&node_);
    parked_ = true;
    return true;  // published: `this` is not touched after the unlock
  }
  bool await_resume() {
    if (parked_) {
      // Popped only once version moved or the sender left: poll() answers.
      std::lock_guard lock(rx_->s_->mu);
      rx_->s_->poll(rx_->seen_, changed_);
      parked_ = false;
    }
    return changed_;
  }

 private:
  receiver* rx_;
  detail::changed_waiter node_;
  bool changed_ = false;
  bool parked_ = false;  // owner-task only
};

template <class T>
std::pair<sender<T>, receiver<T>> channel(T initial) {
  auto s = std::make_shared<detail::state<T>>(std::move(initial));
  return {sender<T>(s), receiver<T>(s, 0)};
}

}  // namespace ringlane::watch
