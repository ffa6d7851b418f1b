// io_context.hpp -- the per-worker I/O backend: the one seam between
// operations and the kernel.
//
// Each worker's runtime driver *is* its io_context: the runtime parks it
// (driver::park with the timer wheel's next deadline) and the engine starts
// operations on it. Two implementations: uring_context (io_uring) and
// epoll_context (readiness + non-blocking syscalls). They accept the same
// op_base and deliver the same completions.
//
//   start(op)   begins `op`. Returns true when the op completed at once
//               (op.res/flags are set and no completion will follow: the
//               epoll backend tries the syscall first); false when a
//               completion will be delivered later, on this worker, through
//               op.on_complete(). Never calls on_complete from inside start().
//   cancel(op)  asks to stop an in-flight op. Its completion still arrives
//               (-ECANCELED, or its real result if it raced); only then may
//               the op's memory go. A no-op for ops already complete.
//
// Owner thread only, except driver::unpark (any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/io/backend_kind.hpp"
#include "engine/io/op.hpp"
#include "runtime/sched/driver.hpp"

namespace ringlane::engine {

// Receive buffers shared by every connection of a worker (IO_URING.md 3.2:
// memory is per worker, not per connection). The io_uring backend registers
// them as a provided-buffer ring; the epoll backend hands them out itself.
class buffer_pool {
 public:
  virtual ~buffer_pool() = default;
  // The bytes of buffer `bid` (valid while the caller holds it).
  virtual std::span<std::byte> get(std::uint16_t bid) noexcept = 0;
  // Gives buffer `bid` back to the pool.
  virtual void put(std::uint16_t bid) noexcept = 0;
  virtual std::uint32_t buffer_size() const noexcept = 0;
  virtual std::uint32_t available() const noexcept = 0;
  virtual std::uint32_t capacity() const noexcept = 0;
};

class io_context : public driver {
 public:
  virtual bool start(op_base& op) = 0;
  virtual void cancel(op_base& op) = 0;
  virtual buffer_pool& buffers() noexcept = 0;
  virtual backend_kind kind() const noexcept = 0;
  // One line for logs: backend, tier, why.
  virtual std::string describe() const = 0;
};

// Backends call this for every completion they reap. An orphaned op (its
// awaiter is gone) is finished here: a pool buffer it carries goes back, an
// fd it accepted is closed, and the op is deleted with its last completion.
// Otherwise op.on_complete() runs.
void deliver(io_context& io, op_base& op, std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept;

// The io_context of the calling worker; nullptr outside engine workers.
io_context* current_io() noexcept;
// Set by each backend's constructor on its worker thread.
void set_current_io(io_context* io) noexcept;

}  // namespace ringlane::engine
