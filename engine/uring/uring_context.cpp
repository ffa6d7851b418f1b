#include "engine/uring/uring_context.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

#include "engine/uring/user_data.hpp"

namespace ringlane::engine {

// The worker's receive buffers as the engine sees them: the provided-buffer
// ring. put() only writes the ring entry; park() publishes them in a batch.
class uring_context::pool final : public buffer_pool {
 public:
  explicit pool(buffer_ring& br) noexcept : br_(br) {}
  std::span<std::byte> get(std::uint16_t bid) noexcept override { return br_.buffer(bid); }
  void put(std::uint16_t bid) noexcept override { br_.recycle(bid); }
  std::uint32_t buffer_size() const noexcept override { return br_.buffer_size(); }
  std::uint32_t available() const noexcept override { return br_.available(); }
  std::uint32_t capacity() const noexcept override { return br_.entries(); }

 private:
  buffer_ring& br_;
};

namespace {
constexpr std::uint16_t kGroup = 0;
// The two wake-up CQEs, told apart by the address bits: the armed eventfd
// read, and a message another ring posted.
const std::uint64_t kWakeEventfd = user_data::encode_kind_only(op_kind::wake);
const std::uint64_t kWakeMessage = user_data::pack(8, op_kind::wake);

// The uring_context of the calling thread, if it is an engine worker on
// io_uring (msg_ring needs a ring of the sender's own).
thread_local uring_context* tls_uring = nullptr;

std::uint32_t translate_flags(std::uint32_t cqe_flags) noexcept {
  std::uint32_t f = 0;
  if (cqe_flags & IORING_CQE_F_MORE) f |= completion_flags::more;
  if (cqe_flags & IORING_CQE_F_BUFFER) f |= completion_flags::buffer;
  return f;
}
}  // namespace

uring_context::uring_context(const uring_options& options) : opts_(options) {
  ring_result r = ring::create(opts_.ring);
  if (!r) throw std::system_error(-r.error().error, std::generic_category(), r.error().reason);
  ring_ = r.take();
  buffers_.emplace(buffer_ring::create(*ring_->get(), kGroup, opts_.buffers, opts_.buffer_size));
  pool_ = std::make_unique<pool>(*buffers_);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  arm_wake_read();
  set_current_io(this);
  tls_uring = this;
}

uring_context::~uring_context() {
  // Runs on the owner thread after every task was destroyed (scheduler.hpp,
  // "Shutdown order"): the cancels those destructors queued are in the SQ.
  // Stop the wake-up read too, then reap until nothing we started is in
  // flight, so no op memory and no receive buffer is freed while the kernel
  // may still use it. Bounded: a kernel that never answers costs 2 s here.
  closing_ = true;
  if (io_uring_sqe* sqe = next_sqe()) {
    io_uring_prep_cancel64(sqe, kWakeEventfd, 0);
    io_uring_sqe_set_data64(sqe, user_data::encode_kind_only(op_kind::ignored));
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while ((in_flight_ > 0 || wake_armed_) && std::chrono::steady_clock::now() < give_up) {
    wait(std::chrono::milliseconds(10));
    reap();
  }
  if (current_io() == this) set_current_io(nullptr);
  if (tls_uring == this) tls_uring = nullptr;
  ::close(wake_fd_);
  pool_.reset();
  buffers_.reset();
  ring_.reset();
}

std::string uring_context::describe() const {
  std::string s = "backend io_uring: flags " + setup_flag_names(ring_->flags());
  s += buffers_->registered() ? ", provided-buffer ring" : ", buffers picked by us (no buffer ring)";
  s += opts_.multishot_recv ? ", multishot recv" : ", single-shot recv";
  s += opts_.multishot_accept ? ", multishot accept" : ", single-shot accept";
  s += opts_.wake == wake_mechanism::msg_ring ? ", msg_ring wake-ups" : ", eventfd wake-ups";
  if (!opts_.reason.empty()) s += "; " + opts_.reason;
  return s;
}

buffer_pool& uring_context::buffers() noexcept { return *pool_; }

// SQ full: flush what is queued (the kernel copies SQEs at submit) and retry
// (IO_URING.md pitfall 7).
io_uring_sqe* uring_context::next_sqe() noexcept {
  io_uring* r = ring_->get();
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(r)) return sqe;
    const int ret = io_uring_submit(r);
    if (ret == -EBUSY) reap();  // old kernels: CQ overflowed, reap first
  }
  return nullptr;
}

void uring_context::arm_wake_read() noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return;
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data64(sqe, kWakeEventfd);
  wake_armed_ = true;
}

