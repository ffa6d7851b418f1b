// cancellation.hpp -- cancellation_token: a shared "please stop" flag that
// tasks can wait on, arranged in a tree (tokio_util's CancellationToken).
//
//   ringlane::cancellation_token root;
//   auto child = root.child_token();          // cancelled when root is
//   auto reg = child.on_cancel([] { ... });   // RAII registration
//   co_await child.cancelled();               // until cancelled
//   root.cancel();                            // root, child, grandchildren...
//
// A token is a handle to shared state: copies refer to the same token.
// Cancellation is one-way and permanent. Cancelling a token cancels all its
// descendants, including children created afterwards (they start
// cancelled); cancelling a child does not affect its parent.
//
// The tree. Each token's state (detail::cancel_state) holds a strong
// reference to its parent's state and sits, through an intrusive link, in
// the parent's list of children. The parent does not own its children: when
// a child's last handle (and last descendant) goes away, its destructor
// unlinks it from the parent, so making many short-lived children does not
// grow anything. A state whose handles are gone but which still has live
// descendants stays alive (they hold it), which keeps the tree connected.
//
// Cancelling, step by step (cancel_tree):
//   1. claim: set `cancelled_` under the state's mu_. Exactly one thread
//      claims a state; it alone does steps 2-3 for it.
//   2. fire: run the registered callbacks one by one, with no lock held, then
//      set the `fired_` event (wakes cancelled() waiters).
//   3. take the children out of the list one at a time (under mu_), claim
//      each (under its own mu_) and push it on a work stack threaded through
//      the states (`work_next_`): no recursion, however deep the tree.
//      (Destroying a long chain is recursive, one destructor per level, when
//      the leaf's release frees its parent: fine for thousands of levels.)
// No lock is ever held while another is taken, so there is no lock order.
// A child being destroyed concurrently fails weak_from_this().lock() and is
// skipped; its destructor then finds itself unlinked.
//
// Callbacks (on_cancel) run on the thread that cancels (or, if the token is
// already cancelled, at once on the thread that registers), outside any
// lock, and must not throw. Destroying a registration before cancellation
// removes the callback; destroying it while the callback is running on
// another thread waits for the callback to return (like std::stop_callback),
// so the callback may safely use what the registration's owner owns. A
// callback may destroy its own registration (nothing waits for itself).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "runtime/sync/event.hpp"
#include "runtime/sync/semaphore.hpp"  // detail::intrusive_list

