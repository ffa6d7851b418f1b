// ring.hpp -- one io_uring, owned by the thread that created it.
//
// What this file does: set up a `struct io_uring` with the best flags the
// kernel accepts (the fallback ladder below), apply the per-ring settings
// from IO_URING.md 2.3, and tear it down. Everything above (ops, the reactor
// loop) gets the raw `io_uring*` from here.
//
// The flag ladder (IO_URING.md 2.3; each step is tried only when the previous
// one failed with EINVAL, which is how a kernel says "unknown flag"):
//
//   (a) SINGLE_ISSUER | DEFER_TASKRUN | COOP_TASKRUN | TASKRUN_FLAG |
//       SUBMIT_ALL | CQSIZE | CLAMP                                    6.1+
//   (b) drop DEFER_TASKRUN and SINGLE_ISSUER                           5.19
//   (c) drop COOP_TASKRUN and TASKRUN_FLAG                             5.18
//   (d) drop SUBMIT_ALL                                                5.6
//   (e) drop CQSIZE and CLAMP (no flags left)                          5.1+
//
//   EPERM  (seccomp: Docker/containerd default profiles; sysctl
//           kernel.io_uring_disabled), ENOSYS (no CONFIG_IO_URING), ENOMEM
//           (RLIMIT_MEMLOCK on <= 5.11) and anything else stop the ladder:
//           io_uring is unavailable, the caller uses epoll, and the failure
//           says why. safe_mode removes DEFER_TASKRUN from every step (the
//           bug list in IO_URING.md 2.3 is mostly DEFER_TASKRUN and multishot).
//
// After setup: io_uring_register_ring_fd (5.18; liburing 2.3 returns 1 on
// success, not 0), io_uring_ring_dontfork (pitfall 10: a forked child must
// not inherit the ring mappings), io_uring_register_iowq_max_workers (5.15;
// caps the kernel's helper threads). None of them is fatal; post_setup()
// records each raw result.
//
// Ownership and threads (DESIGN.md decision 1):
//   - Create the ring on the worker thread that will submit to it. With
//     SINGLE_ISSUER the creating task is the only one allowed to submit
//     (others get -EEXIST); with DEFER_TASKRUN completions are only produced
//     when that thread enters the kernel to wait or calls io_uring_get_events.
//   - The registered ring fd is an index into the *thread's* table, so the
//     ring must also be destroyed on its thread (io_uring_queue_exit
//     unregisters it there).
//   - A `ring` never moves: create() hands out a unique_ptr, so the
//     `io_uring*` given to buffer rings and op states stays valid for the
//     ring's whole life. Destroy the ring last, after every buffer ring
//     registered on it and after the last CQE of every op (decision 4).
//
// Memory ordering: this class adds none. The SQ tail is published with a
// store-release inside io_uring_submit, the CQ tail is read with a
// load-acquire in io_uring_peek_cqe and the CQ head is released in
// io_uring_cq_advance (liburing's queue.c / liburing.h document each one).
//
// Error channels: setup failures are values (ring_result) so the capability
// probe can fall back to epoll; create_or_throw() turns them into
// std::system_error for callers that cannot continue.
#pragma once

#include <liburing.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ringlane::engine {

// The setup call; same contract as io_uring_queue_init_params (0, or a
// negative errno). Injectable so tests can make the kernel "reject" chosen
// flag sets. A replacement that returns 0 must have initialised *ring.
using setup_fn = int (*)(unsigned entries, io_uring* ring, io_uring_params* params);

enum class ladder_step : std::uint8_t { a = 0, b = 1, c = 2, d = 3, e = 4 };
inline constexpr std::size_t ladder_length = 5;

// The flags requested at `step` (safe_mode strips DEFER_TASKRUN everywhere).
unsigned ladder_flags(ladder_step step, bool safe_mode) noexcept;
// "a" .. "e".
const char* ladder_step_name(ladder_step step) noexcept;
// "SINGLE_ISSUER|DEFER_TASKRUN|..."; "none" for 0; unknown bits in hex.
std::string setup_flag_names(unsigned flags);

struct setup_attempt {
  ladder_step step = ladder_step::a;
  unsigned flags = 0;  // what was asked for
  int result = 0;      // 0, or the negative errno the setup call returned
};

// Every attempt in order; the last one decided the outcome.
struct setup_trace {
  std::array<setup_attempt, ladder_length> attempts{};
  std::size_t count = 0;
  std::span<const setup_attempt> view() const noexcept { return {attempts.data(), count}; }
};

