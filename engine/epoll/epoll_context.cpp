// epoll_context.cpp -- the loop, per-fd state and the completion queue.
// The syscalls of each opcode are in epoll_ops.cpp; the protocol is drawn
// in epoll_context.hpp.
#include "engine/epoll/epoll_context.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <initializer_list>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace ringlane::engine {
namespace {

constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

enum class side { none, read, write };

side side_of(op_code c) noexcept {
  switch (c) {
    case op_code::accept:
    case op_code::accept_multishot:
    case op_code::recv:
    case op_code::recv_pooled:
    case op_code::recv_multishot:
    case op_code::read:
      return side::read;
    case op_code::send:
    case op_code::writev:
    case op_code::connect:
    case op_code::splice:
      return side::write;
    case op_code::nop:
    case op_code::close:
    case op_code::shutdown:
    case op_code::openat:
    case op_code::statx:
      return side::none;
  }
  return side::none;
}

bool is_multishot(op_code c) noexcept { return c == op_code::accept_multishot || c == op_code::recv_multishot; }

// The fd whose readiness the op waits for.
int wait_fd(const op_base& op) noexcept { return op.code == op_code::splice ? op.fd_out : op.fd; }

// Rounded up: a timer deadline must not wake the worker early.
int to_epoll_ms(std::optional<std::chrono::nanoseconds> t) noexcept {
  if (!t) return -1;
  const auto ns = t->count();
  if (ns <= 0) return 0;
  const auto ms = ns / 1'000'000 + (ns % 1'000'000 != 0);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

// ---------------------------------------------------------------------------
// fd_table

epoll_context::fd_state* epoll_context::fd_table::find(int fd) noexcept {
  if (fd < 0) return nullptr;
  const auto c = static_cast<std::size_t>(fd / chunk);
  if (c >= chunks_.size() || !chunks_[c]) return nullptr;
  return &chunks_[c][fd % chunk];
}

epoll_context::fd_state& epoll_context::fd_table::get(int fd) {
  const auto c = static_cast<std::size_t>(fd / chunk);
  if (c >= chunks_.size()) chunks_.resize(c + 1);
  if (!chunks_[c]) chunks_[c] = std::make_unique<fd_state[]>(chunk);
  return chunks_[c][fd % chunk];
}

template <class F>
void epoll_context::fd_table::for_each(F f) {
  for (auto& c : chunks_) {
    if (!c) continue;
    for (int i = 0; i < chunk; ++i) f(c[i]);
  }
}

// ---------------------------------------------------------------------------
// Set-up and tear-down

epoll_context::epoll_context(epoll_options opts)
    : opts_(std::move(opts)), pool_(opts_.buffer_count, opts_.buffer_size) {
  if (opts_.max_events == 0) throw std::invalid_argument("epoll_context: max_events must be > 0");
  if (opts_.multishot_batch == 0) throw std::invalid_argument("epoll_context: multishot_batch must be > 0");
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw_errno("epoll_create1");
  evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd_ < 0) {
    const int e = errno;
    ::close(epfd_);
    throw std::system_error(e, std::generic_category(), "eventfd");
  }
  // Level-triggered: a write that lands before epoll_wait is still seen.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = evfd_;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) < 0) {
    const int e = errno;
    ::close(evfd_);
    ::close(epfd_);
    throw std::system_error(e, std::generic_category(), "epoll_ctl(eventfd)");
  }
  events_.resize(opts_.max_events);
  completions_.reserve(64);
  set_current_io(this);
}

epoll_context::~epoll_context() {
  if (current_io() == this) set_current_io(nullptr);
  // Queued completions (cancellations since the last park) and parked ops:
  // an orphaned op is freed by delivering to it; an owned one is its
  // owner's business (only a buffer it would have received goes back).
  for (std::size_t i = 0; i < completions_.size(); ++i) {
    const queued c = completions_[i];
    if (c.op->state == op_state::orphaned) {
      deliver(*this, *c.op, c.res, c.flags, c.bid);
    } else if (c.flags & completion_flags::buffer) {
      pool_.put(c.bid);
    }
  }
  completions_.clear();
  fds_.for_each([this](fd_state& st) {
    for (op_base** slot : {&st.reader, &st.writer}) {
      op_base* op = std::exchange(*slot, nullptr);
      if (op && op->state == op_state::orphaned) deliver(*this, *op, -ECANCELED, 0, 0);
    }
  });
  ::close(evfd_);
  ::close(epfd_);
}

std::string epoll_context::describe() const {
  return opts_.reason.empty() ? std::string("backend epoll") : "backend epoll: " + opts_.reason;
}

// ---------------------------------------------------------------------------
// Driver: park, poll, unpark