namespace ringlane {
namespace detail {

// A callback registered with on_cancel(). Its link is guarded by the
// owning state's mu_.
struct cancel_callback : list_link {
  explicit cancel_callback(std::function<void()> f) : fn(std::move(f)) {}
  void invoke() noexcept { fn(); }  // a throwing callback terminates
  std::function<void()> fn;
};

class cancel_state : public list_link,  // in parent_->children_, under parent_->mu_
                     public std::enable_shared_from_this<cancel_state> {
 public:
  cancel_state() noexcept = default;
  cancel_state(const cancel_state&) = delete;
  cancel_state& operator=(const cancel_state&) = delete;
  ~cancel_state() {
    if (parent_) {
      std::lock_guard lock(parent_->mu_);
      if (linked()) unlink();
    }
  }

  bool is_cancelled() const noexcept {
    // Acquire: pairs with the release in claim(); whoever sees the flag
    // also sees what the canceller wrote before cancel().
    return cancelled_.load(std::memory_order_acquire);
  }
  event& fired() noexcept { return fired_; }

  // A new child state: linked under us, or already cancelled if we are.
  static std::shared_ptr<cancel_state> make_child(const std::shared_ptr<cancel_state>& parent) {
    auto child = std::make_shared<cancel_state>();
    {
      std::lock_guard lock(parent->mu_);
      if (!parent->cancelled_.load(std::memory_order_relaxed)) {
        child->parent_ = parent;
        parent->children_.push_back(child.get());
        return child;
      }
    }
    cancel_tree(child);  // the parent was cancelled first: start cancelled
    return child;
  }

  // Cancels `root` and every descendant (see the file comment for steps).
  static void cancel_tree(std::shared_ptr<cancel_state> root) noexcept {
    if (!root->claim()) return;
    std::shared_ptr<cancel_state> stack = std::move(root);  // claimed states, to visit
    while (stack) {
      std::shared_ptr<cancel_state> s = std::move(stack);
      stack = std::move(s->work_next_);
      s->fire();
      while (std::shared_ptr<cancel_state> child = s->pop_child()) {
        if (!child->claim()) continue;  // cancelled on its own already
        child->work_next_ = std::move(stack);
        stack = std::move(child);
      }
    }
  }

  // False if already cancelled: the caller should run the callback itself.
  bool add_callback(cancel_callback* cb) noexcept {
    std::lock_guard lock(mu_);
    if (cancelled_.load(std::memory_order_relaxed)) return false;
    callbacks_.push_back(cb);
    return true;
  }
  // Takes `cb` back; if it is running on another thread, waits for it.
  void remove_callback(cancel_callback* cb) noexcept {
    std::unique_lock lock(mu_);
    if (cb->linked()) {
      cb->unlink();
      return;
    }
    if (running_ == cb && running_thread_ != std::this_thread::get_id()) {
      callback_done_.wait(lock, [&] { return running_ != cb; });
    }
  }

  // Diagnostics: children currently linked under this state.
  std::size_t child_count() const noexcept {
    std::lock_guard lock(mu_);
    return children_.size();
  }

 private:
  // Step 1. True if this call cancelled the state.
  bool claim() noexcept {
    std::lock_guard lock(mu_);
    if (cancelled_.load(std::memory_order_relaxed)) return false;
    cancelled_.store(true, std::memory_order_release);
    return true;
  }

  // Step 2. From here on add_callback() refuses, so callbacks_ only shrinks.
  // Callbacks run before the waiters wake: a task that returns from
  // cancelled() finds its token's callbacks done (and cannot deregister one
  // before it ran).
  void fire() noexcept {
    {
      std::unique_lock lock(mu_);
      while (cancel_callback* cb = callbacks_.pop_front()) {
        running_ = cb;
        running_thread_ = std::this_thread::get_id();
        lock.unlock();
        cb->invoke();
        lock.lock();
        running_ = nullptr;
        callback_done_.notify_all();
      }
    }
    fired_.set();
  }

  // Step 3. The next child that is still alive, taken out of the list.
  std::shared_ptr<cancel_state> pop_child() noexcept {
    std::lock_guard lock(mu_);
    while (cancel_state* c = children_.pop_front()) {
      // A child whose last reference is gone is in its destructor, blocked on
      // our mu_ (or about to be): lock() fails, and it finds itself unlinked.
      if (std::shared_ptr<cancel_state> sp = c->weak_from_this().lock()) return sp;
    }
    return nullptr;
  }

  mutable std::mutex mu_;
  std::atomic<bool> cancelled_{false};         // written once, under mu_
  intrusive_list<cancel_state> children_;      // guarded by mu_
  intrusive_list<cancel_callback> callbacks_;  // guarded by mu_
  cancel_callback* running_ = nullptr;         // guarded by mu_: the callback fire() is running
  std::thread::id running_thread_;             // guarded by mu_
  std::condition_variable callback_done_;      // signalled when running_ is cleared
  event fired_;                                // set by fire(): wakes cancelled() waiters
  std::shared_ptr<cancel_state> parent_;       // set before the state is shared; then immutable
  std::shared_ptr<cancel_state> work_next_;    // cancel_tree's stack: only the claiming thread
};

}  // namespace detail

// Keeps a callback registered with cancellation_token::on_cancel(); the
// destructor deregisters it (see the file comment). Move-only; empty when
// default-constructed or when the callback already ran at registration.
class [[nodiscard]] cancellation_registration {
 public:
  cancellation_registration() noexcept = default;
  cancellation_registration(cancellation_registration&&) noexcept = default;
  cancellation_registration& operator=(cancellation_registration&& o) noexcept {
    if (this != &o) {
      reset();
      state_ = std::move(o.state_);
      cb_ = std::move(o.cb_);
    }
    return *this;
  }
  ~cancellation_registration() { reset(); }

