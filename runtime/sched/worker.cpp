#include "runtime/sched/worker.hpp"

#include <pthread.h>

#include <cstdio>
#include <string>
#include <utility>

#include "runtime/sched/scheduler.hpp"
#include "runtime/task/coop.hpp"
#include "runtime/task/waker.hpp"

namespace ringlane::coop::detail {
constinit thread_local std::uint32_t budget = budget_per_run;
}  // namespace ringlane::coop::detail

namespace ringlane::detail {
namespace {

thread_local worker* tls_worker = nullptr;
thread_local task_header* tls_task = nullptr;

// xorshift64*: cheap victim selection for stealing.
std::uint64_t next_random(std::uint64_t& s) noexcept {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ull;
}

}  // namespace

worker* current_worker() noexcept { return tls_worker; }
task_header* current_task() noexcept { return tls_task; }

worker::worker(scheduler& s, std::uint32_t index)
    : sched_(s),
      index_(index),
      stealing_(s.options().stealing && s.options().workers > 1),
      global_countdown_(s.options().global_queue_interval),
      event_countdown_(s.options().event_interval),
      rng_(0x9e3779b97f4a7c15ull * (index + 1)),
      wheel_(0),
      trace_(s.options().trace_events) {}

std::uint64_t worker::now_ms() const noexcept {
  const auto since = sched_.clock().now() - sched_.epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
}

// ---------------------------------------------------------------------------
// Queuing

void worker::push_remote(task_header* t) noexcept {
  inbox_.push(t);
  // seq_cst pairs with the owner's store in park(): see inbox.hpp.
  if (parked_.load(std::memory_order_seq_cst)) unpark();
}

void worker::adopt(task_header* t) noexcept {
  t->shard = index_;
  // Unique without a shared counter: the worker index in the top bits.
  t->id = (std::uint64_t{index_} + 1) << 40 | ++id_seq_;
  owned_.push_front(t);
  counters_.spawned.add();
}

void worker::drain_remote_done() noexcept {
  task_header* t = remote_done_.take_all();
  while (t) {
    task_header* n = t->next;
    owned_.unlink(t);
    t->release();  // the reference the finishing worker took for us
    t = n;
  }
}

void worker::unpark() noexcept {
  // The driver exists from worker_ready() until the worker's teardown, which
  // only starts after shutdown stopped unparking.
  if (driver_) driver_->unpark();
}

void worker::push_pinned(task_header* t) noexcept {
  t->next = nullptr;
  if (pinned_tail_) pinned_tail_->next = t; else pinned_head_ = t;
  pinned_tail_ = t;
}

// Back of the queue the task belongs to.
void worker::push_queue(task_header* t) noexcept {
  // Bound tasks are parked on something of ours: they must run here. With
  // nobody to steal (one worker, or stealing off) the plain FIFO is cheaper
  // than the stealable ring (no CAS per pop).
  if (!t->stealable() || t->bound || !stealing_) {
    push_pinned(t);
    return;
  }
  local_queue::overflow o = stealable_.push(t);
  if (o.count) {
    counters_.overflows.add();
    trace_.record(tick_, trace_kind::overflow, o.count);
    sched_.inject_batch(o.first, o.last, o.count);
  }
}

void worker::push_local(task_header* t) noexcept {
  if (task_header* prev = lifo_) {
    // The newest wake-up runs next (message-passing locality); the task it
    // displaces keeps its turn at the back of its queue.
    lifo_ = t;
    push_queue(prev);
  } else {
    lifo_ = t;
  }
  maybe_notify_peer();
}

// Wake a sleeping peer when we hold more stealable work than we will run
// next. Single-worker runtimes skip this entirely.
void worker::maybe_notify_peer() noexcept {
  if (!stealing_) return;
  if (stealable_.len() + (lifo_ && lifo_->stealable() ? 1 : 0) > 1) sched_.notify_parked();
}

bool worker::has_local_work() const noexcept {
  return lifo_ || pinned_head_ || !stealable_.is_empty();
}

// ---------------------------------------------------------------------------
// Choosing the next task

task_header* worker::pop_pinned() noexcept {
  task_header* t = pinned_head_;
  if (t) {
    pinned_head_ = t->next;
    if (!pinned_head_) pinned_tail_ = nullptr;
    t->next = nullptr;
  }
  return t;
}

task_header* worker::take_inbox() noexcept {
  task_header* t = inbox_.take_all();
  if (!t) return nullptr;
  task_header* first = t;
  t = t->next;
  first->next = nullptr;
  while (t) {
    task_header* n = t->next;
    push_pinned(t);
    counters_.inbox_tasks.add();
    t = n;
  }
  counters_.inbox_tasks.add();
  source_ = task_source::inbox;
  return first;
}

task_header* worker::take_global() noexcept {
  inject_queue& g = sched_.global();
  if (g.is_empty()) return nullptr;
  // Take a fair share: len / workers + 1, at most half our local capacity.
  std::uint32_t want = g.len() / sched_.size() + 1;
  if (want > local_queue::capacity / 2) want = local_queue::capacity / 2;
  std::uint32_t taken = 0;
  task_header* first = g.pop_batch(want, taken);
  if (!first) return nullptr;
  counters_.global_pops.add(taken);
  source_ = task_source::global;
  task_header* t = first->next;
  first->next = nullptr;
  while (t) {
    task_header* n = t->next;
    push_queue(t);
    t = n;
  }
  return first;
}

task_header* worker::next_local() noexcept {
  if (lifo_) {
    if (lifo_runs_ < sched_.options().lifo_cap) {
      ++lifo_runs_;
      counters_.lifo_hits.add();
      source_ = task_source::lifo;
      return std::exchange(lifo_, nullptr);
    }
    push_queue(std::exchange(lifo_, nullptr));
  }
  lifo_runs_ = 0;
  // Alternate which local queue goes first so neither starves the other.
  task_header* t = nullptr;
  if (tick_ & 1) {
    if (!(t = pop_pinned())) t = stealable_.pop();
  } else {
    if (!(t = stealable_.pop())) t = pop_pinned();
  }
  if (t) {
    counters_.local_pops.add();
    source_ = task_source::local;
  }
  return t;
}

task_header* worker::next_task() noexcept {
  if (--global_countdown_ == 0) {
    global_countdown_ = sched_.options().global_queue_interval;
    if (task_header* t = take_inbox()) return t;
    if (task_header* t = take_global()) return t;
  }
  if (task_header* t = next_local()) return t;
  if (task_header* t = take_inbox()) return t;
  return take_global();
}

task_header* worker::steal() noexcept {
  if (!stealing_) return nullptr;
  const std::uint32_t n = sched_.size();
  if (!searching_) {
    searching_ = sched_.idle_state().transition_to_searching();
    if (!searching_) return nullptr;
  }
  const std::uint32_t start = static_cast<std::uint32_t>(next_random(rng_) % n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t victim = (start + i) % n;
    if (victim == index_) continue;
    local_queue& q = sched_.worker_at(victim).stealable();
    const std::uint32_t before = stealable_.len();
    if (task_header* t = q.steal_into(stealable_)) {
      const std::uint32_t moved = stealable_.len() - before + 1;
      counters_.steals.add();
      counters_.stolen_tasks.add(moved);
      trace_.record(tick_, trace_kind::steal, moved, static_cast<std::uint8_t>(victim));
      source_ = task_source::steal;
      return t;
    }
  }
  // The global queue may have filled while we looked.
  return take_global();
}

// ---------------------------------------------------------------------------
// Running

void worker::run_task(task_header* t) noexcept {
  using namespace task_state;
  counters_.polls.add();
  std::uint64_t s;
  if (t->yield_requested) {
    // A yielded task stayed RUNNING while it waited in our queue (see
    // requeue): nothing to transition. Acquire: a thief must see what the
    // yielding worker wrote (the queue's release/acquire already orders it;
    // this load is for the CANCELLED bit).
    t->yield_requested = false;
    s = t->state.load(std::memory_order_acquire);
  } else {
    // NOTIFIED -> RUNNING in one RMW: a queued task has NOTIFIED set and
    // RUNNING clear, so xor flips exactly those two bits. Acquire: see what
    // the waker published before it queued us.
    s = t->state.fetch_xor(notified | running, std::memory_order_acquire) ^ (notified | running);
  }

  if (s & cancelled) {
    t->vt->drop_body(t);
    finish(t);
    return;
  }

  t->bound = nullptr;
  t->parked = false;
  tls_task = t;
  coop::detail::budget = coop::budget_per_run;
  t->resume_point.resume();
  tls_task = nullptr;

  if (t->vt->body_done(t)) {
    t->vt->drop_body(t);  // store the result, destroy the frame
    finish(t);
    return;
  }
  if (!t->parked && !t->yield_requested) {
    // The body suspended without registering a waker (e.g. co_await
    // std::suspend_always): nothing could ever resume it.
    std::fprintf(stderr, "ringlane: task %llu suspended outside this_task::park(); cancelling it\n",
                 static_cast<unsigned long long>(t->id));
    t->state.fetch_or(cancelled | notified, std::memory_order_acq_rel);
  }
  requeue(t);
}

// End of a run that did not finish the body.
//
//   yield:   the task goes to the back of the queue and *stays RUNNING*: we
//            keep the right to run it, so no state change is needed and a
//            wake meanwhile only sets NOTIFIED (no RMW on the yield path).
//   parked:  RUNNING -> IDLE with one fetch_and. If NOTIFIED was set (woken
//            while running, for this park's generation), the task is now
//            NOTIFIED-and-not-RUNNING: it is ours to queue.
void worker::requeue(task_header* t) noexcept {
  using namespace task_state;
  if (!t->yield_requested) {
    // Release: the next runner, or a waker that sees IDLE, must see our
    // writes to resume_point and bound.
    const std::uint64_t prev = t->state.fetch_and(~running, std::memory_order_acq_rel);
    if (!(prev & notified)) return;
  }
  // A yielded task is never bound and a pinned one is always home, so only
  // a notified task can belong to another worker here.
  worker* target = t->bound ? t->bound : t->home;
  if (target && target != this) {
    target->push_remote(t);
  } else {
    push_queue(t);  // the back, never the LIFO slot
  }
}

void worker::finish(task_header* t) noexcept {
  using namespace task_state;
  // Leave the registry before anyone can observe COMPLETE, so that a joiner
  // that saw the task complete also sees it gone from live_tasks.
  if (t->shard == scheduler::foreign_shard) {
    sched_.unregister_foreign(t);
  } else if (t->shard == index_) {
    counters_.finished.add();
    owned_.unlink(t);
  } else {
    counters_.finished.add();
    t->ref();  // keeps it alive until its owner unlinks it
    sched_.worker_at(t->shard).remote_done_.push(t);
  }
  const std::uint64_t s = t->state.fetch_or(complete, std::memory_order_acq_rel);
  if (s & join_waker) {
    // JOIN_WAKER was set before COMPLETE: the slot is ours now.
    waker w(std::exchange(t->join_waiter, nullptr), t->join_waiter_gen);
    std::move(w).wake();
  }
  if (!(s & join_interest) && t->vt->has_error(t)) t->vt->log_error(t);
  t->release();  // the scheduler's reference
}

// ---------------------------------------------------------------------------
// Timers, maintenance, parking

std::size_t worker::fire_timers() noexcept {
  const std::size_t n = wheel_.advance(now_ms());
  if (n) {
    counters_.timers_fired.add(n);
    trace_.record(tick_, trace_kind::timers, n);
  }
  return n;
}

void worker::maintenance() noexcept {
  if (--event_countdown_ == 0) {
    event_countdown_ = sched_.options().event_interval;
    drain_remote_done();
    driver_->poll();
    fire_timers();
  }
}

void worker::park() noexcept {
  drain_remote_done();
  if (fire_timers()) return;
  parked_.store(true, std::memory_order_seq_cst);
  const bool was_last_searcher = sched_.idle_state().transition_to_parked(index_, searching_);
  searching_ = false;
  if (was_last_searcher && sched_.any_stealable_work()) sched_.notify_parked();

  // Re-check what other threads may have handed us: the inbox (inbox.hpp
  // explains why this cannot miss a push) and the global queue. A producer
  // pushes there (seq_cst) and then reads the idle state with an RMW; we
  // updated the idle state (RMW) above and read the queue now: one of us
  // sees the other. Searchers re-check every queue anyway; this covers the
  // workers that never search (one worker, or stealing off).
  if (inbox_.is_empty() && sched_.global().is_empty() && !sched_.stopping()) {
    std::optional<std::chrono::nanoseconds> timeout;
    if (auto next = wheel_.next_deadline()) {
      const auto deadline = sched_.epoch() + std::chrono::milliseconds(*next);
      const auto left = deadline - sched_.clock().now();
      timeout = left.count() > 0 ? std::chrono::duration_cast<std::chrono::nanoseconds>(left)
                                 : std::chrono::nanoseconds(0);
    }
    counters_.parks.add();
    if (trace_.enabled()) {
      const auto ms = timeout ? std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count() : -1;
      trace_.record(tick_, trace_kind::park, timeout ? static_cast<std::uint64_t>(ms) : ~std::uint64_t{0});
    }
    driver_->park(timeout);
  }
  parked_.store(false, std::memory_order_relaxed);
  searching_ = sched_.idle_state().transition_from_parked(index_);
  fire_timers();
}

void worker::run() {
  tls_worker = this;
  const std::string name = sched_.options().thread_name + "-" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  driver_ = sched_.make_driver(index_);
  wheel_.advance(now_ms());
  sched_.worker_ready();

  while (!sched_.stopping()) {
    task_header* t = next_task();
    if (!t) t = steal();
    if (t) {
      if (searching_) {
        searching_ = false;
        // The last searcher to find work wakes another: there may be more.
        if (sched_.idle_state().transition_from_searching()) sched_.notify_parked();
      }
      ++tick_;
      trace_.record(tick_, trace_kind::run, t->id, static_cast<std::uint8_t>(source_));
      run_task(t);
      maintenance();
      continue;
    }
    park();
  }
  if (searching_) {
    sched_.idle_state().transition_from_searching();
    searching_ = false;
  }
  sched_.worker_stopped();  // returns once every task is gone
  driver_.reset();          // on this thread: rings are single-issuer
  tls_worker = nullptr;
}

void schedule(task_header* t) noexcept {
  worker* me = tls_worker;
  if (me && &me->sched() != t->sched) me = nullptr;
  worker* target = t->bound ? t->bound : t->home;
  if (target) {
    if (target == me) me->push_local(t); else target->push_remote(t);
  } else if (me) {
    me->push_local(t);
  } else {
    t->sched->inject(t);
  }
}

}  // namespace ringlane::detail
