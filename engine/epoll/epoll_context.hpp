// epoll_context.hpp -- the epoll backend of io_context (IO_URING.md 2.5).
//
// A completion API built on readiness: every op first tries its syscall,
// non-blocking; only when the kernel says EAGAIN does it wait for the fd to
// become ready, and then it tries again. Completions are the same
// {res, flags, buffer_id} records the io_uring backend produces (negative
// errno, `more` emulated for multishot ops), so nothing above engine/ can
// tell the backends apart. One epoll_context per worker, created on the
// worker's thread; it is that worker's runtime driver (it parks the worker
// in epoll_wait) and its current_io().
//
// ── Per-fd state ─────────────────────────────────────────────────────────
// Each fd is added to the epoll set once, on its first EAGAIN, edge-
// triggered for IN|OUT|RDHUP, and removed by op_code::close. Its fd_state
// holds at most one parked read-side op and one parked write-side op
// (DESIGN 8: one send in flight per socket; a second op on a busy side
// completes at once with -EBUSY). Each side is a slot:
//
//            start(op): syscall -> EAGAIN            readiness: retry
//   ┌───────┐ ───────────────────────────> ┌───────────┐ ──────┐ syscall ->
//   │ empty │                              │ parked op │ <─────┘ EAGAIN
//   └───────┘ <─────────────────────────── └───────────┘
//       ^      readiness: retry -> result        │ each readiness, multishot:
//       │      (single-shot completion queued)   │ one completion per
//       │                                        │ connection/chunk, `more`
//       └────────────────────────────────────────┘
//         final completion queued: EOF, error, -ENOBUFS (multishot), or
//         -ECANCELED from cancel(op) / op_code::close on the fd
//
// Why no "ready" flags: with edge triggering an event that fires while no op
// waits is simply dropped, and that is safe because an op always tries the
// syscall before it parks; and once an op has seen EAGAIN, any later data,
// buffer space, FIN or error raises a new edge. So "try, then park" is the
// whole protocol. One refinement: a multishot recv woken by a plain IN edge
// stops after a short read (the socket was drained at that instant and a
// later arrival raises a new edge), saving the EAGAIN syscall; woken by
// RDHUP/HUP/ERR, or with no event at all, it reads until EAGAIN or EOF.
//
// ── Opcodes ──────────────────────────────────────────────────────────────
//   opcode            side   syscall (all retried on EINTR)         waits for
//   nop, shutdown,    --     done inside start(); returns true      never
//   openat, statx            (regular files never say EAGAIN)
//   close             --     cancels the fd's parked ops (-ECANCELED,
//                            delivered at the next park), EPOLL_CTL_DEL,
//                            close(2); returns true                   never
//   read              read   pread(offset) / read (offset == ~0)    IN
//   accept            read   accept4(NONBLOCK|CLOEXEC), peer in addr IN
//   accept_multishot  read   accept4 until EAGAIN, one completion   IN, armed
//                            per connection with `more` (addr is     until
//                            not filled: read it with getpeername)   cancelled
//   recv              read   recv(buf, len, DONTWAIT|msg_flags)     IN
//   recv_pooled       read   a pool buffer taken at readiness, recv; IN
//                            empty pool -> -ENOBUFS
//   recv_multishot    read   per readiness: take buffer, recv, one  IN, armed
//                            completion `more|buffer` per chunk;     until EOF,
//                            EOF or error ends it, and so does an   error, ENOBUFS
//                            empty pool when data waits (-ENOBUFS;
//                            an idle socket stays armed, as with
//                            io_uring's buffer rings)
//   send              write  send(NOSIGNAL|DONTWAIT|msg_flags);     OUT
//                            a short send completes short
//   writev            write  sendmsg(iov) (writev for non-sockets)  OUT
//   connect           write  connect; EINPROGRESS parks; on OUT:    OUT
//                            SO_ERROR (and getpeername)
//   splice            write  splice(fd -> fd_out, NONBLOCK)         OUT on fd_out
// Multishot ops never complete inside start(): they park at once and make
// their first attempt in the next park()/poll(), as io_uring arms them
// asynchronously (so an owner that re-arms from on_complete cannot spin
// inside one park). Every socket the context touches is made O_NONBLOCK on
// first use (read's fd is left alone: it is meant for regular files).
//
// ── Completions ──────────────────────────────────────────────────────────
// Never from inside start() or cancel(): a completion is queued and the
// queue is drained, in order, at the end of park()/poll() through
// engine::deliver() (which frees orphaned ops). A park with a non-empty
// queue does not sleep. Per fd and per op the queue order is the syscall
// order. An op is not touched after its final completion is queued.
//
// ── The loop: park(timeout) ──────────────────────────────────────────────
//   1. ms = timeout rounded up to 1 ms (nullopt -> -1, 0 -> poll); 0 when
//      completions or retries are queued or an unpark is pending
//   2. word: idle -> sleeping; epoll_wait(ms); word -> idle
//   3. each event: the eventfd -> read it; an fd -> retry its parked ops
//      (read side on IN/RDHUP/HUP/ERR, write side on OUT/HUP/ERR)
//   4. multishot ops owed a turn without an event (just armed, or their
//      batch was cut short for fairness in an earlier turn) -> run them;
//      an owed fd skips step 3, so each gets one batch per turn
//   5. drain the completion queue
// poll() is steps 3-5 after epoll_wait(0), and leaves the word alone.
//
// ── Waking a parked worker (unpark, any thread) ─────────────────────────
// The Dekker handshake "owner: set sleeping, then check for a pending
// unpark / producer: set pending, then check sleeping" folded into one
// atomic word, as in the futex driver (runtime/sched/futex_driver.cpp),
// with an eventfd in place of the futex:
//   idle(0)  notified(1)  sleeping(2)
//   unpark:  if word.exchange(notified) == sleeping: write(eventfd, 1)
//   park:    if word.exchange(idle) == notified: don't sleep;
//            else CAS idle -> sleeping (fails: an unpark came in: don't
//            sleep); epoll_wait; word = idle
// The two decisive accesses, unpark's exchange and park's CAS, are seq_cst
// RMWs on the same word, so one comes first in its modification order.
// Unpark after the CAS: it sees `sleeping` and writes the eventfd, which is
// registered level-triggered, so epoll_wait returns whether it is already
// waiting or only about to. Unpark before the CAS: the CAS fails and the
// owner does not sleep. No wake-up is lost. An unpark that lands after
// epoll_wait returned is dropped by "word = idle", which is safe for the
// same reason as in the futex driver: the worker re-checks its queues after
// every park. Its eventfd write, if any, costs one spurious return later
// (the eventfd is read whenever it shows up).
//
// ── Lifetime ─────────────────────────────────────────────────────────────
// Owner thread only, except unpark() and is_sleeping(). The destructor (it
// runs after the runtime has cancelled every task) delivers what is still
// queued or parked for orphaned ops, which frees them; ops that still have
// an owner are left to it. Fds must be closed through op_code::close, not
// close(2): the context cannot see a close it did not do, and a reused fd
// number would inherit a stale registration. accept and openat reset the
// state of the fd number they return (ops still parked there waited on a
// file that is gone: they end with -EBADF), and connect resets an idle
// one, which covers the common cases.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/epoll/pool.hpp"
#include "engine/io/io_context.hpp"

