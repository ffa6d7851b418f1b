#include "engine/net/stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <utility>

#include "engine/net/small_fifo.hpp"
#include "engine/net/spill_pool.hpp"
#include "runtime/task/coop.hpp"
#include "runtime/task/yield.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane::engine {

// Shared by the stream and its in-flight ops (see the header's drawing).
// `refs` counts the stream object plus each op in flight; the last one
// closes the fd and frees the state.
struct stream::state {
  struct recv_op final : op_base {
    stream::state* owner;
    void on_complete(std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept override {
      owner->on_recv(result, cflags, bid);
    }
  };
  struct send_op final : op_base {
    stream::state* owner;
    void on_complete(std::int32_t result, std::uint32_t, std::uint16_t) noexcept override { owner->on_sent(result); }
  };
  // The connection's one timer: fires -> timed_out, wakes whoever waits.
  struct deadline_timer final : ringlane::detail::timer_entry {
    stream::state* owner = nullptr;
    deadline_timer() noexcept : ringlane::detail::timer_entry(&fire) {}
    static void fire(ringlane::detail::timer_entry& e) noexcept {
      state* s = static_cast<deadline_timer&>(e).owner;
      s->timed_out = true;
      if (s->reader) std::move(s->reader).wake();
      if (s->flusher) std::move(s->flusher).wake();
    }
  };
  struct chunk {
    std::int32_t res;
    std::uint16_t bid;
    bool has_buffer;
    bool spilled = false;  // `bid` is a block of the spill pool, not of the receive pool
  };

  int fd;
  io_context* io;
  int refs = 1;
  bool stream_alive = true;

  // Receiving.
  recv_op rop;
  bool recv_armed = false;
  bool recv_paused = false;      // cancelled because the backlog was full
  std::size_t max_chunks = 16;   // read-ahead backlog (see set_read_backlog)
  small_fifo<chunk, 16> chunks;  // completions nobody has read yet
  waker reader;
  // Spilling: where this worker's spilled chunks go, and how many bytes of
  // this stream's backlog are there.
  spill_pool* spill;
  std::size_t spilled_bytes = 0;

  // Sending: `out` collects queue()d bytes; `inflight` is what the kernel is
  // sending (from inflight_off on). They swap when a send batch starts.
  send_op sop;
  bool send_busy = false;
  std::string out, inflight;
  std::size_t inflight_off = 0;
  static constexpr std::size_t keep_all = ~std::size_t{0};
  std::size_t release_above = keep_all;  // release_memory() waiting for the send
  std::int32_t send_error = 0;
  waker flusher;
  stream_stats stats;

  deadline_timer timer;
  // The wheel of the worker the stream lives on. Kept, not looked up: a
  // stream may be destroyed off its worker, by the runtime's teardown
  // cancelling a task the drain deadline cut short.
  ringlane::detail::timer_wheel* wheel;
  bool timed_out = false;

  explicit state(int f) : fd(f), io(current_io()), spill(nullptr), wheel(nullptr) {
    if (!io) throw std::logic_error("engine::stream created outside an engine worker");
    wheel = &ringlane::detail::worker_wheel();
    spill = &spill_pool::mine();
    timer.owner = this;
    rop.owner = this;
    rop.code = op_code::recv_multishot;
    rop.fd = fd;
    sop.owner = this;
    sop.code = op_code::send;
    sop.fd = fd;
  }

  void unref() noexcept {
    if (--refs > 0) return;
    ::close(fd);
    delete this;
  }

  void arm_recv() {
    ++stats.recv_rearms;
    rop.state = op_state::in_flight;
    if (io->start(rop)) {
      // Finished at once: one chunk, and the op is not armed.
      rop.state = op_state::done;
      chunks.push_back({rop.res, rop.buffer_id, (rop.flags & completion_flags::buffer) != 0});
      return;
    }
    recv_armed = true;
    ++refs;
  }

