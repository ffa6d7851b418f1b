// event.hpp -- wake-up primitives without data: notify and event.
//
// notify (Tokio's Notify): tells one or all waiting tasks that "something
// happened"; they re-check the shared state themselves.
//
//   ringlane::notify n;
//   co_await n.notified();   // waits for a notification
//   n.notify_one();          // wakes the first waiter, or stores a permit
//   n.notify_all();          // wakes the current waiters; stores nothing
//
// event: a manual-reset event.
//
//   ringlane::event e;
//   co_await e.wait();       // returns at once while e is set
//   e.set();                 // wakes every waiter; stays set
//   e.reset();               // later waits block again
//
// Protocol shared by both. One std::mutex `mu_` guards the state and an
// intrusive FIFO list of waiters; a waiter is a node inside the awaiter (in
// the coroutine frame), so waiting allocates nothing. Wakers are woken after
// mu_ is released. To wake everyone (notify_all, set), the waiters are
// spliced under mu_ into a private list that detail::wake_taken drains in
// batches; a waiter joining after the splice is not woken by that call.
//
// Abort safety. A waiting task may be aborted; its awaiter's destructor
// unlinks the node under mu_. If a notify_one() had already picked that
// waiter (the wake-up is owed to it but it never ran), the destructor passes
// the notification on -- to the next waiter, or as the stored permit -- so a
// notify_one() is never lost. Wake-ups from notify_all() and set() are not
// passed on: they were for everyone anyway.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <mutex>

#include "runtime/sync/semaphore.hpp"  // detail::intrusive_list, wake_taken
#include "runtime/task/waker.hpp"

namespace ringlane {

// ---------------------------------------------------------------------------
// notify

class notify {
 public:
  class notified_awaiter;

  notify() noexcept = default;
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;
  // Must outlive every waiting notified().
  ~notify() = default;

  // `co_await n.notified()` completes when
  //   * a stored permit is available (it is consumed), or
  //   * notify_one() picks this waiter, or
  //   * notify_all() is called after this awaiter was created: creating it
  //     counts as registering, so `auto w = n.notified(); if (!ready())
  //     co_await w;` cannot miss a notify_all() between the check and the
  //     wait (as in Tokio).
  notified_awaiter notified() noexcept;

  // Wakes the longest waiter; with no waiter, stores one permit (at most
  // one: notifications do not accumulate) for the next notified().
  void notify_one() noexcept {
    waker w;
    {
      std::lock_guard lock(mu_);
      w = notify_one_locked();
    }
    if (w) std::move(w).wake();
  }

  // Wakes every task waiting now. Stores no permit.
  void notify_all() noexcept {
    waiter_list taken;
    {
      std::lock_guard lock(mu_);
      // Relaxed: written only under mu_; notified() reads it only to get a
      // value that is older than any later call (see notified()).
      all_calls_.store(all_calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      taken.splice_back(waiters_);
    }
    detail::wake_taken(mu_, taken);
  }

 private:
  struct waiter : detail::list_link {
    enum class state { idle, waiting, notified_one };
    waker w;
    state st = state::idle;
  };
  using waiter_list = detail::intrusive_list<waiter>;

  // Gives one notification: to the first waiter (returned waker) or as the
  // stored permit. Needs mu_.
  waker notify_one_locked() noexcept {
    waiter* first = waiters_.pop_front();
    if (!first) {
      permit_ = true;
      return {};
    }
    first->st = waiter::state::notified_one;  // owed to it from now on
    return std::move(first->w);
  }

  // The awaiter's side.
  bool suspend(waiter* me, std::uint64_t seen_all_calls, std::coroutine_handle<> h) noexcept {
    std::lock_guard lock(mu_);
    if (all_calls_.load(std::memory_order_relaxed) != seen_all_calls) return false;
    if (permit_) {
      permit_ = false;
      return false;
    }
    me->w = this_task::park(h);  // fill in the node before publishing it
    me->st = waiter::state::waiting;
    waiters_.push_back(me);
    return true;
  }
  void resumed(waiter* me) noexcept {
    std::lock_guard lock(mu_);
    if (me->linked()) detail::sync_misuse("notify waiter resumed while still queued (spurious wake-up)");
    me->st = waiter::state::idle;
  }
  void abandon(waiter* me) noexcept {
    waker w;
    {
      std::lock_guard lock(mu_);
      if (me->linked()) {
        me->unlink();
      } else if (me->st == waiter::state::notified_one) {
        w = notify_one_locked();  // forward what we never used
      }
    }
    if (w) std::move(w).wake();
  }

  std::mutex mu_;
  bool permit_ = false;                      // guarded by mu_
  waiter_list waiters_;                      // guarded by mu_; FIFO
  std::atomic<std::uint64_t> all_calls_{0};  // notify_all() count; written under mu_
};

// One co_await of notify::notified(). Not movable (it holds a queued node).
class [[nodiscard]] notify::notified_awaiter {
 public:
  explicit notified_awaiter(notify& n) noexcept
      : n_(&n), seen_all_calls_(n.all_calls_.load(std::memory_order_relaxed)) {}
  notified_awaiter(const notified_awaiter&) = delete;
  notified_awaiter& operator=(const notified_awaiter&) = delete;
  ~notified_awaiter() {
    if (suspended_) n_->abandon(&node_);
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    suspended_ = n_->suspend(&node_, seen_all_calls_, h);
    return suspended_;
  }
  void await_resume() noexcept {
    if (suspended_) {
      n_->resumed(&node_);
      suspended_ = false;
    }
  }