// unpark, any thread. The owner publishes sleeping_ (seq_cst) before it
// checks pending_ and enters the kernel; we publish pending_ (seq_cst) before
// we read sleeping_. One of us sees the other: either the owner skips the
// sleep, or we write the eventfd and its armed read ends the sleep. kicked_
// keeps a burst of unparks to one write.
void uring_context::unpark() noexcept {
  pending_.store(true, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst) && !kicked_.exchange(true, std::memory_order_acq_rel)) {
    uring_context* from = tls_uring;
    if (opts_.wake == wake_mechanism::msg_ring && from && from != this && from->send_msg_wake(ring_->fd())) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
}

// Runs on the *waker's* thread, on its own ring (it owns it). The target
// sees a CQE with kWakeMessage; our own ring gets the msg_ring op's CQE,
// ignored at our next reap.
bool uring_context::send_msg_wake(int target_ring_fd) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return false;
  io_uring_prep_msg_ring(sqe, target_ring_fd, 0, kWakeMessage, 0);
  io_uring_sqe_set_data64(sqe, user_data::encode_kind_only(op_kind::ignored));
  return io_uring_submit(ring_->get()) >= 1;
}

void uring_context::park(std::optional<std::chrono::nanoseconds> timeout) {
  buffers_->commit();
  sleeping_.store(true, std::memory_order_seq_cst);
  if (pending_.exchange(false, std::memory_order_seq_cst)) timeout = std::chrono::nanoseconds(0);
  wait(timeout);
  sleeping_.store(false, std::memory_order_relaxed);
  reap();
  buffers_->commit();
}

void uring_context::poll() {
  buffers_->commit();
  wait(std::chrono::nanoseconds(0));
  reap();
  buffers_->commit();
}

// One io_uring_enter: submit, run deferred task work, maybe sleep.
void uring_context::wait(std::optional<std::chrono::nanoseconds> timeout) noexcept {
  io_uring* r = ring_->get();
  if (timeout && timeout->count() <= 0) {
    io_uring_submit_and_get_events(r);
  } else if (timeout) {
    __kernel_timespec ts{};
    ts.tv_sec = timeout->count() / 1'000'000'000;
    ts.tv_nsec = timeout->count() % 1'000'000'000;
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(r, &cqe, 1, &ts, nullptr);
  } else {
    io_uring_submit_and_wait(r, 1);
  }
  // NODROP kept completions the CQ could not hold; fetch them now
  // (liburing#705: submitting alone would not).
  while (io_uring_cq_has_overflow(r)) {
    ++overflows_;
    reap();
    io_uring_get_events(r);
  }
}

std::size_t uring_context::reap() noexcept {
  io_uring* r = ring_->get();
  std::size_t total = 0;
  io_uring_cqe* cqes[64];
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(r, cqes, 64);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) complete(cqes[i]);
    io_uring_cq_advance(r, n);
    total += n;
    if (n < 64) break;
  }
  return total;
}

void uring_context::complete(io_uring_cqe* cqe) noexcept {
  const std::uint64_t ud = cqe->user_data;
  if (user_data::is_foreign(ud)) return;  // e.g. liburing's internal timeout (pre-5.11)
  const op_kind kind = user_data::kind_of(ud);
  const std::int32_t res = cqe->res;
  switch (kind) {
    case op_kind::wake:
      kicked_.store(false, std::memory_order_release);
      if (ud == kWakeMessage) return;  // a message from another ring: nothing to re-arm
      wake_armed_ = false;
      if (!closing_) arm_wake_read();
      return;
    case op_kind::cancel:
    case op_kind::ignored:
      return;
    default:
      break;
  }
  auto* op = user_data::decode<op_base>(ud);
  std::uint32_t flags = translate_flags(cqe->flags);
  std::uint16_t bid = 0;
  if (cqe->flags & IORING_CQE_F_BUFFER) {
    bid = static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    buffers_->claim(bid);
  }
  if (res == -ENOBUFS) buffers_->note_enobufs();

  // Multishot recv emulated with single shots (old kernels): re-arm after
  // each chunk and report `more` as a real multishot would.
  if (op->code == op_code::recv_multishot && !opts_.multishot_recv && res > 0 && op->state != op_state::orphaned) {
    flags |= completion_flags::more;
    if (io_uring_sqe* sqe = next_sqe()) {
      prep(sqe, *op);
    } else {
      flags &= ~completion_flags::more;
    }
  }
  if (!(flags & completion_flags::more)) --in_flight_;
  // A linked timeout cancels its op: report that as the timeout it is.
  const std::int32_t result = (res == -ECANCELED && op->link_timeout_ns > 0) ? -ETIMEDOUT : res;
  deliver(*this, *op, result, flags, bid);
}

