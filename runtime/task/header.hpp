// header.hpp -- task_header: the unit the scheduler queues, runs and wakes.
//
// A spawned task is a heap object (spawned_task<T>, from the frame pool) that
// starts with a task_header and owns the task<T> body. Everything the
// scheduler knows about a task lives here.
//
// State word (`state`, atomic), Tokio-style:
//
//   NOTIFIED  the task is in a run queue, or must be put back into one when
//             the current run ends (it was woken while RUNNING)
//   RUNNING   a worker is resuming it right now (exactly one worker)
//   COMPLETE  the body finished or was cancelled; wakes are ignored
//   CANCELLED abort() was requested; the next run destroys the body instead
//             of resuming it
//   JOIN_INTEREST  a join_handle exists
//   JOIN_WAKER     a joiner's waker is stored in `join_waiter`; from then on
//                  the completer owns that slot
//
//            wake                 pop                resume returns
//   IDLE ---------> NOTIFIED ----------> RUNNING ---------------------> IDLE
//    ^                 ^                   |  \  (woken meanwhile/yield)
//    |                 +-------------------+   \-----> COMPLETE (body done
//    +------ parked again ---------------------        or cancelled)
//
// Who may touch which field:
//   state, refs                 any thread, atomically
//   next                        whoever holds the task in a queue
//   resume_point, bound, yield_requested, parked
//                               the worker running the task (RUNNING), or
//                               the worker that pops it: hand-over is ordered
//                               by the release/acquire on `state` and on the
//                               queues
//   home, sched, vt, id, shard  immutable after spawn
//   owned_prev/owned_next       under the owning shard's lock
//   join_waiter                 the joiner until JOIN_WAKER is set, then the
//                               completer
//
// Reference counting: one reference belongs to the scheduler from spawn until
// completion (it also covers being in a queue), one to the join_handle, and
// one to every live waker. The last release frees the object.
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
inline constexpr std::uint32_t notified = 1u << 0;
inline constexpr std::uint32_t running = 1u << 1;
inline constexpr std::uint32_t complete = 1u << 2;
inline constexpr std::uint32_t cancelled = 1u << 3;
inline constexpr std::uint32_t join_interest = 1u << 4;
inline constexpr std::uint32_t join_waker = 1u << 5;
}  // namespace task_state

struct task_header {
  std::atomic<std::uint32_t> state{0};
  std::atomic<std::uint32_t> refs{0};
  task_header* next = nullptr;
  std::coroutine_handle<> resume_point;
  worker* home = nullptr;   // pinned tasks: the only worker that runs them
  worker* bound = nullptr;  // worker owning the resource the task is parked on
  scheduler* sched = nullptr;
  const task_vtable* vt = nullptr;
  task_header* join_waiter = nullptr;  // a waker's reference, see join_handle
  task_header* owned_prev = nullptr;
  task_header* owned_next = nullptr;
  std::uint64_t id = 0;
  std::uint32_t shard = 0;
  bool yield_requested = false;
  bool parked = false;  // set by this_task::park during the current run
  bool stealable() const noexcept { return home == nullptr; }

  void ref() noexcept {
    // Relaxed: taking a new reference only needs one we already hold.
    refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    // acq_rel: the last releaser must see every write made under the other
    // references before it frees the object (same argument as shared_ptr).
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) vt->deallocate(this);
  }
};

// The header of the task running on this thread, or nullptr outside tasks.
task_header* current_task() noexcept;

// Routes a task whose state just became NOTIFIED to a run queue.
void schedule(task_header* t) noexcept;

}  // namespace ringlane::detail