struct ring_options {
  // 1024 SQEs = 64 KiB. The SQ only bounds how many SQEs one loop turn can
  // batch into one io_uring_enter: when it fills we flush and carry on
  // (pitfall 7), and with multishot accept/recv most turns need one SQE per
  // *send*, not per event. 1024 ops per syscall amortise the syscall to
  // noise; more only costs memory per worker (and RLIMIT_MEMLOCK <= 5.11).
  unsigned sq_entries = 1024;
  // 0 = 4 x sq_entries (capped at the kernel's 65536). Multishot decouples
  // CQE volume from SQE volume, so the CQ must absorb a whole turn of
  // completions; the default CQ would be only 2 x SQ (pitfall 1).
  unsigned cq_entries = 0;
  bool safe_mode = false;         // no DEFER_TASKRUN (multishot is the probe's business)
  bool register_ring_fd = true;   // saves an fget/fput per io_uring_enter
  // io-wq caps: [0] bounded workers (regular-file I/O), [1] unbounded
  // (anything that may block forever). 0 = keep the kernel default. Socket
  // I/O does not use io-wq with FAST_POLL, so unbounded workers are rare and
  // a small cap stops a burst of blocking ops from spawning hundreds of
  // kernel threads (the default is RLIMIT_NPROC).
  unsigned iowq_max_bounded = 0;
  unsigned iowq_max_unbounded = 4;
  setup_fn setup = &io_uring_queue_init_params;
};

// Raw results of the post-setup calls, for the startup log and tests.
struct post_setup_results {
  int register_ring_fd = 0;   // 1 = registered (liburing 2.3 returns the count); < 0 errno; 0 = not asked
  int dontfork = 0;           // 0 or negative errno
  int iowq_max_workers = 0;   // 0 or negative errno (-EINVAL before 5.15)
};

struct setup_failure {
  int error = 0;                      // negative errno of the attempt that stopped the ladder
  ladder_step step = ladder_step::a;  // where it stopped
  std::string reason;                 // "io_uring unavailable: ..." for the startup log
};

class ring_result;

class ring {
 public:
  // Walks the ladder on the calling thread. Never throws for kernel errors
  // (only std::bad_alloc).
  static ring_result create(const ring_options& options = {});
  // Same, but throws std::system_error(errno, reason) when setup fails.
  static std::unique_ptr<ring> create_or_throw(const ring_options& options = {});

  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring();  // owner thread only

  io_uring* get() noexcept { return &ring_; }
  const io_uring* get() const noexcept { return &ring_; }
  // The real ring fd (a msg_ring target), also when a registered index exists.
  int fd() const noexcept { return ring_.ring_fd; }
  unsigned flags() const noexcept { return ring_.flags; }   // the IORING_SETUP_* set obtained
  unsigned features() const noexcept { return features_; }  // IORING_FEAT_* from the kernel
  ladder_step step() const noexcept { return trace_.attempts[trace_.count - 1].step; }
  const setup_trace& trace() const noexcept { return trace_; }
  unsigned sq_entries() const noexcept { return ring_.sq.ring_entries; }  // after kernel rounding/clamping
  unsigned cq_entries() const noexcept { return ring_.cq.ring_entries; }
  bool ring_fd_registered() const noexcept { return post_.register_ring_fd == 1; }
  const post_setup_results& post_setup() const noexcept { return post_; }

 private:
  ring() = default;
  io_uring ring_{};
  bool live_ = false;  // ring_ holds a set-up ring (a zeroed io_uring has ring_fd 0: never "exit" that)
  unsigned features_ = 0;
  setup_trace trace_;
  post_setup_results post_;
};

// An expected-like result: a ring, or why there is none. trace() is filled
// in both cases.
class ring_result {
 public:
  bool has_value() const noexcept { return ring_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  ring& value() const noexcept { return *ring_; }              // precondition: has_value()
  std::unique_ptr<ring> take() noexcept { return std::move(ring_); }
  const setup_failure& error() const noexcept { return failure_; }  // meaningful when !has_value()
  const setup_trace& trace() const noexcept { return trace_; }

 private:
  friend class ring;
  std::unique_ptr<ring> ring_;
  setup_failure failure_;
  setup_trace trace_;
};

}  // namespace ringlane::engine