void epoll_context::park(std::optional<std::chrono::nanoseconds> timeout) {
  int ms = to_epoll_ms(timeout);
  if (!completions_.empty() || !retry_.empty()) ms = 0;
  // A sticky unpark since the last park: look, but do not sleep.
  if (word_.exchange(idle, std::memory_order_seq_cst) == notified) ms = 0;
  bool announce = false;
  if (ms != 0) {
    std::uint32_t expected = idle;
    announce = word_.compare_exchange_strong(expected, sleeping, std::memory_order_seq_cst);
    if (!announce) {
      // An unpark came in between the exchange and the CAS.
      word_.store(idle, std::memory_order_seq_cst);
      ms = 0;
    }
  }
  wait_and_dispatch(ms, announce);
}

void epoll_context::poll() { wait_and_dispatch(0, false); }

void epoll_context::unpark() noexcept {
  if (word_.exchange(notified, std::memory_order_seq_cst) == sleeping) {
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow (2^64 - 2 pending wakes);
    // EAGAIN there would still leave the eventfd readable.
    [[maybe_unused]] const ssize_t n = ::write(evfd_, &one, sizeof one);
  }
}

void epoll_context::wait_and_dispatch(int timeout_ms, bool announce_sleep) {
  // Retries owed before this turn; those owed during it wait for the next.
  retry_scratch_.swap(retry_);
  // Take no more ready sockets than the receive pool has buffers for; the
  // rest stay on the kernel's ready list, in order, for a later turn.
  // Uncapped, turns at 10,000 busy connections emptied the pool faster
  // than tasks returned buffers, and readers that met the empty pool backed
  // off (-ENOBUFS) for up to 100 ms each, again and again (bench/README).
  // An empty pool still takes one: writers and wake-ups keep moving.
  const std::size_t room = std::min(std::max<std::size_t>(pool_.available(), 1), events_.size());
  int n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(room), timeout_ms);
  // Awake: producers may skip the eventfd from here on. An unpark that
  // raced in is dropped, which is fine: we are returning anyway, and the
  // worker re-checks its queues before it parks again.
  if (announce_sleep) word_.store(idle, std::memory_order_seq_cst);
  if (n < 0) n = 0;  // EINTR: a spurious return

  // Step 3: readiness. No op completes here (they are queued), so nothing
  // runs user code until step 5.
  for (int i = 0; i < n; ++i) {
    const int fd = events_[static_cast<std::size_t>(i)].data.fd;
    if (fd == evfd_) {
      std::uint64_t v;
      [[maybe_unused]] const ssize_t r = ::read(evfd_, &v, sizeof v);
      continue;
    }
    on_ready(fd, events_[static_cast<std::size_t>(i)].events);
  }
  // Step 4: multishot ops owed a turn without an edge (just armed, or cut
  // short by their batch). A cut-short op owes again: next turn.
  for (int fd : retry_scratch_) {
    fd_state* st = fds_.find(fd);
    if (!st || !st->retry_owed) continue;  // closed (and maybe reused) since
    st->retry_owed = false;
    retry_reader(*st, false);
  }
  retry_scratch_.clear();
  // Step 5.
  drain_completions();
}

void epoll_context::on_ready(int fd, std::uint32_t events) {
  fd_state* st = fds_.find(fd);
  if (!st) return;
  // An fd owed a retry gets it in step 4: one batch per turn.
  if ((events & kReadEvents) && !st->retry_owed) retry_reader(*st, !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)));
  if (events & kWriteEvents) retry_writer(*st);
}

void epoll_context::retry_reader(fd_state& st, bool may_stop_short) {
  op_base* op = st.reader;
  if (!op) return;
  if (is_multishot(op->code)) {
    if (!run_multishot(*op, may_stop_short)) st.reader = nullptr;
    return;
  }
  std::uint32_t flags = 0;
  std::uint16_t bid = 0;
  const std::int32_t r = attempt(*op, false, flags, bid);
  if (r == would_block) return;
  st.reader = nullptr;
  queue(*op, r, flags, bid);
}

void epoll_context::retry_writer(fd_state& st) {
  op_base* op = st.writer;
  if (!op) return;
  std::uint32_t flags = 0;
  std::uint16_t bid = 0;
  const std::int32_t r = attempt(*op, false, flags, bid);
  if (r == would_block) return;
  st.writer = nullptr;
  queue(*op, r, flags, bid);
}

// ---------------------------------------------------------------------------
// start / cancel

