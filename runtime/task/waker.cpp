// waker.cpp -- the task-facing half of the scheduler: park() opens a new
// generation of the task's state word and hands out a waker for it; wake()
// sets NOTIFIED and queues the task if nobody is running it. The state word's
// layout is in runtime/task/header.hpp; runtime/README.md §2–3 walks through
// the transitions.
#include "runtime/task/waker.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "runtime/sched/worker.hpp"

namespace ringlane {

using namespace detail::task_state;

// Sets NOTIFIED if this waker is current; `drop` additionally gives up the
// waker's reference in the same operation. Returns true if the caller must
// queue the task (it was idle).
namespace {
bool notify(detail::task_header* t, std::uint32_t gen, std::uint64_t drop) noexcept {
  std::uint64_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    // Finished, already queued, or stale (the task parked again since this
    // waker was made, or the park that made it did not sleep): nothing to
    // do but drop the reference.
    if ((s & (complete | notified)) || detail::task_state::generation(s) != gen) {
      if (drop) t->release();
      return false;
    }
    // Running: the runner sees NOTIFIED and requeues; idle: we queue it.
    // acq_rel: acquire pairs with the runner's release in requeue() (we must
    // see its resume_point/bound); release hands our writes to the next run.
    // Dropping our reference here cannot free the task: it is not complete,
    // so the scheduler still holds its own.
    if (t->state.compare_exchange_weak(s, (s | notified) - drop, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return !(s & running);
    }
  }
}
}  // namespace

void waker::wake_by_ref() const noexcept {
  if (t_ && notify(t_, gen_, 0)) detail::schedule(t_);
}

void waker::wake() && noexcept {
  detail::task_header* t = std::exchange(t_, nullptr);
  if (t && notify(t, gen_, ref_one)) detail::schedule(t);
}

namespace this_task {

waker park(std::coroutine_handle<> h, park_binding binding) noexcept {
  detail::task_header* t = detail::current_task();
  if (!t) {
    std::fprintf(stderr, "ringlane: an awaiter suspended outside a ringlane task\n");
    std::abort();
  }
  t->resume_point = h;
  t->parked = true;
  if (binding == park_binding::this_worker) t->bound = detail::current_worker();
  // Open a new generation: wakers of earlier parks become stale, and a
  // NOTIFIED left over from them is cleared (unless an abort set it: that
  // one must still get the task scheduled).
  // The same operation takes the waker's reference.
  std::uint64_t s = t->state.load(std::memory_order_relaxed);
  std::uint64_t ns;
  do {
    ns = s + gen_one + ref_one;
    if (!(s & cancelled)) ns &= ~notified;
  } while (!t->state.compare_exchange_weak(s, ns, std::memory_order_acq_rel, std::memory_order_relaxed));
  return waker{t, detail::task_state::generation(ns)};
}

std::uint64_t id() noexcept {
  const detail::task_header* t = detail::current_task();
  return t ? t->id : 0;
}

}  // namespace this_task

}  // namespace ringlane