  // Deregisters now.
  void reset() noexcept {
    if (cb_) state_->remove_callback(cb_.get());
    cb_.reset();
    state_.reset();
  }
  explicit operator bool() const noexcept { return cb_ != nullptr; }

 private:
  friend class cancellation_token;
  cancellation_registration(std::shared_ptr<detail::cancel_state> s,
                            std::unique_ptr<detail::cancel_callback> cb) noexcept
      : state_(std::move(s)), cb_(std::move(cb)) {}

  std::shared_ptr<detail::cancel_state> state_;
  std::unique_ptr<detail::cancel_callback> cb_;
};

class cancellation_token {
 public:
  class cancelled_awaiter;

  // A new root token, not cancelled. Allocates (may throw std::bad_alloc).
  cancellation_token() : state_(std::make_shared<detail::cancel_state>()) {}

  // Cancels this token and all its descendants; wakes their cancelled()
  // waiters and runs their callbacks on this thread. Idempotent. When two
  // threads cancel overlapping trees, each state's waiters and callbacks are
  // handled by whichever thread claimed it first.
  void cancel() const noexcept { detail::cancel_state::cancel_tree(state_); }

  bool is_cancelled() const noexcept { return state_->is_cancelled(); }

  // `co_await t.cancelled()`: returns once the token is cancelled and its
  // callbacks have run. The awaiter keeps the token's state alive.
  cancelled_awaiter cancelled() const noexcept;

  // A token cancelled whenever this one is (already cancelled if this one
  // is). Cancelling the child does not affect this token.
  cancellation_token child_token() const { return cancellation_token{detail::cancel_state::make_child(state_)}; }

  // Runs `fn` once when the token is cancelled, on the cancelling thread; or
  // right now, on this thread, if it already is (then the registration is
  // empty). `fn` must not throw.
  template <class F>
  cancellation_registration on_cancel(F&& fn) const {
    auto cb = std::make_unique<detail::cancel_callback>(std::function<void()>(std::forward<F>(fn)));
    if (!state_->add_callback(cb.get())) {
      cb->invoke();
      return {};
    }
    return cancellation_registration{state_, std::move(cb)};
  }

  // Diagnostics (tests): how many child tokens are registered under this one.
  std::size_t child_count() const noexcept { return state_->child_count(); }

  friend bool operator==(const cancellation_token& a, const cancellation_token& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  explicit cancellation_token(std::shared_ptr<detail::cancel_state> s) noexcept : state_(std::move(s)) {}

  std::shared_ptr<detail::cancel_state> state_;  // never null
};

// One co_await of cancellation_token::cancelled(): waits on the state's
// `fired_` event, which the canceller sets once the callbacks have run.
class [[nodiscard]] cancellation_token::cancelled_awaiter {
 public:
  explicit cancelled_awaiter(std::shared_ptr<detail::cancel_state> s) noexcept
      : state_(std::move(s)), inner_(state_->fired().wait()) {}

  bool await_ready() const noexcept { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return inner_.await_suspend(h); }
  void await_resume() noexcept { inner_.await_resume(); }

 private:
  std::shared_ptr<detail::cancel_state> state_;  // declared first: outlives inner_
  event::wait_awaiter inner_;
};

inline cancellation_token::cancelled_awaiter cancellation_token::cancelled() const noexcept {
  return cancelled_awaiter{state_};
}

}  // namespace ringlane
