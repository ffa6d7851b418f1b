// header.hpp -- task_header: the unit the scheduler queues, runs and wakes.
//
// A spawned task is a heap object (spawned_task<T>, from the frame pool) that
// starts with a task_header and owns the task<T> body. Everything the
// scheduler knows about a task lives here.
//
// State word (`state`, 64-bit atomic), Tokio-style: six flag bits, the
// reference count, and the *park generation*, so that most transitions that
// also move a reference are one atomic operation:
//
//   63            32 31              6 5                       0
//   [ generation    | refcount        | JW JI CA CO RU NO       ]
//
//   NOTIFIED  the task is in a run queue, or must be put back into one when
//             the current run ends (it was woken while RUNNING)
//   RUNNING   a worker owns the right to resume it: it is being resumed, or
//             it yielded and sits in a queue (see worker.cpp, "yield")
//   COMPLETE  the body finished or was cancelled; wakes are ignored
//   CANCELLED abort() was requested; the next run destroys the body instead
//             of resuming it
//   JOIN_INTEREST  a join_handle exists
//   JOIN_WAKER     a joiner's waker is stored in `join_waiter`; from then on
//                  the completer owns that slot
//   generation     bumped by every this_task::park(); a waker carries the
//                  generation of the park that made it and is ignored once
//                  the task has parked again. Without it a late duplicate
//                  wake-up (the second of two children finishing, a timer
//                  racing a message) would resume the task at a *later*
//                  suspension point whose event has not happened.
//
//            wake                 pop                resume returns
//   IDLE ---------> NOTIFIED ----------> RUNNING ---------------------> IDLE
//    ^                 ^                   |  \  (woken meanwhile)
//    |                 +-------------------+   \-----> COMPLETE (body done
//    +------ parked again ---------------------        or cancelled)
//
// Who may touch which field:
//   state                       any thread, atomically
//   next                        whoever holds the task in a queue
//   resume_point, bound, yield_requested, parked
//                               the worker running the task (RUNNING), or
//                               the worker that pops it: hand-over is ordered
//                               by the release/acquire on `state` and on the
//                               queues
//   home, sched, vt, id, shard  immutable after spawn
//   owned_prev/owned_next       under the owning shard's lock
//   join_waiter, join_waiter_gen
//                               the joiner until JOIN_WAKER is set, then the
//                               completer
//
// Reference counting (bits 6..31): one reference belongs to the scheduler
// from spawn until completion (it also covers being in a queue), one to the
// join_handle, and one to every live waker. The last release frees the
// object. 2^26 references per task is far beyond any real fan-in.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

namespace ringlane::detail {

class scheduler;
class worker;
struct task_header;

struct task_vtable {
  bool (*body_done)(task_header*) noexcept;
  // Destroys the body frame (cancel, shutdown, or after completion).
  void (*drop_body)(task_header*) noexcept;
  // True when the finished body ended with an exception.
  bool (*has_error)(task_header*) noexcept;
  // Logs the body's exception (a detached task failed).
  void (*log_error)(task_header*) noexcept;
  void (*deallocate)(task_header*) noexcept;
};

namespace task_state {
inline constexpr std::uint64_t notified = 1u << 0;
inline constexpr std::uint64_t running = 1u << 1;
inline constexpr std::uint64_t complete = 1u << 2;
inline constexpr std::uint64_t cancelled = 1u << 3;
inline constexpr std::uint64_t join_interest = 1u << 4;
inline constexpr std::uint64_t join_waker = 1u << 5;
inline constexpr unsigned ref_shift = 6;
inline constexpr std::uint64_t ref_one = std::uint64_t{1} << ref_shift;
inline constexpr std::uint64_t ref_mask = ((std::uint64_t{1} << 26) - 1) << ref_shift;
inline constexpr std::uint64_t refs(std::uint64_t s) noexcept { return (s & ref_mask) >> ref_shift; }
inline constexpr unsigned gen_shift = 32;
inline constexpr std::uint64_t gen_one = std::uint64_t{1} << gen_shift;
inline constexpr std::uint32_t generation(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s >> gen_shift); }
}  // namespace task_state

struct task_header {
  std::atomic<std::uint64_t> state{0};
  task_header* next = nullptr;
  std::coroutine_handle<> resume_point;
  worker* home = nullptr;   // pinned tasks: the only worker that runs them
  worker* bound = nullptr;  // worker owning the resource the task is parked on
  scheduler* sched = nullptr;
  const task_vtable* vt = nullptr;
  task_header* join_waiter = nullptr;  // a waker's reference, see join_handle
  std::uint32_t join_waiter_gen = 0;
  task_header* owned_prev = nullptr;
  task_header* owned_next = nullptr;
  std::uint64_t id = 0;
  std::uint32_t shard = 0;
  bool yield_requested = false;
  bool parked = false;  // set by this_task::park during the current run
  bool stealable() const noexcept { return home == nullptr; }

  void ref() noexcept {
    // Relaxed: taking a new reference only needs one we already hold.
    state.fetch_add(task_state::ref_one, std::memory_order_relaxed);
  }
  void release() noexcept {
    // acq_rel: the last releaser must see every write made under the other
    // references before it frees the object (same argument as shared_ptr).
    release_with(0);
  }
  // Drops a reference and clears `bits` in the same operation.
  void release_with(std::uint64_t bits) noexcept {
    const std::uint64_t prev = state.fetch_sub(task_state::ref_one + bits, std::memory_order_acq_rel);
    if (task_state::refs(prev) == 1) vt->deallocate(this);
  }
};

// The header of the task running on this thread, or nullptr outside tasks.
task_header* current_task() noexcept;

// Routes a task whose state just became NOTIFIED to a run queue.
void schedule(task_header* t) noexcept;

}  // namespace ringlane::detail
