// capabilities.hpp -- what this kernel and this process can do, probed once.
//
// DESIGN.md decision 6: capabilities are probed, never guessed from the
// kernel version. probe() runs the algorithm of IO_URING.md 2.2 once per
// process and records the answers in one struct; every later code path
// branches on that record.
//
//   1. Kill switch: RINGLANE_BACKEND=epoll (or probe_options::backend) picks
//      epoll without touching io_uring -- some seccomp profiles kill the
//      process on io_uring_setup instead of returning EPERM.
//      RINGLANE_BACKEND=uring demands io_uring: if it is impossible, probe()
//      throws std::system_error instead of falling back. "auto" or unset:
//      decide from the probe. Anything else throws std::invalid_argument.
//   2. Create a small ring with the setup ladder (ring.hpp). EPERM, ENOSYS,
//      ENOMEM, ... mean epoll, with the reason.
//   3. Required FEAT bits: NODROP, SUBMIT_STABLE, FAST_POLL, EXT_ARG (5.11).
//   4. Opcode probe (io_uring_get_probe_ring). Required: the networking set
//      (ACCEPT RECV SEND SENDMSG WRITEV ASYNC_CANCEL TIMEOUT LINK_TIMEOUT
//      CLOSE SHUTDOWN); the rest is recorded.
//   5. Trials, on the probe ring, for what the opcode probe cannot see:
//      a loopback listener + multishot accept, a 2-buffer buffer ring, a
//      socketpair + multishot recv from that buffer ring, a msg_ring to the
//      probe ring itself. A CQE of -EINVAL means "unsupported"; each trial
//      reaps every CQE it caused before its memory is freed.
//   6. Tier (IO_URING.md 2.4), a one-line reason, done.
//
// Tiers as this engine defines them:
//   A  io_uring, flags include DEFER_TASKRUN (step a of the ladder), and
//      multishot accept, multishot recv, buffer rings and msg_ring all work.
//   B  io_uring with COOP_TASKRUN and buffer rings (multishot used where its
//      trial passed). safe_mode lands here at best: it drops DEFER_TASKRUN
//      and multishot.
//   C  io_uring with the required features and opcodes only: single-shot
//      ops with per-op buffers.
//   D  epoll: forced, or io_uring unavailable or insufficient.
//
// Threads: probe() is safe to call from any thread (a mutex guards the
// cached record, which never changes once set); the probe ring is created
// and destroyed on the calling thread. The first
// call's options win; later calls return the cached record. detect() runs
// the whole probe again without caching (tests, tools).
#pragma once

#include <cstdint>
#include <string>

#include "engine/io/backend_kind.hpp"
#include "engine/uring/ring.hpp"

namespace ringlane::engine {

enum class tier : std::uint8_t { A, B, C, D };
enum class backend_choice : std::uint8_t {
  from_env,   // read RINGLANE_BACKEND (unset or "auto" = automatic)
  automatic,  // best available, ignoring the environment
  uring,      // io_uring or throw
  epoll,      // epoll without touching io_uring
};

struct probe_options {
  backend_choice backend = backend_choice::from_env;
  bool safe_mode = false;
  setup_fn setup = &io_uring_queue_init_params;  // injectable, as in ring_options
  int trial_timeout_ms = 1000;                   // per trial; loopback answers in microseconds
};

// One trial operation's outcome.
enum class trial_state : std::uint8_t {
  not_run,      // epoll chosen, or a prerequisite failed (see `error`)
  disabled,     // switched off by safe_mode
  supported,    // the CQE said yes
  unsupported,  // -EINVAL (or equivalent): use the fallback
  failed,       // something else went wrong (socket setup, timeout): treated as unsupported
};
struct trial_result {
  trial_state state = trial_state::not_run;
  int error = 0;  // negative errno behind unsupported/failed, 0 otherwise
  bool ok() const noexcept { return state == trial_state::supported; }
};

// Opcode probe results for the ops this engine uses or may use.
struct opcode_support {
  bool accept = false, recv = false, send = false, sendmsg = false, writev = false, async_cancel = false,
       timeout = false, link_timeout = false, close = false, shutdown = false, msg_ring = false, send_zc = false,
       openat = false, read = false, statx = false, splice = false, connect = false;
  // The networking set the io_uring backend cannot do without.
  bool required_present() const noexcept {
    return accept && recv && send && sendmsg && writev && async_cancel && timeout && link_timeout && close &&
           shutdown;
  }
};

struct capabilities {
  backend_kind backend = backend_kind::epoll;
  tier level = tier::D;
  std::string why;  // one human sentence: why this backend and tier
  bool forced = false;       // by RINGLANE_BACKEND or probe_options::backend
  bool safe_mode = false;

  // Setup (zero / empty when io_uring was not touched).
  unsigned setup_flags = 0;  // IORING_SETUP_* obtained
  setup_trace ladder;        // every attempt
  int setup_error = 0;       // negative errno when setup failed
  std::string setup_failure;  // ring.cpp's reason when setup failed

  // IORING_FEAT_* as reported; the four the backend requires, by name.
  unsigned features = 0;
  bool feat_nodrop = false, feat_submit_stable = false, feat_fast_poll = false, feat_ext_arg = false;
  bool required_features() const noexcept {
    return feat_nodrop && feat_submit_stable && feat_fast_poll && feat_ext_arg;
  }

  bool probe_available = false;  // io_uring_get_probe_ring worked (5.6+)
  unsigned last_op = 0;          // highest opcode the kernel knows
  opcode_support ops;

  trial_result multishot_accept, multishot_recv, buffer_ring, msg_ring;

  bool uses_uring() const noexcept { return backend == backend_kind::uring; }
};

// The cached process-wide probe (see above). Throws std::invalid_argument
// for a bad RINGLANE_BACKEND and std::system_error when io_uring is forced
// but impossible; a throwing first call is retried by the next one.
const capabilities& probe(const probe_options& options = {});
// Uncached: runs everything now on the calling thread. Same exceptions.
capabilities detect(const probe_options& options = {});

// The startup log paragraph, e.g. "backend io_uring, tier A: flags ...,
// multishot accept/recv, buffer rings, msg_ring; because ...".
std::string describe(const capabilities& caps);
const char* to_string(tier t) noexcept;          // "A" .. "D"
const char* to_string(backend_kind b) noexcept;  // "io_uring" / "epoll"
const char* to_string(trial_state s) noexcept;

}  // namespace ringlane::engine
