// stream.hpp -- the connection driver: one TCP connection on its worker.
//
//   engine::stream s(fd);                       // in a task pinned to this worker
//   for (;;) {
//     engine::pooled chunk = co_await s.read(); // res > 0: bytes; 0: EOF; < 0: -errno
//     if (chunk.res <= 0) break;
//     s.queue(reply_for(chunk.buffer.view()));   // coalesced into one send
//     std::int32_t e = co_await s.flush();       // handed to the kernel
//   }
//   co_await s.drain();                          // everything sent (before closing)
//
// What the driver guarantees (DESIGN decisions 4, 7, 8):
//   * Receive memory comes from the worker's pool: a multishot recv stays
//     armed and each chunk arrives in a pool buffer; chunks that arrive while
//     nobody reads are queued. On -ENOBUFS (pool empty) the recv is re-armed
//     after buffers come back (backing off), and no data is lost: it stays
//     in the socket.
//   * Spilling. The pool is shared by every connection on the worker, so a
//     connection that stops reading (its handler waits on a client that
//     does not read its responses, say) must not keep pool buffers others
//     need. When a chunk arrives that nobody is waiting to read while less
//     than a quarter of the pool is left, the stream copies its whole
//     backlog into heap blocks of the worker's spill pool (spill_pool.hpp)
//     and gives those buffers back, and it pauses receiving once one
//     buffer's worth is spilled. read() hands spilled chunks out, in order,
//     as pool_buffers over spill blocks: readers see no difference.
//   * One send in flight. queue() appends to an outgoing buffer; flush()
//     hands it to the kernel as one send and returns without waiting for the
//     completion (the task goes straight back to reading: one wake-up per
//     request, not two). Bytes queued while a send is in flight leave in the
//     next batch, which the completion starts by itself; short sends are
//     resubmitted. flush() waits only when more than `high_water` bytes are
//     outstanding (back-pressure against a slow reader). drain() waits until
//     everything is sent.
//   * The stream owns the connection's timer (one wheel entry, no kernel
//     op): set_timeout(d) bounds the waits that follow -- read(), and
//     flush()/drain() when they must wait -- which then return -ETIMEDOUT.
//     The armed recv is not cancelled by a timeout (the caller decides
//     what a timeout means: 408, close, or keep waiting). Moving a deadline
//     later is a lazy wheel reset, so re-arming per request costs a store.
//   * The socket outlives every operation on it. The shared state below is
//     owned jointly by the stream object and its in-flight ops; the fd is
//     closed when the stream is gone *and* the last completion has arrived.
//     Destroying a stream (its task aborted) cancels what is in flight.
//
//     stream (task frame) ──owns──> conn_state <──held by── recv op, send op
//                                   fd, queues, out buffers
//
// Owner worker only: a task using a stream must be pinned (spawn_pinned),
// because the recv stays armed on this worker's ring.
#pragma once

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/io/io_context.hpp"
#include "engine/io/pool_buffer.hpp"
#include "engine/ops/recv.hpp"
#include "runtime/task/coop.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::engine {

struct stream_stats {
  std::uint64_t bytes_in = 0, bytes_out = 0, sends = 0, short_sends = 0, recv_rearms = 0, enobufs = 0, recv_pauses = 0,
                spilled = 0;  // chunks copied out of the pool while it ran low
};

class stream {
 public:
  // Takes ownership of `fd`. Must be constructed on the worker that serves it.
  explicit stream(int fd);
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream();

  // The next chunk of received bytes.
  task<pooled> read();

  // Appends bytes to the outgoing buffer (copied; nothing is sent yet).
  void queue(std::string_view bytes);
  // The outgoing buffer itself, for writers that serialize in place (the
  // HTTP layer appends responses here: no copy). Append only.
  std::string& queue_buffer() noexcept;
  std::size_t queued() const noexcept;
  // Starts sending everything queued. Returns 0, or the first -errno of an
  // earlier send (-EPIPE/-ECONNRESET: the peer is gone). Waits only while
  // more than high_water bytes are outstanding.
  class flush_awaiter;
  flush_awaiter flush() noexcept;
  // The same, with `bound` as the timeout of its wait -- armed only if it
  // has to wait, so the usual flush costs no timer work at all.
  flush_awaiter flush(std::chrono::milliseconds bound) noexcept;
  // Waits until every queued byte is sent. Returns 0 or the first -errno.
  task<std::int32_t> drain();

  static constexpr std::size_t high_water = 256 * 1024;

  // Frees the send buffers that grew past `keep` bytes: the queue now if it
  // is empty, the in-flight one now or, while the kernel still sends from
  // it, when that send completes. For a connection about to idle, so it
  // does not hold what its largest response needed.
  void release_memory(std::size_t keep) noexcept;
  // Bytes the send buffers hold (their capacities), for tests and stats.
  std::size_t retained_bytes() const noexcept;

  // At most `chunks` received chunks wait unread (default 16); beyond that
  // the recv is cancelled -- the bytes stay in the socket and TCP flow
  // control pushes back -- and read() re-arms it. One connection that
  // pipelines without reading replies cannot drain the worker's pool.
  void set_read_backlog(std::size_t chunks) noexcept;

  // Waits that start within `d` from now end by then with -ETIMEDOUT (1 ms
  // resolution, never early). Replaces any earlier timeout.
  void set_timeout(std::chrono::milliseconds d) noexcept;
  // The deadline the last set_timeout() armed, in the worker wheel's
  // milliseconds, and re-arming it later: one bound across several waits
  // with other timeouts in between (an HTTP head read in pieces while
  // earlier responses are flushed). A deadline already past fires at once.
  std::uint64_t deadline() const noexcept;
  void set_deadline(std::uint64_t wheel_ms) noexcept;
  // No timeout for the waits that follow.
  void clear_timeout() noexcept;
  bool timed_out() const noexcept;

  // Half-close the sending side (the peer sees EOF after our data).
  void shutdown_write() noexcept;

  int fd() const noexcept;
  const stream_stats& stats() const noexcept;

 private:
  struct state;
  state* s_;
  static task<std::int32_t> wait_below_high_water(state* s);
  static void arm(state* s, std::chrono::milliseconds d) noexcept;
};

// `co_await s.flush()`. Almost every flush hands its batch to the kernel and
// has nothing to wait for: that part runs in await_ready(), with no
// coroutine frame of its own (one allocation, two resumes and a free less
// per response). Only back-pressure -- more than high_water bytes still
// outstanding -- starts a coroutine that waits.
class stream::flush_awaiter {
 public:
  flush_awaiter(state* s, std::chrono::milliseconds bound) noexcept : s_(s), bound_(bound) {}
  bool await_ready() noexcept;
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    if (yield_) return coop::yield_from(parent);  // ready, but the budget is spent
    if (bound_.count() >= 0) arm(s_, bound_);
    wait_ = wait_below_high_water(s_);
    return std::move(wait_).operator co_await().await_suspend(parent);
  }
  std::int32_t await_resume() { return wait_.valid() ? wait_.handle().promise().take() : result_; }

 private:
  state* s_;
  std::chrono::milliseconds bound_;  // negative: keep the stream's timeout
  std::int32_t result_ = 0;
  bool yield_ = false;
  task<std::int32_t> wait_;
};

inline stream::flush_awaiter stream::flush() noexcept { return flush_awaiter(s_, std::chrono::milliseconds(-1)); }
inline stream::flush_awaiter stream::flush(std::chrono::milliseconds bound) noexcept {
  return flush_awaiter(s_, std::max(bound, std::chrono::milliseconds(0)));
}

}  // namespace ringlane::engine