bool uring_context::start(op_base& op) {
  const bool linked = op.link_timeout_ns > 0;
  // A link must not straddle two submits: make room for both SQEs first.
  if (linked && io_uring_sq_space_left(ring_->get()) < 2) io_uring_submit(ring_->get());
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) {
    op.res = -EBUSY;
    op.flags = 0;
    return true;
  }
  prep(sqe, op);
  if (linked) {
    sqe->flags |= IOSQE_IO_LINK;
    op.link_ts[0] = op.link_timeout_ns / 1'000'000'000;
    op.link_ts[1] = op.link_timeout_ns % 1'000'000'000;
    io_uring_sqe* t = next_sqe();  // cannot fail: room was made above
    io_uring_prep_link_timeout(t, reinterpret_cast<__kernel_timespec*>(op.link_ts), 0);
    io_uring_sqe_set_data64(t, user_data::encode_kind_only(op_kind::ignored));
  }
  ++in_flight_;
  return false;
}

void uring_context::prep(io_uring_sqe* sqe, op_base& op) {
  op_kind kind = op_kind::generic;
  switch (op.code) {
    case op_code::nop:
      io_uring_prep_nop(sqe);
      break;
    case op_code::accept:
      op.addrlen = sizeof op.addr;
      io_uring_prep_accept(sqe, op.fd, reinterpret_cast<sockaddr*>(&op.addr), &op.addrlen, SOCK_CLOEXEC);
      break;
    case op_code::accept_multishot:
      if (opts_.multishot_accept) {
        io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_CLOEXEC);
        kind = op_kind::multishot_accept;
      } else {
        io_uring_prep_accept(sqe, op.fd, nullptr, nullptr, SOCK_CLOEXEC);
      }
      break;
    case op_code::recv:
      io_uring_prep_recv(sqe, op.fd, op.buf, op.len, op.msg_flags);
      break;
    case op_code::recv_pooled:
      io_uring_prep_recv(sqe, op.fd, nullptr, buffers_->buffer_size(), 0);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kGroup;
      break;
    case op_code::recv_multishot:
      if (opts_.multishot_recv) {
        io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, 0);
        kind = op_kind::multishot_recv;
      } else {
        io_uring_prep_recv(sqe, op.fd, nullptr, buffers_->buffer_size(), 0);
      }
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kGroup;
      break;
    case op_code::send:
      io_uring_prep_send(sqe, op.fd, op.buf, op.len, op.msg_flags | MSG_NOSIGNAL);
      break;
    case op_code::writev:
      // sendmsg rather than writev: MSG_NOSIGNAL (a reset peer must not
      // raise SIGPIPE). The msghdr lives in the op until the CQE.
      op.msg = msghdr{};
      op.msg.msg_iov = const_cast<iovec*>(op.iov);
      op.msg.msg_iovlen = op.iovcnt;
      io_uring_prep_sendmsg(sqe, op.fd, &op.msg, MSG_NOSIGNAL);
      break;
    case op_code::connect:
      io_uring_prep_connect(sqe, op.fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addrlen);
      break;
    case op_code::close:
      io_uring_prep_close(sqe, op.fd);
      break;
    case op_code::shutdown:
      io_uring_prep_shutdown(sqe, op.fd, static_cast<int>(op.len));
      break;
    case op_code::openat:
      io_uring_prep_openat(sqe, op.fd, static_cast<const char*>(op.buf), op.msg_flags, op.len);
      break;
    case op_code::read:
      io_uring_prep_read(sqe, op.fd, op.buf, op.len, op.offset);
      break;
    case op_code::statx:
      io_uring_prep_statx(sqe, op.fd, static_cast<const char*>(op.buf), 0, op.len, static_cast<struct statx*>(op.out));
      break;
    case op_code::splice:
      io_uring_prep_splice(sqe, op.fd, static_cast<std::int64_t>(op.offset), op.fd_out, -1, op.len, 0);
      break;
  }
  io_uring_sqe_set_data64(sqe, user_data::encode(&op, kind));
}

void uring_context::cancel(op_base& op) {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return;  // the op completes on its own; the orphan is freed then
  const op_kind kind = op.code == op_code::accept_multishot && opts_.multishot_accept ? op_kind::multishot_accept
                       : op.code == op_code::recv_multishot && opts_.multishot_recv ? op_kind::multishot_recv
                                                                                     : op_kind::generic;
  io_uring_prep_cancel64(sqe, user_data::encode(&op, kind), 0);
  io_uring_sqe_set_data64(sqe, user_data::encode_kind_only(op_kind::cancel));
}

}  // namespace ringlane::engine
