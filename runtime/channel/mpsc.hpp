// mpsc.hpp -- multi-producer, single-consumer channels (Tokio's mpsc).
//
//   auto [tx, rx] = ringlane::mpsc::channel<job>(16);   // 16 messages in flight
//   auto tx2 = tx;                                      // a copy is another producer
//   auto r = co_await tx.send(job{...});                // waits while the buffer is full
//   if (!r) recover(std::move(*r.value));               // receiver gone: the job comes back
//   while (std::optional<job> j = co_await rx.recv()) run(*j);  // nullopt: all senders gone
//
// (Bind the result first, as above: GCC 12.2 miscompiles a bare co_await used
// as an if/while condition, e.g. `if (!co_await tx.send(v))`.)
//
// Sender and receiver may live on different workers; one std::mutex per
// channel (state::mu) guards every shared field below. There are no atomics
// in this file: every hand-over between threads is a lock/unlock pair, and a
// woken task additionally sees the waker's writes through the acq_rel on its
// task state (worker.cpp, wake_by_ref).
//
// Capacity as permits. A bounded channel has `capacity` permits. A message in
// the buffer holds one; so does a sender that was granted one while parked
// and has not resumed yet (`granted`). Sending:
//   1. Under mu: receiver closed -> fail. A permit free and no sender queued
//      -> push the message, take the receiver's waker. (Newcomers never
//      overtake queued senders: sends are FIFO-fair, as in Tokio.)
//   2. Otherwise park: link a send_waiter (it lives inside the awaiter, in
//      the coroutine frame: no allocation) at the back of `queue`.
//   3. A permit frees (the receiver takes a message, or a granted sender is
//      destroyed): the first queued sender is unlinked, marked granted,
//      `granted++`, and woken after unlock.
//   4. The woken sender locks mu, turns its permit into a buffered message
//      (or, if the receiver closed meanwhile, gives it back) and returns.
// The message stays in the sender's awaiter until step 4, so a send that is
// cancelled (its task aborted) sends nothing: Tokio's cancel safety.
//
// The buffer is a std::deque: it allocates one block per few hundred bytes
// of messages, never per wait.
//
// Receiving: take the front message and free its permit (step 3); else, if
// every sender is gone or the receiver closed, return nullopt; else park in
// the single slot `rx_waker`. Senders take that waker when they push and when
// the last of them goes away.
//
// Wakers are always moved out under mu and woken after unlock: the woken task
// may start at once on another worker and its first act is to lock mu, and
// wake() may enter the scheduler, whose locks must never nest inside ours.
//
// Closing:
//   event                   | senders                          | receiver
//   ------------------------+----------------------------------+------------------------
//   rx.close()              | send/try_send fail with `closed` | buffered messages are
//                           | (value handed back); parked and  | still delivered, then
//                           | granted senders fail too         | recv() -> nullopt
//   receiver destroyed      | same as close()                  | buffer destroyed
//   last sender destroyed   | --                               | buffer drained, then
//                           |                                  | nullopt; a parked recv
//                           |                                  | is woken
//
// Cancellation (an awaiter destroyed while parked, e.g. join_handle::abort()):
//   send, queued            unlinks itself; the value is destroyed, not sent
//   send, granted           passes its permit to the next queued sender
//   recv, parked or woken   clears rx_waker; the message stays in the buffer
//
// One recv at a time per receiver (it is single-consumer, like Tokio's
// `&mut self`). Awaiters point into the channel: the sender or receiver must
// outlive the co_await, as it does in `co_await tx.send(v)`.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "runtime/channel/waiter_link.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane::mpsc {

enum class send_status { ok, full, closed };

// Outcome of send/try_send. On failure the message comes back in `value`.
template <class T>
struct [[nodiscard]] send_result {
  send_status status = send_status::ok;
  std::optional<T> value;  // engaged unless status == ok
  bool ok() const noexcept { return status == send_status::ok; }
  explicit operator bool() const noexcept { return ok(); }
};

enum class recv_status { value, empty, closed };

// Outcome of try_recv: a message, nothing yet, or nothing ever again.
template <class T>
struct [[nodiscard]] try_recv_result {
  recv_status status = recv_status::empty;
  std::optional<T> value;  // engaged iff status == value
  explicit operator bool() const noexcept { return status == recv_status::value; }
};

namespace detail {

using link = ringlane::detail::waiter_link;  // channel/waiter_link.hpp

// A parked sender. Fields are guarded by state::mu.
struct send_waiter : link {
  enum class phase : std::uint8_t { waiting, granted, closed };
  waker w;
  phase ph = phase::waiting;
};

template <class T>
struct state {
  explicit state(std::size_t cap) : capacity(cap) {}

  std::mutex mu;
  // ---- everything below is guarded by mu ----
  const std::size_t capacity;
  std::deque<T> buffer;
  std::size_t granted = 0;  // permits held by woken, not yet resumed senders
  std::size_t senders = 1;
  bool rx_closed = false;   // close() called or receiver destroyed
  link queue;               // send_waiter nodes, FIFO
  waker rx_waker;           // the parked receiver, if any

  bool has_permit() const noexcept { return buffer.size() + granted < capacity; }

