// uring_context.hpp -- the io_uring backend: one ring per worker, and the
// worker's runtime driver.
//
// One loop turn, as the worker sees it (runtime/sched/worker.cpp calls
// park() when it has nothing to run, poll() every 61 tasks while busy):
//
//   park(timeout)
//   ├─ 1. commit recycled receive buffers (one store-release of the tail)
//   ├─ 2. io_uring_submit_and_wait_timeout: submit every queued SQE, run the
//   │     deferred task work, and sleep until a CQE, an unpark, or the timer
//   │     wheel's next deadline -- one syscall (EXT_ARG: no timeout SQE)
//   ├─ 3. reap all CQEs in one batch: decode user_data -> op, translate
//   │     flags (MORE, BUFFER), deliver() -> the op wakes its task
//   ├─ 4. CQ overflow: get_events until the kernel's backlog is drained
//   └─ 5. commit again (step 3 may have returned buffers)
//
//           SQ ring (we write, kernel reads)      CQ ring (kernel writes, we read)
//   start ─> [sqe][sqe][sqe]...  ─ enter ─>  kernel ─> [cqe][cqe]... ─> deliver
//   cancel ─> [ASYNC_CANCEL sqe]                        (target's own CQE follows)
//
// Cross-thread unpark: an eventfd with a read always armed in the ring.
// unpark() writes it only when the owner may be asleep (see unpark()); the
// read's CQE ends the wait and the read is re-armed. An eventfd works from
// any thread (the blocking pool, block_on); msg_ring would need a ring of
// the sender's own.
//
// Owner thread only, except unpark().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/io/io_context.hpp"
#include "engine/uring/buffer_ring.hpp"
#include "engine/uring/ring.hpp"

namespace ringlane::engine {

// How another thread wakes this worker out of io_uring_enter.
//   eventfd   write(2) to an eventfd whose read is kept armed in this ring;
//             works from any thread.
//   msg_ring  an IORING_OP_MSG_RING from the waker's *own* ring (a worker of
//             the same engine): no syscall of its own beyond its submit.
//             Wakers without a ring (block_on, the blocking pool) still use
//             the eventfd.
enum class wake_mechanism : std::uint8_t { eventfd, msg_ring };

struct uring_options {
  ring_options ring;
  std::uint32_t buffers = 1024;        // receive buffers per worker (power of two)
  std::uint32_t buffer_size = 16384;   // bytes each (16 KiB: a typical request in one buffer)
  bool multishot_recv = true;          // from the probe; false = single-shot recv re-armed by us
  bool multishot_accept = true;
  wake_mechanism wake = wake_mechanism::eventfd;
  std::string reason;                  // why this backend was chosen (startup log)
};

class uring_context final : public io_context {
 public:
  // Creates the ring on the calling thread (the worker). Throws
  // std::system_error if the ring cannot be created.
  explicit uring_context(const uring_options& options);
  ~uring_context() override;

  // driver
  void park(std::optional<std::chrono::nanoseconds> timeout) override;
  void poll() override;
  void unpark() noexcept override;

  // io_context
  bool start(op_base& op) override;
  void cancel(op_base& op) override;
  buffer_pool& buffers() noexcept override;
  backend_kind kind() const noexcept override { return backend_kind::uring; }
  std::string describe() const override;

  // For tests and metrics.
  std::uint64_t cq_overflows() const noexcept { return overflows_; }
  const ring& raw() const noexcept { return *ring_; }

 private:
  class pool;

  io_uring_sqe* next_sqe() noexcept;
  // On the caller's own ring: post a wake-up CQE into `target`'s ring.
  bool send_msg_wake(int target_ring_fd) noexcept;
  void prep(io_uring_sqe* sqe, op_base& op);
  void arm_wake_read() noexcept;
  void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept;
  std::size_t reap() noexcept;
  void complete(io_uring_cqe* cqe) noexcept;

  uring_options opts_;
  std::unique_ptr<ring> ring_;
  std::optional<buffer_ring> buffers_;
  std::unique_ptr<pool> pool_;
  int wake_fd_ = -1;
  std::uint64_t wake_value_ = 0;             // the armed eventfd read writes here
  std::atomic<bool> sleeping_{false};        // owner may be in io_uring_enter
  std::atomic<bool> pending_{false};         // an unpark not yet consumed
  std::atomic<bool> kicked_{false};          // eventfd written, read not yet reaped
  bool wake_armed_ = false;                  // the eventfd read is in the ring
  bool closing_ = false;                     // destructor running: do not re-arm
  std::uint64_t overflows_ = 0;
  std::uint32_t in_flight_ = 0;              // ops started and not finally completed
};

}  // namespace ringlane::engine