namespace ringlane::engine {

struct epoll_options {
  // Receive buffer pool: `buffer_count` buffers (<= 65536) of `buffer_size`
  // bytes, one allocation, 64 bytes of slack after each.
  std::uint32_t buffer_count = 1024;
  std::uint32_t buffer_size = 16 * 1024;
  // Events taken per epoll_wait; more stay queued in the kernel for the
  // next turn.
  std::uint32_t max_events = 256;
  // Connections accepted / chunks received by one multishot op per
  // readiness before other fds get a turn (the rest is retried at the next
  // park without waiting for an edge).
  std::uint32_t multishot_batch = 32;
  // Why this backend was chosen ("io_uring_setup: EPERM", "forced by
  // RINGLANE_BACKEND=epoll"), for describe().
  std::string reason;
};

class epoll_context final : public io_context {
 public:
  // On the owning worker's thread: creates the epoll set, the eventfd and
  // the pool, and calls set_current_io(this). Throws std::system_error when
  // the kernel refuses, std::invalid_argument for bad options.
  explicit epoll_context(epoll_options opts = {});
  ~epoll_context() override;
  epoll_context(const epoll_context&) = delete;
  epoll_context& operator=(const epoll_context&) = delete;

  // driver
  void park(std::optional<std::chrono::nanoseconds> timeout) override;
  void unpark() noexcept override;
  void poll() override;