  // Unlinks the first queued sender, marks it `ph` and returns its waker.
  waker pop_sender(send_waiter::phase ph) noexcept {
    auto* n = static_cast<send_waiter*>(queue.next);
    n->unlink();
    n->ph = ph;
    return std::move(n->w);
  }

  // A permit may have freed: hand it to the first queued sender (step 3).
  waker grant_next() noexcept {
    if (!queue.linked() || !has_permit()) return {};
    ++granted;
    return pop_sender(send_waiter::phase::granted);
  }

  // Step 1: enqueue `v` if the receiver is open, a permit is free and no
  // sender is queued; `wake` then gets the receiver. `v` is untouched unless ok.
  send_status try_push(T& v, waker& wake) {
    if (rx_closed) return send_status::closed;
    if (queue.linked() || !has_permit()) return send_status::full;
    buffer.push_back(std::move(v));
    wake = std::move(rx_waker);
    return send_status::ok;
  }

  // Takes a message for the receiver. True when done: `out` holds a message,
  // or stays empty because no message can ever come. `wake` gets the sender
  // that inherits the freed permit.
  bool take(std::optional<T>& out, waker& wake) {
    if (!buffer.empty()) {
      out.emplace(std::move(buffer.front()));
      buffer.pop_front();
      wake = grant_next();
      return true;
    }
    return senders == 0 || rx_closed;
  }
};

}  // namespace detail

template <class T>
class receiver;
template <class T>
class unbounded_sender;

template <class T>
class sender {
 public:
  class [[nodiscard]] send_awaiter;

  sender(const sender& o) : s_(o.s_) {
    if (s_) {
      std::lock_guard lock(s_->mu);
      ++s_->senders;
    }
  }
  sender(sender&& o) noexcept = default;
  sender& operator=(sender o) noexcept {  // copy-and-swap: `o` releases ours
    s_.swap(o.s_);
    return *this;
  }
  ~sender() { release(); }

  // Waits for a permit, then enqueues. Result: ok, or closed with the value.
  send_awaiter send(T value) { return send_awaiter(s_.get(), std::move(value)); }

  // Never waits: ok, full (a permit is missing or senders are queued), or
  // closed. The value comes back unless ok.
  send_result<T> try_send(T value) {
    waker rx;
    send_status st;
    {
      std::lock_guard lock(s_->mu);
      st = s_->try_push(value, rx);
    }
    if (rx) std::move(rx).wake();
    if (st == send_status::ok) return {};
    return {st, std::move(value)};
  }