  void on_recv(std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept {
    const bool more = cflags & completion_flags::more;
    if (!stream_alive || (recv_paused && result == -ECANCELED)) {
      if (cflags & completion_flags::buffer) io->buffers().put(bid);
    } else {
      if (result == -ENOBUFS) ++stats.enobufs;
      if (result > 0) stats.bytes_in += static_cast<std::uint64_t>(result);
      chunks.push_back({result, bid, (cflags & completion_flags::buffer) != 0});
      if (reader) {
        std::move(reader).wake();
      } else if (result > 0 && pool_low()) {
        spill_backlog();  // nobody reading, and other connections need the pool
      }
      // Too much read ahead: stop receiving (the data waits in the socket,
      // and TCP flow control slows the client) until read() catches up.
      // Spilled, one buffer's worth is enough (the check reads the pool only then).
      const bool spilled_enough = spilled_bytes > 0 && spilled_bytes >= io->buffers().buffer_size();
      if (more && !recv_paused && (chunks.size() >= max_chunks || spilled_enough)) {
        recv_paused = true;
        ++stats.recv_pauses;
        io->cancel(rop);
      }
    }
    if (!more) {
      if (recv_paused && reader) std::move(reader).wake();  // read() re-arms
      recv_paused = false;
      recv_armed = false;
      rop.state = op_state::done;
      unref();
    }
  }

  // Spilling (stream.hpp): below a quarter of the pool left, a backlog
  // nobody is reading moves to the heap.
  bool pool_low() const noexcept {
    const buffer_pool& p = io->buffers();
    return p.available() < p.capacity() / 4;
  }
  // Moves every queued chunk still in a receive-pool buffer into a spill
  // block and gives the buffer back (a chunk stays put when the spill pool
  // is full). The queue's order is untouched. Cold and out of line: the
  // receive path stays lean.
  [[gnu::cold, gnu::noinline]] void spill_backlog() {
    buffer_pool& pool = io->buffers();
    chunks.for_each_mut([&](chunk& c) {
      if (c.spilled || !c.has_buffer || c.res <= 0) return;
      const auto bytes = pool.get(c.bid).first(static_cast<std::size_t>(c.res));
      const std::optional<std::uint16_t> id = spill->add(bytes);
      if (!id) return;
      pool.put(c.bid);
      c.bid = *id;
      c.spilled = true;
      spilled_bytes += static_cast<std::size_t>(c.res);
      ++stats.spilled;
    });
  }

  // Starts a send of the rest of `inflight`. A backend that completes at
  // once (epoll) is handled in this loop, not by recursion.
  void start_send() {
    for (;;) {
      ++stats.sends;
      sop.buf = inflight.data() + inflight_off;
      sop.len = static_cast<std::uint32_t>(inflight.size() - inflight_off);
      sop.state = op_state::in_flight;
      if (!io->start(sop)) {
        send_busy = true;
        ++refs;  // the op's reference, dropped in on_sent
        return;
      }
      sop.state = op_state::done;
      if (!account(sop.res)) return;
    }
  }

  // Books a send result; true when the rest of the batch must be sent.
  bool account(std::int32_t result) noexcept {
    if (result < 0) {
      send_error = result;
      return false;
    }
    stats.bytes_out += static_cast<std::uint64_t>(result);
    inflight_off += static_cast<std::size_t>(result);
    if (inflight_off >= inflight.size()) return false;
    ++stats.short_sends;
    if (result == 0) {
      send_error = -EPIPE;
      return false;
    }
    return true;
  }

  void on_sent(std::int32_t result) noexcept {
    sop.state = op_state::done;
    send_busy = false;
    if (stream_alive) {
      if (account(result)) {
        start_send();  // short send: the rest at once
      } else if (!send_error && !out.empty()) {
        next_batch();  // bytes queued meanwhile leave now
      }
      if (!send_busy && release_above != keep_all) release_buffers(std::exchange(release_above, keep_all));
      if (flusher && (send_error || outstanding() <= want_below)) std::move(flusher).wake();
    }
    unref();
  }

  // Moves everything queued into the in-flight buffer and sends it.
  void next_batch() {
    inflight.swap(out);
    out.clear();
    inflight_off = 0;
    start_send();
  }

  // The buffers that are not in the kernel's hands, if above `keep` bytes.
  // (shrink_to_fit of an empty string frees its block; swapping with an
  // empty one would too, but another caller of std::string::swap made GCC
  // stop inlining next_batch()'s.)
  void release_buffers(std::size_t keep) noexcept {
    if (out.empty() && out.capacity() > keep) out.shrink_to_fit();
    if (!send_busy && inflight.capacity() > keep) {
      inflight.clear();
      inflight.shrink_to_fit();
      inflight_off = 0;
    }
  }

  std::size_t outstanding() const noexcept { return out.size() + (inflight.size() - inflight_off); }
  std::size_t want_below = 0;  // flusher wakes when outstanding() <= this
};

namespace {
// Parks the task until `slot` is woken; withdraws on destruction.
struct wait_on {
  waker* slot;
  bool ready;
  bool await_ready() const noexcept { return ready; }
  void await_suspend(std::coroutine_handle<> h) noexcept { *slot = this_task::park(h, park_binding::this_worker); }
  void await_resume() const noexcept {}
  ~wait_on() { *slot = waker{}; }
};
}  // namespace

stream::stream(int fd) : s_(new state(fd)) {}

stream::~stream() {
  state* s = s_;
  s->stream_alive = false;
  s->reader = waker{};
  s->flusher = waker{};
  s->chunks.for_each([s](const state::chunk& c) {
    if (c.spilled) {
      s->spill->put(c.bid);
    } else if (c.has_buffer) {
      s->io->buffers().put(c.bid);
    }
  });
  s->chunks.clear();
  if (s->timer.armed()) s->wheel->cancel(s->timer);
  // Cancel what is in flight; each completion drops its reference, the last
  // one closes the socket. The op objects live in the state, so the kernel
  // never sees freed memory.
  if (s->recv_armed) s->io->cancel(s->rop);
  if (s->send_busy) s->io->cancel(s->sop);
  s->unref();
}

int stream::fd() const noexcept { return s_->fd; }
const stream_stats& stream::stats() const noexcept { return s_->stats; }

task<pooled> stream::read() {
  using namespace std::chrono_literals;
  state* s = s_;
  // A chunk already waiting: no suspension below, so the budget pays.
  if (!s->chunks.empty() && !coop::spend()) co_await yield_now();
  std::chrono::milliseconds backoff = 1ms;
  for (;;) {
    if (s->chunks.empty() && !s->recv_armed) s->arm_recv();
    if (s->chunks.empty()) {
      if (s->timed_out) co_return pooled{-ETIMEDOUT, pool_buffer()};
      co_await wait_on{&s->reader, false};
      continue;  // a chunk, the timer, or a paused recv that ended (re-arm)
    }
    const state::chunk c = s->chunks.front();
    s->chunks.pop_front();
    if (c.res == -ENOBUFS) {
      // The pool ran dry and the multishot recv ended; the data waits in the
      // socket. Give other tasks a chance to return buffers, then re-arm.
      if (c.has_buffer) s->io->buffers().put(c.bid);
      if (s->io->buffers().available() == 0) {
        co_await sleep(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 100ms);
      } else {
        co_await yield_now();
      }
      continue;
    }
    if (c.spilled) {
      s->spilled_bytes -= static_cast<std::size_t>(c.res);
      co_return pooled{c.res, pool_buffer(s->spill, c.bid, static_cast<std::uint32_t>(c.res))};
    }
    if (c.res > 0 && c.has_buffer) co_return pooled{c.res, pool_buffer(&s->io->buffers(), c.bid, static_cast<std::uint32_t>(c.res))};
    if (c.has_buffer) s->io->buffers().put(c.bid);
    co_return pooled{c.res, pool_buffer()};
  }
}

void stream::queue(std::string_view bytes) { s_->out.append(bytes); }

std::string& stream::queue_buffer() noexcept { return s_->out; }

void stream::release_memory(std::size_t keep) noexcept {
  s_->release_buffers(keep);
  if (s_->send_busy) s_->release_above = keep;
}

std::size_t stream::retained_bytes() const noexcept { return s_->out.capacity() + s_->inflight.capacity(); }

std::size_t stream::queued() const noexcept { return s_->out.size(); }

bool stream::flush_awaiter::await_ready() noexcept {
  state* s = s_;
  if (!s->send_error && !s->send_busy && !s->out.empty()) s->next_batch();
  result_ = s->send_error;
  if (!s->send_error && s->outstanding() > high_water) return false;  // back-pressure: wait
  // Done without waiting: a task that streams into a socket with room
  // would never suspend, so it yields once its budget is spent.
  if (coop::spend()) return true;
  yield_ = true;
  return false;
}

// Back-pressure: a reader slower than we write makes us wait here.
task<std::int32_t> stream::wait_below_high_water(state* s) {
  while (!s->send_error && s->outstanding() > high_water) {
    if (s->timed_out) co_return -ETIMEDOUT;
    s->want_below = high_water;
    co_await wait_on{&s->flusher, false};
  }
  co_return s->send_error;
}

task<std::int32_t> stream::drain() {
  state* s = s_;
  if (!s->send_busy && !s->out.empty() && !s->send_error) s->next_batch();
  while (!s->send_error && s->outstanding() > 0) {
    if (s->timed_out) co_return -ETIMEDOUT;
    s->want_below = 0;
    co_await wait_on{&s->flusher, false};
  }
  co_return s->send_error;
}

void stream::set_read_backlog(std::size_t chunks) noexcept { s_->max_chunks = std::max<std::size_t>(chunks, 1); }

void stream::arm(state* s, std::chrono::milliseconds d) noexcept {
  ringlane::detail::timer_wheel& wheel = *s->wheel;
  s->timed_out = false;
  wheel.reset(s->timer, wheel.now() + static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0)) + 1);
}

void stream::set_timeout(std::chrono::milliseconds d) noexcept { arm(s_, d); }

std::uint64_t stream::deadline() const noexcept { return s_->timer.deadline(); }

void stream::set_deadline(std::uint64_t wheel_ms) noexcept {
  s_->timed_out = false;
  s_->wheel->reset(s_->timer, wheel_ms);
}

void stream::clear_timeout() noexcept {
  s_->timed_out = false;
  if (s_->timer.armed()) s_->wheel->cancel(s_->timer);
}

bool stream::timed_out() const noexcept { return s_->timed_out; }

void stream::shutdown_write() noexcept { ::shutdown(s_->fd, SHUT_WR); }

}  // namespace ringlane::engine
