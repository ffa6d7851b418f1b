// mutex.hpp -- async_mutex: a fair mutual-exclusion lock for tasks.
//
//   ringlane::async_mutex m;
//   {
//     auto g = co_await m.lock();   // async_mutex::guard, [[nodiscard]]
//     ...                            // critical section; may co_await freely
//   }                                // ~guard unlocks
//   if (auto g = m.try_lock()) { ... }   // std::optional<guard>
//
// async_mutex_guarded<T> (end of file) bundles the lock with the T it
// protects.
//
// Unlike std::mutex, waiting suspends the task instead of blocking the
// worker thread, and the lock may be held across co_await (the guard is not
// tied to a thread: it may be unlocked on another worker than the one that
// locked it).
//
// Protocol: an async_mutex is a semaphore with one permit (semaphore.hpp; the
// design Tokio's Mutex uses). That gives, with no extra code:
//   * FIFO fairness: tasks get the lock in the order they started waiting;
//     try_lock() fails while anyone waits, even if the lock is free for an
//     instant.
//   * Direct hand-off: unlock gives the lock to the first waiter before that
//     waiter runs; nobody can take it in between.
//   * Abort safety: a waiting task that is aborted leaves the queue; if the
//     lock had already been handed to it, its awaiter's destructor passes the
//     lock on to the next waiter.
//
// Not recursive: a task that locks a mutex it holds waits forever.
#pragma once

#include <optional>
#include <utility>

#include "runtime/sync/semaphore.hpp"

namespace ringlane {

class async_mutex {
 public:
  class guard;
  class lock_awaiter;

  async_mutex() noexcept = default;
  async_mutex(const async_mutex&) = delete;
  async_mutex& operator=(const async_mutex&) = delete;
  // Must outlive every guard and every waiting lock().
  ~async_mutex() = default;

  // `co_await m.lock()` -> guard. Waits in FIFO order.
  lock_awaiter lock() noexcept;

  // The lock now, or std::nullopt if it is held or someone is waiting.
  std::optional<guard> try_lock() noexcept;

  // A snapshot: true while someone holds the lock (or it is being handed
  // over to a waiter).
  bool is_locked() const noexcept { return sem_.available() == 0; }

 private:
  semaphore sem_{1};  // one permit = the lock
};

// Holds the lock of one async_mutex; unlocks when destroyed. Move-only.
class [[nodiscard]] async_mutex::guard {
 public:
  guard(guard&&) noexcept = default;
  guard& operator=(guard&&) noexcept = default;  // unlocks what it held before
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;
  ~guard() = default;  // the permit's destructor unlocks

  // Unlocks now instead of at destruction.
  void unlock() noexcept { permit_.release(); }
  bool owns_lock() const noexcept { return permit_.count() == 1; }

 private:
  friend class async_mutex;
  explicit guard(semaphore_permit p) noexcept : permit_(std::move(p)) {}

  semaphore_permit permit_;
};

// One co_await of async_mutex::lock(). Not movable (it holds a queued node).
class [[nodiscard]] async_mutex::lock_awaiter {
 public:
  explicit lock_awaiter(async_mutex& m) noexcept : inner_(m.sem_.acquire(1)) {}

  bool await_ready() const noexcept { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return inner_.await_suspend(h); }
  guard await_resume() noexcept {
    std::optional<semaphore_permit> p = inner_.await_resume();
    // The semaphore of a mutex is never closed, so a wait always succeeds.
    if (!p) detail::sync_misuse("async_mutex: lock() failed");
    return guard{std::move(*p)};
  }

 private:
  semaphore::acquire_awaiter inner_;
};

inline async_mutex::lock_awaiter async_mutex::lock() noexcept { return lock_awaiter{*this}; }

inline std::optional<async_mutex::guard> async_mutex::try_lock() noexcept {
  std::optional<semaphore_permit> p = sem_.try_acquire(1);
  if (!p) return std::nullopt;
  return guard{std::move(*p)};
}

// ---------------------------------------------------------------------------
// async_mutex_guarded<T>: a T reachable only through its lock (Tokio's
// Mutex<T>), so forgetting to lock does not compile.
//
//   ringlane::async_mutex_guarded<std::vector<int>> v;
//   auto g = co_await v.lock();   // async_mutex_guarded<...>::guard
//   g->push_back(1);

template <class T>
class async_mutex_guarded {
 public:
  // The lock plus access to the value. Move-only; do not keep references to
  // the value past the guard.
  class [[nodiscard]] guard {
   public:
    T& operator*() const noexcept { return *value_; }
    T* operator->() const noexcept { return value_; }
    void unlock() noexcept { lock_.unlock(); }

   private:
    friend class async_mutex_guarded;
    guard(async_mutex::guard g, T* v) noexcept : lock_(std::move(g)), value_(v) {}
    async_mutex::guard lock_;
    T* value_;
  };

  class [[nodiscard]] lock_awaiter {
   public:
    explicit lock_awaiter(async_mutex_guarded& owner) noexcept : owner_(&owner), inner_(owner.mu_.lock()) {}
    bool await_ready() const noexcept { return inner_.await_ready(); }
    bool await_suspend(std::coroutine_handle<> h) noexcept { return inner_.await_suspend(h); }
    guard await_resume() noexcept { return guard{inner_.await_resume(), &owner_->value_}; }

   private:
    async_mutex_guarded* owner_;
    async_mutex::lock_awaiter inner_;
  };

  template <class... Args>
  explicit async_mutex_guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}

  lock_awaiter lock() noexcept { return lock_awaiter{*this}; }
  std::optional<guard> try_lock() noexcept {
    std::optional<async_mutex::guard> g = mu_.try_lock();
    if (!g) return std::nullopt;
    return guard{std::move(*g), &value_};
  }

 private:
  async_mutex mu_;
  T value_;  // only reachable through a guard
};

}  // namespace ringlane
