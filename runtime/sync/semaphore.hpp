// semaphore.hpp -- a fair async counting semaphore, and the waiter-list
// machinery every primitive in runtime/sync shares.
//
//   ringlane::semaphore sem(4);
//   if (auto p = co_await sem.acquire()) {   // std::optional<semaphore_permit>
//     ...                                     // holding 1 of 4 permits
//   }                                         // ~permit returns it
//   else { /* sem.close() was called */ }
//
// Protocol (the FIFO rules of Tokio's batch semaphore, built more simply: one
// mutex, no lock-free fast path, and a waiter gets permits only once its
// whole request fits):
//   * One std::mutex `mu_` guards the permit count, the closed flag and the
//     FIFO list of waiters. A waiter is an intrusive node that lives in the
//     acquire awaiter, i.e. in the waiting coroutine's frame: waiting
//     allocates nothing.
//   * Strict FIFO. acquire(n) takes permits at once only when nobody waits
//     and n are available; otherwise it queues. release() grants permits to
//     waiters from the head while the head's whole request fits: a big
//     request at the head blocks smaller ones behind it (no barging, no
//     starvation). try_acquire() obeys the same rule.
//   * Direct hand-off. A granted waiter owns its permits the moment it leaves
//     the list (its state becomes `granted` under mu_), before it runs. This
//     is what makes async_mutex (a semaphore of 1) fair.
//   * Wake after unlock. Wakers are moved out of the nodes under mu_ and woken
//     once mu_ is released (a woken task may run at once on another worker
//     and contend for mu_).
//   * Abort-safe. A waiting task may be aborted (join_handle::abort()); its
//     frame, and with it the awaiter, is destroyed. The awaiter's destructor
//     takes its node back under mu_: still queued -> unlink it (which may let
//     the next waiters through); already granted -> give the permits back.
//     Nothing is lost.
//   * close(): every queued and every later acquire yields std::nullopt.
//     Permits already held stay valid, and releasing them still works.
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <utility>

#include "runtime/task/waker.hpp"

namespace ringlane {
namespace detail {

// ---------------------------------------------------------------------------
// Intrusive FIFO list (shared by every primitive in runtime/sync).
//
// A list_link is embedded in the object it tracks. Lists are circular around
// a sentinel, so a node unlinks itself without knowing which list holds it:
// a waiter can be moved to a private list (see wake_taken) and still remove
// itself from there. Every list a given node can be on is guarded by one
// mutex, chosen by the owner; all operations here need that mutex held.
struct list_link {
  list_link* prev = nullptr;
  list_link* next = nullptr;

  bool linked() const noexcept { return next != nullptr; }
  void unlink() noexcept {
    prev->next = next;
    next->prev = prev;
    prev = next = nullptr;
  }
};

template <class T>  // T derives from list_link
class intrusive_list {
 public:
  intrusive_list() noexcept { head_.prev = head_.next = &head_; }
  intrusive_list(const intrusive_list&) = delete;
  intrusive_list& operator=(const intrusive_list&) = delete;

  bool empty() const noexcept { return head_.next == &head_; }
  T* front() noexcept { return empty() ? nullptr : static_cast<T*>(head_.next); }
  std::size_t size() const noexcept {  // O(n): for diagnostics
    std::size_t n = 0;
    for (const list_link* l = head_.next; l != &head_; l = l->next) ++n;
    return n;
  }
  void push_back(T* n) noexcept {
    n->prev = head_.prev;
    n->next = &head_;
    head_.prev->next = n;
    head_.prev = n;
  }
  T* pop_front() noexcept {
    T* n = front();
    if (n) n->unlink();
    return n;
  }
  // Moves every node of `other` to the back of this list.
  void splice_back(intrusive_list& other) noexcept {
    if (other.empty()) return;
    list_link* first = other.head_.next;
    list_link* last = other.head_.prev;
    first->prev = head_.prev;
    last->next = &head_;
    head_.prev->next = first;
    head_.prev = last;
    other.head_.prev = other.head_.next = &other.head_;
  }