  // True once the receiver closed or went away.
  bool is_closed() const {
    std::lock_guard lock(s_->mu);
    return s_->rx_closed;
  }
  // Permits free right now, and the channel's bound.
  std::size_t capacity() const {
    std::lock_guard lock(s_->mu);
    return s_->has_permit() ? s_->capacity - s_->buffer.size() - s_->granted : 0;
  }
  std::size_t max_capacity() const noexcept { return s_->capacity; }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  template <class U>
  friend class unbounded_sender;
  explicit sender(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  void release() noexcept {
    if (!s_) return;
    waker rx;
    {
      std::lock_guard lock(s_->mu);
      if (--s_->senders == 0) rx = std::move(s_->rx_waker);  // recv sees the end
    }
    if (rx) std::move(rx).wake();
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

// `co_await tx.send(v)`. The value lives here until it enters the buffer.
template <class T>
class [[nodiscard]] sender<T>::send_awaiter {
 public:
  send_awaiter(detail::state<T>* s, T v) : s_(s), value_(std::move(v)) {}
  send_awaiter(const send_awaiter&) = delete;
  send_awaiter& operator=(const send_awaiter&) = delete;
  ~send_awaiter() {
    if (parked_) cancel();
  }

  bool await_ready() const noexcept { return false; }

  // Steps 1-2. Returns false (do not suspend) when the send finished at once.
  bool await_suspend(std::coroutine_handle<> h) {
    waker rx;
    {
      std::lock_guard lock(s_->mu);
      status_ = s_->try_push(*value_, rx);
      if (status_ == send_status::full) {
        node_.w = this_task::park(h);
        s_->queue.push_back(&node_);
        parked_ = true;
        return true;  // published: `this` is not touched after the unlock
      }
    }
    if (rx) std::move(rx).wake();
    return false;
  }

  send_result<T> await_resume() {
    if (parked_) use_permit();
    if (status_ == send_status::ok) return {};
    return {status_, std::move(value_)};
  }

 private:
  // Step 4: woken with a permit (or by the receiver closing).
  void use_permit() {
    waker rx;
    {
      std::lock_guard lock(s_->mu);
      const bool granted = node_.ph == detail::send_waiter::phase::granted;
      if (granted && !s_->rx_closed) {
        // If this throws, parked_ stays set and ~send_awaiter returns the permit.
        s_->buffer.push_back(std::move(*value_));
        rx = std::move(s_->rx_waker);
        status_ = send_status::ok;
      } else {
        status_ = send_status::closed;
      }
      if (granted) --s_->granted;  // the permit is now a message, or given back
      parked_ = false;
    }
    if (rx) std::move(rx).wake();
  }

  // Destroyed while parked: take the registration back (see the top table).
  void cancel() noexcept {
    waker mine, next;
    {
      std::lock_guard lock(s_->mu);
      if (node_.linked()) {
        node_.unlink();
        mine = std::move(node_.w);
      } else if (node_.ph == detail::send_waiter::phase::granted) {
        --s_->granted;
        next = s_->grant_next();
      }
    }
    if (next) std::move(next).wake();
  }

  detail::state<T>* s_;
  std::optional<T> value_;
  detail::send_waiter node_;
  bool parked_ = false;  // owner-task only: set before publishing, cleared on resume
  send_status status_ = send_status::ok;
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
    }
    return *this;
  }
  ~receiver() { release(); }

  // The next message; nullopt once the buffer is drained and no sender
  // remains (or after close()).
  recv_awaiter recv() noexcept { return recv_awaiter(s_.get()); }

  try_recv_result<T> try_recv() {
    try_recv_result<T> r;
    waker tx;
    {
      std::lock_guard lock(s_->mu);
      if (s_->take(r.value, tx)) r.status = r.value ? recv_status::value : recv_status::closed;
    }
    if (tx) std::move(tx).wake();
    return r;
  }

  // Refuses further sends (parked senders fail at once); what is buffered can
  // still be received.
  void close() noexcept {
    {
      std::lock_guard lock(s_->mu);
      if (s_->rx_closed) return;
      s_->rx_closed = true;  // from here on no sender can join the queue
    }
    // Fail the queued senders one lock round at a time, so that no waker is
    // woken under mu and nothing is allocated.
    for (;;) {
      waker w;
      {
        std::lock_guard lock(s_->mu);
        if (!s_->queue.linked()) return;
        w = s_->pop_sender(detail::send_waiter::phase::closed);
      }
      std::move(w).wake();
    }
  }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  template <class U>
  friend std::pair<unbounded_sender<U>, receiver<U>> unbounded_channel();
  explicit receiver(std::shared_ptr<detail::state<T>> s) noexcept : s_(std::move(s)) {}

  void release() noexcept {
    if (!s_) return;
    close();
    std::deque<T> unread;  // destroyed after the unlock: ~T may do anything
    {
      std::lock_guard lock(s_->mu);
      unread.swap(s_->buffer);
    }
    s_.reset();
  }

  std::shared_ptr<detail::state<T>> s_;
};

template <class T>
class [[nodiscard]] receiver<T>::recv_awaiter {
 public:
  explicit recv_awaiter(detail::state<T>* s) noexcept : s_(s) {}
  recv_awaiter(const recv_awaiter&) = delete;
  recv_awaiter& operator=(const recv_awaiter&) = delete;
  ~recv_awaiter() {
    if (!parked_) return;
    waker mine;  // empty if a sender already took it: the message stays buffered
    std::lock_guard lock(s_->mu);
    mine = std::move(s_->rx_waker);
  }

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> h) {
    waker tx;
    {
      std::lock_guard lock(s_->mu);
      if (!s_->take(value_, tx)) {
        assert(!s_->rx_waker && "mpsc: one recv at a time per receiver");
        s_->rx_waker = this_task::park(h);
        parked_ = true;
        return true;  // published: `this` is not touched after the unlock
      }
    }
    if (tx) std::move(tx).wake();
    return false;
  }

  std::optional<T> await_resume() {
    if (parked_) {
      // Woken only by a push or by the last sender leaving: take() succeeds.
      waker tx;
      {
        std::lock_guard lock(s_->mu);
        [[maybe_unused]] const bool done = s_->take(value_, tx);
        assert(done && "mpsc: receiver woken with nothing to take");
        parked_ = false;
      }
      if (tx) std::move(tx).wake();
    }
    return std::move(value_);
  }

 private:
  detail::state<T>* s_;
  std::optional<T> value_;
  bool parked_ = false;  // owner-task only
};

// Bounded channel with `capacity` permits (> 0; throws std::invalid_argument).
template <class T>
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("mpsc::channel: capacity must be > 0");
  auto s = std::make_shared<detail::state<T>>(capacity);
  return {sender<T>(s), receiver<T>(s)};
}

// Unbounded variant: sending never waits (the buffer grows instead).
template <class T>
class unbounded_sender {
 public:
  // ok, or closed with the value handed back.
  send_result<T> send(T value) { return tx_.try_send(std::move(value)); }
  bool is_closed() const { return tx_.is_closed(); }

 private:
  template <class U>
  friend std::pair<unbounded_sender<U>, receiver<U>> unbounded_channel();
  explicit unbounded_sender(std::shared_ptr<detail::state<T>> s) noexcept : tx_(std::move(s)) {}
  sender<T> tx_;  // copying an unbounded_sender copies this: one more sender
};

template <class T>
std::pair<unbounded_sender<T>, receiver<T>> unbounded_channel() {
  auto s = std::make_shared<detail::state<T>>(std::numeric_limits<std::size_t>::max());
  return {unbounded_sender<T>(s), receiver<T>(s)};
}

}  // namespace ringlane::mpsc
