// listener.hpp -- listening sockets and the accept loop's awaitable.
//
// One listening socket per worker (SO_REUSEPORT: the kernel spreads new
// connections over the workers' sockets by hash), each with a multishot
// accept armed on its worker's ring: one SQE, one CQE per connection.
//
//   int fd = engine::open_listener({.host = "0.0.0.0", .port = 8080});
//   engine::listener l(fd);                 // on the worker that serves it
//   for (;;) { accepted a = co_await l.accept(); ... spawn_pinned(serve(a.fd)); }
//
// The accept op belongs to the listener, not to the awaiting coroutine:
// connections that arrive while nobody waits are queued, and an aborted
// accept() loses nothing. When the multishot accept terminates (an error,
// or the kernel dropped it) accept() re-arms it. EMFILE/ENFILE (out of
// descriptors) backs off -- 10 ms, doubling to 1 s -- instead of spinning,
// and recovers by itself once descriptors are freed. Before each pause it
// calls the on_exhausted hook, if set: the owner's chance to free some (the
// HTTP server closes its longest-idle keep-alive connections, as nginx
// does), so that the waiting connections get in after the first pause.
//
// Owner worker only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>

#include "engine/io/io_context.hpp"
#include "engine/ops/accept.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::engine {

struct listen_options {
  std::string host = "0.0.0.0";  // IPv4 or IPv6 literal ("::" = all, dual-stack)
  std::uint16_t port = 0;        // 0 = any free port (see local_port)
  int backlog = 4096;
  bool reuseport = true;
  // With reuseport, refuse a port another socket already listens on (even
  // one with SO_REUSEPORT, which would otherwise silently share it): a
  // second server started on a busy port fails instead of taking half the
  // connections. Off to join a group on purpose (our own workers, an
  // overlapping restart).
  bool exclusive = false;
};

// Creates, binds and listens. Throws std::system_error.
int open_listener(const listen_options& options);
// The port a bound socket got (for port 0).
std::uint16_t local_port(int fd);

class listener {
 public:
  // Takes ownership of `fd`; must be created on the worker that will use it.
  explicit listener(int fd);
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  ~listener();

  // The next connection: fd >= 0 (close-on-exec; the caller owns it), or a
  // negative errno that is not about this listener's health (none today:
  // transient errors are retried inside).
  task<accepted> accept();

  // Called on this worker when accept() runs out of descriptors or memory,
  // before it pauses (see above).
  void on_exhausted(std::function<void()> hook) { on_exhausted_ = std::move(hook); }

  int fd() const noexcept { return fd_; }
  std::uint64_t accepted_count() const noexcept { return accepted_; }
  std::uint64_t backoffs() const noexcept { return backoffs_; }

 private:
  struct accept_op;

  void arm();

  int fd_;
  io_context* io_;           // this worker's backend (also used from shutdown's thread)
  accept_op* op_ = nullptr;  // armed multishot accept, or null
  std::uint64_t accepted_ = 0;
  std::uint64_t backoffs_ = 0;
  std::function<void()> on_exhausted_;
};

}  // namespace ringlane::engine
