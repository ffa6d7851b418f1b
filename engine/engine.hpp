// engine.hpp -- plugging the I/O engine into the runtime.
//
//   ringlane::runtime rt(ringlane::engine::with_engine({.workers = 2}));
//
// with_engine() fills runtime_options::make_driver: each worker, on its own
// thread, gets an io_context -- a uring_context (its own ring) or an
// epoll_context -- chosen once per process by the capability probe
// (engine/uring/capabilities.hpp): RINGLANE_BACKEND=epoll|uring|auto, or
// engine_options::backend, forces the choice. The first worker logs the
// choice and the reason (engine_options::log).
#pragma once

#include <cstdint>
#include <string>

#include "engine/uring/capabilities.hpp"
#include "runtime/sched/options.hpp"

namespace ringlane::engine {

struct engine_options {
  backend_choice backend = backend_choice::from_env;
  bool safe_mode = false;              // no DEFER_TASKRUN, no multishot (IO_URING.md 2.3)
  std::uint32_t buffers = 1024;        // receive buffers per worker
  std::uint32_t buffer_size = 16384;   // bytes per receive buffer
  unsigned sq_entries = 1024;
  // Cross-worker wake-ups on io_uring (uring_context.hpp): msg_ring from
  // the waking worker's own ring instead of an eventfd write. eventfd is the
  // default: it works from every thread (README, section 7).
  bool msg_ring_wake = false;
  bool log = true;                     // print the backend choice to stderr once
};

// `base` with make_driver set to the engine's backends.
runtime_options with_engine(runtime_options base, const engine_options& options = {});

// The probe result behind the choice (runs the probe if needed).
const capabilities& engine_capabilities(const engine_options& options = {});

}  // namespace ringlane::engine