 private:
  notify* n_;
  // Why relaxed is enough: the value read here is compared, under mu_, in
  // suspend(). Created after a notify_all(): coherence makes us read that
  // call's increment (or a later one), so the call does not count for us.
  // Created before it: we read an older value; then either suspend() runs
  // after the call's critical section and sees a different count, or it ran
  // before and the call finds this waiter in the list. Both complete.
  std::uint64_t seen_all_calls_;
  waiter node_;
  bool suspended_ = false;  // the owning task only: parked in the list
};

inline notify::notified_awaiter notify::notified() noexcept { return notified_awaiter{*this}; }

// ---------------------------------------------------------------------------
// event

class event {
 public:
  class wait_awaiter;

  explicit event(bool initially_set = false) noexcept : set_(initially_set) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  // Must outlive every waiting wait().
  ~event() = default;

  // Sets the event and wakes every waiter. No effect if already set.
  void set() noexcept {
    waiter_list taken;
    {
      std::lock_guard lock(mu_);
      if (set_.load(std::memory_order_relaxed)) return;
      // Release: pairs with the acquire in is_set(); a task that sees the
      // event set without locking also sees what was written before set().
      set_.store(true, std::memory_order_release);
      taken.splice_back(waiters_);
    }
    detail::wake_taken(mu_, taken);
  }

  // Clears the event. Waiters already woken by set() still complete.
  void reset() noexcept {
    std::lock_guard lock(mu_);
    set_.store(false, std::memory_order_relaxed);
  }

  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  // `co_await e.wait()`: returns at once while set, else waits for set().
  wait_awaiter wait() noexcept;

 private:
  struct waiter : detail::list_link {
    waker w;
  };
  using waiter_list = detail::intrusive_list<waiter>;

  bool suspend(waiter* me, std::coroutine_handle<> h) noexcept {
    std::lock_guard lock(mu_);
    if (set_.load(std::memory_order_relaxed)) return false;
    me->w = this_task::park(h);
    waiters_.push_back(me);
    return true;
  }
  void abandon(waiter* me) noexcept {
    std::lock_guard lock(mu_);
    if (me->linked()) me->unlink();  // nothing to pass on
  }

  std::mutex mu_;
  std::atomic<bool> set_;  // written under mu_, read without it by is_set()
  waiter_list waiters_;    // guarded by mu_; FIFO
};

// One co_await of event::wait(). Not movable (it holds a queued node).
class [[nodiscard]] event::wait_awaiter {
 public:
  explicit wait_awaiter(event& e) noexcept : e_(&e) {}
  wait_awaiter(const wait_awaiter&) = delete;
  wait_awaiter& operator=(const wait_awaiter&) = delete;
  ~wait_awaiter() {
    if (suspended_) e_->abandon(&node_);
  }

  bool await_ready() const noexcept { return e_->is_set(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    suspended_ = e_->suspend(&node_, h);
    return suspended_;
  }
  // Only set() wakes us, and it unlinked the node first (under mu_, ordered
  // before this resumption by the wake-up): nothing to take back.
  void await_resume() noexcept { suspended_ = false; }

 private:
  event* e_;
  waiter node_;
  bool suspended_ = false;  // the owning task only: parked in the list
};

inline event::wait_awaiter event::wait() noexcept { return wait_awaiter{*this}; }

}  // namespace ringlane