 private:
  list_link head_;
};

// Up to 32 wakers collected under a lock and woken after it is released
// (Tokio's WakeList has the same size). Callers that may have more to wake
// loop: fill, unlock, wake_all, lock again.
class wake_batch {
 public:
  static constexpr std::size_t capacity = 32;
  wake_batch() noexcept = default;
  wake_batch(const wake_batch&) = delete;
  wake_batch& operator=(const wake_batch&) = delete;
  ~wake_batch() { wake_all(); }

  bool full() const noexcept { return n_ == capacity; }
  void push(waker w) noexcept { ws_[n_++] = std::move(w); }
  void wake_all() noexcept {
    for (std::size_t i = 0; i < n_; ++i) std::move(ws_[i]).wake();
    n_ = 0;
  }

 private:
  std::array<waker, capacity> ws_;
  std::size_t n_ = 0;
};

// Wakes every waiter of `taken`: a private list the caller filled by
// splicing waiters out of a shared one under `mu`, and then released `mu`.
// Until a node is popped here its owner may still be destroyed (an aborted
// task); the destructor unlinks it from `taken` under `mu`. So nodes are
// only touched with `mu` held, and their wakers woken with it released.
// Node needs a `waker w` member.
template <class Node>
void wake_taken(std::mutex& mu, intrusive_list<Node>& taken) noexcept {
  wake_batch batch;
  std::unique_lock lock(mu);
  while (!taken.empty()) {
    while (!batch.full() && !taken.empty()) batch.push(std::move(taken.pop_front()->w));
    lock.unlock();
    batch.wake_all();
    lock.lock();
  }
}

[[noreturn]] inline void sync_misuse(const char* what) noexcept {
  std::fprintf(stderr, "ringlane sync: %s\n", what);
  std::abort();
}

}  // namespace detail

// ---------------------------------------------------------------------------
// semaphore

class semaphore;

// Ownership of `count()` permits of one semaphore; returns them when
// destroyed. Move-only.
class [[nodiscard]] semaphore_permit {
 public:
  semaphore_permit(semaphore_permit&& o) noexcept
      : sem_(std::exchange(o.sem_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  semaphore_permit& operator=(semaphore_permit&& o) noexcept {
    if (this != &o) {
      release();
      sem_ = std::exchange(o.sem_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  semaphore_permit(const semaphore_permit&) = delete;
  semaphore_permit& operator=(const semaphore_permit&) = delete;
  ~semaphore_permit() { release(); }

  std::size_t count() const noexcept { return n_; }
  // Returns the permits now instead of at destruction.
  void release() noexcept;
  // Drops the permits without returning them: the semaphore shrinks.
  void forget() noexcept { n_ = 0; }

 private:
  friend class semaphore;
  semaphore_permit(semaphore* s, std::size_t n) noexcept : sem_(s), n_(n) {}

  semaphore* sem_ = nullptr;
  std::size_t n_ = 0;
};

class semaphore {
 public:
  class acquire_awaiter;

  explicit semaphore(std::size_t permits) noexcept : permits_(permits) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  // Must outlive every permit and every waiting acquire.
  ~semaphore() = default;

  // `co_await sem.acquire(n)` -> std::optional<semaphore_permit>: n permits,
  // or std::nullopt once the semaphore is closed. Waits in FIFO order.
  acquire_awaiter acquire(std::size_t n = 1) noexcept;

  // n permits now, or std::nullopt if they are not available, someone is
  // already waiting (FIFO: no barging), or the semaphore is closed.
  std::optional<semaphore_permit> try_acquire(std::size_t n = 1) noexcept {
    std::lock_guard lock(mu_);
    if (!take_now(n)) return std::nullopt;
    return semaphore_permit{this, n};
  }

  // Adds n permits (returning them, or growing the semaphore) and hands them
  // to the waiters at the head of the queue.
  void release(std::size_t n) noexcept {
    std::unique_lock lock(mu_);
    permits_ += n;
    grant_waiters(lock);
  }
  void add_permits(std::size_t n) noexcept { release(n); }

  // Permits not held by anyone (a snapshot).
  std::size_t available() const noexcept {
    std::lock_guard lock(mu_);
    return permits_;
  }

  // Fails every queued and every future acquire (they yield std::nullopt).
  void close() noexcept {
    waiter_list taken;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      // Their state stays `waiting`, which await_resume reads as "closed".
      taken.splice_back(waiters_);
    }
    detail::wake_taken(mu_, taken);
  }
  bool is_closed() const noexcept {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  // A queued acquire. Lives inside acquire_awaiter; every field is guarded
  // by mu_ while the node is linked or granted.
  struct waiter : detail::list_link {
    enum class state { idle, waiting, granted };
    waker w;
    std::size_t need = 0;
    state st = state::idle;
  };
  using waiter_list = detail::intrusive_list<waiter>;

  // Takes n permits if FIFO order allows it right now. Needs mu_.
  bool take_now(std::size_t n) noexcept {
    if (closed_ || !waiters_.empty() || permits_ < n) return false;
    permits_ -= n;
    return true;
  }

  // Grants permits to waiters from the head while the head's request fits,
  // then releases `lock` and wakes them. Called with mu_ held.
  void grant_waiters(std::unique_lock<std::mutex>& lock) noexcept {
    detail::wake_batch batch;
    for (;;) {
      waiter* head = waiters_.front();
      if (!head || head->need > permits_) break;
      permits_ -= head->need;
      head->unlink();
      head->st = waiter::state::granted;  // the permits are the waiter's now
      batch.push(std::move(head->w));
      if (batch.full()) {
        lock.unlock();
        batch.wake_all();
        lock.lock();
      }
    }
    lock.unlock();
    batch.wake_all();
  }

  // The awaiter's side. Both run on the waiting task's worker.
  bool suspend(waiter* me, std::coroutine_handle<> h) noexcept {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (take_now(me->need)) {
      me->st = waiter::state::granted;
      return false;
    }
    // Fill in the node before it becomes visible; after the unlock other
    // threads own it until they wake us.
    me->w = this_task::park(h);
    me->st = waiter::state::waiting;
    waiters_.push_back(me);
    return true;
  }
  // After a wake-up: did we get permits (true) or was the semaphore closed?
  bool resumed(waiter* me) noexcept {
    std::lock_guard lock(mu_);
    if (me->linked()) detail::sync_misuse("semaphore waiter resumed while still queued (spurious wake-up)");
    return me->st == waiter::state::granted;
  }
  // The awaiter is destroyed while its task is parked (aborted).
  void abandon(waiter* me) noexcept {
    std::unique_lock lock(mu_);
    if (me->linked()) {
      me->unlink();  // the waiters behind us may fit now
    } else if (me->st == waiter::state::granted) {
      permits_ += me->need;  // granted but never used: pass them on
    }
    grant_waiters(lock);
  }

  friend class semaphore_permit;

  mutable std::mutex mu_;
  std::size_t permits_;      // guarded by mu_
  bool closed_ = false;      // guarded by mu_
  waiter_list waiters_;      // guarded by mu_; FIFO
};

// One co_await of semaphore::acquire(n). Not movable: its node may be
// linked into the semaphore's list.
class [[nodiscard]] semaphore::acquire_awaiter {
 public:
  acquire_awaiter(semaphore& s, std::size_t n) noexcept : sem_(&s) { node_.need = n; }
  acquire_awaiter(const acquire_awaiter&) = delete;
  acquire_awaiter& operator=(const acquire_awaiter&) = delete;
  ~acquire_awaiter() {
    if (suspended_) sem_->abandon(&node_);
  }

  // One lock on either path: await_suspend takes the permits when it can and
  // then does not suspend.
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    suspended_ = sem_->suspend(&node_, h);
    return suspended_;
  }
  std::optional<semaphore_permit> await_resume() noexcept {
    bool granted = node_.st == waiter::state::granted;  // fast path: set by us
    if (suspended_) {
      granted = sem_->resumed(&node_);
      suspended_ = false;
    }
    node_.st = waiter::state::idle;
    if (!granted) return std::nullopt;
    return semaphore_permit{sem_, node_.need};
  }

 private:
  semaphore* sem_;
  waiter node_;
  bool suspended_ = false;  // the owning task only: parked in the list
};

inline semaphore::acquire_awaiter semaphore::acquire(std::size_t n) noexcept { return acquire_awaiter{*this, n}; }

inline void semaphore_permit::release() noexcept {
  if (sem_ && n_) sem_->release(n_);
  n_ = 0;
}

}  // namespace ringlane