bool epoll_context::start(op_base& op) {
  op.flags = 0;
  op.buffer_id = 0;
  const side s = side_of(op.code);
  if (s == side::none) {
    op.res = run_sync(op);
    return true;
  }
  // A multishot op reports everything through on_complete, errors at start
  // included (as io_uring would); a single-shot op completes at once.
  const bool multishot = is_multishot(op.code);
  auto fail = [&](std::int32_t e) {
    if (multishot) {
      queue(op, e);
      return false;
    }
    op.res = e;
    return true;
  };
  const int fd = wait_fd(op);
  if (fd < 0) return fail(-EBADF);
  fd_state& st = fds_.get(fd);
  // connect starts a socket's life: unless ops wait on it, what the table
  // remembers about this fd number may belong to a file closed behind our
  // back (register_fd copes with EEXIST if it was this very file).
  if (op.code == op_code::connect && !st.reader && !st.writer) st = fd_state{};
  op_base*& slot = s == side::read ? st.reader : st.writer;
  if (slot == &op) return false;  // started twice: still parked, its completion will come
  if (slot) return fail(-EBUSY);  // one op per side (DESIGN 8)
  if (op.code != op_code::read && !st.nonblocking) {
    if (const int e = make_nonblocking(fd, st); e < 0) return fail(e);
  }
  if (op.code == op_code::splice) {
    // A socket input honours O_NONBLOCK, not SPLICE_F_NONBLOCK (harmless
    // on a regular file).
    if (op.fd < 0) return fail(-EBADF);
    fd_state& in = fds_.get(op.fd);
    if (!in.nonblocking) {
      if (const int e = make_nonblocking(op.fd, in); e < 0) return fail(e);
    }
  }

  if (multishot) {
    // Armed now, first attempt at the next park (header: "Opcodes").
    if (const int e = register_fd(fd, st); e < 0) return fail(e);
    slot = &op;
    owe_retry(fd, st);
    return false;
  }

  std::uint32_t flags = 0;
  std::uint16_t bid = 0;
  std::int32_t r = attempt(op, true, flags, bid);
  if (r == would_block) {
    const int e = register_fd(fd, st);
    if (e == 0) {
      slot = &op;
      return false;
    }
    r = e;
  }
  op.res = r;
  op.flags = flags;
  op.buffer_id = bid;
  return true;
}

void epoll_context::cancel(op_base& op) {
  fd_state* st = fds_.find(wait_fd(op));
  if (!st) return;
  if (st->reader == &op) cancel_slot(st->reader, -ECANCELED);
  if (st->writer == &op) cancel_slot(st->writer, -ECANCELED);
  // Otherwise the op's completion is already queued or delivered.
}

void epoll_context::cancel_slot(op_base*& slot, std::int32_t res) {
  if (op_base* op = std::exchange(slot, nullptr)) queue(*op, res);
}

void epoll_context::owe_retry(int fd, fd_state& st) {
  if (st.retry_owed) return;
  st.retry_owed = true;
  retry_.push_back(fd);
}

void epoll_context::queue(op_base& op, std::int32_t res, std::uint32_t flags, std::uint16_t bid) {
  completions_.push_back({&op, res, flags, bid});
}

void epoll_context::drain_completions() noexcept {
  // on_complete may start or cancel ops, which can queue more: index, not
  // iterators, and copy each record before delivering it.
  for (std::size_t i = 0; i < completions_.size(); ++i) {
    const queued c = completions_[i];
    deliver(*this, *c.op, c.res, c.flags, c.bid);  // may delete c.op
  }
  completions_.clear();
}

// ---------------------------------------------------------------------------
// Per-fd bookkeeping

int epoll_context::register_fd(int fd, fd_state& st) noexcept {
  if (st.registered) return 0;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  // EEXIST: this very file is already in the set (connect reset the state).
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST) return -errno;
  st.registered = true;
  return 0;
}

int epoll_context::make_nonblocking(int fd, fd_state& st) noexcept {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  if (!(fl & O_NONBLOCK) && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  st.nonblocking = true;
  return 0;
}

// A new file under `fd` (accept, openat): forget what the table knew
// about the number. Ops still parked there waited on a file that was
// closed without op_code::close; they end with -EBADF.
void epoll_context::adopt_fd(int fd, bool nonblocking) {
  fd_state& st = fds_.get(fd);
  cancel_slot(st.reader, -EBADF);
  cancel_slot(st.writer, -EBADF);
  st = fd_state{};
  st.nonblocking = nonblocking;
}

std::int32_t epoll_context::close_fd(int fd) {
  if (fd_state* st = fds_.find(fd)) {
    cancel_slot(st->reader, -ECANCELED);
    cancel_slot(st->writer, -ECANCELED);
    // Explicit: a dup of the fd elsewhere would keep the registration.
    if (st->registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    *st = fd_state{};
  }
  // Linux releases the fd even when close reports EINTR: never retry.
  return ::close(fd) < 0 ? -errno : 0;
}

}  // namespace ringlane::engine