  // io_context
  bool start(op_base& op) override;
  void cancel(op_base& op) override;
  buffer_pool& buffers() noexcept override { return pool_; }
  backend_kind kind() const noexcept override { return backend_kind::epoll; }
  std::string describe() const override;

  // Any thread: whether the owner is (about to be) blocked in epoll_wait.
  // For tests and diagnostics.
  bool is_sleeping() const noexcept { return word_.load(std::memory_order_seq_cst) == sleeping; }

 private:
  struct fd_state {
    op_base* reader = nullptr;  // parked read-side op (accept*, recv*, read)
    op_base* writer = nullptr;  // parked write-side op (send, writev, connect, splice)
    bool registered = false;    // in the epoll set
    bool nonblocking = false;   // O_NONBLOCK known to be set
    bool retry_owed = false;    // in retry_: the reader runs next turn, edge or not
  };
  // fd -> fd_state, in chunks so that references stay valid as it grows.
  class fd_table {
   public:
    fd_state* find(int fd) noexcept;
    fd_state& get(int fd);  // fd >= 0; grows the table
    template <class F>
    void for_each(F f);

   private:
    static constexpr int chunk = 256;
    std::vector<std::unique_ptr<fd_state[]>> chunks_;
  };
  struct queued {
    op_base* op;
    std::int32_t res;
    std::uint32_t flags;
    std::uint16_t bid;
  };
  static constexpr std::uint32_t idle = 0, notified = 1, sleeping = 2;
  // An attempt's result meaning "would block: park and retry on readiness"
  // (distinct from every -errno an op can complete with).
  static constexpr std::int32_t would_block = INT32_MIN;

  // epoll_context.cpp: the loop, fd states, completion queue.
  void wait_and_dispatch(int timeout_ms, bool announce_sleep);
  void on_ready(int fd, std::uint32_t events);
  void retry_reader(fd_state& st, bool may_stop_short);
  void retry_writer(fd_state& st);
  void owe_retry(int fd, fd_state& st);
  void queue(op_base& op, std::int32_t res, std::uint32_t flags = 0, std::uint16_t bid = 0);
  void cancel_slot(op_base*& slot, std::int32_t res);
  void drain_completions() noexcept;
  int register_fd(int fd, fd_state& st) noexcept;
  int make_nonblocking(int fd, fd_state& st) noexcept;
  void adopt_fd(int fd, bool nonblocking);
  std::int32_t close_fd(int fd);

  // epoll_ops.cpp: the syscalls. attempt() makes one try of a single-shot
  // op (`first`: from start(), not from a readiness event) and returns its
  // result or would_block; a buffer it used is in flags/bid.
  std::int32_t attempt(op_base& op, bool first, std::uint32_t& flags, std::uint16_t& bid);
  std::int32_t attempt_connect(op_base& op, bool first) noexcept;
  std::int32_t attempt_recv_pooled(op_base& op, std::uint32_t& flags, std::uint16_t& bid) noexcept;
  std::int32_t run_sync(op_base& op);
  // Runs a parked multishot op until it would block, ends, or used up its
  // batch; returns false when it ended (final completion queued).
  bool run_multishot(op_base& op, bool may_stop_short);

  // Owner thread only, except word_.
  epoll_options opts_;
  int epfd_ = -1;
  int evfd_ = -1;
  plain_buffer_pool pool_;
  fd_table fds_;
  std::vector<epoll_event> events_;
  std::vector<queued> completions_;
  std::vector<int> retry_, retry_scratch_;  // fds owed a retry without an event (retry_owed)
  // idle / notified / sleeping; see "Waking a parked worker" above.
  std::atomic<std::uint32_t> word_{idle};
};

}  // namespace ringlane::engine
