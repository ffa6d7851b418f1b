// capabilities.cpp -- the probe of IO_URING.md 2.2; see capabilities.hpp.
//
// The trials run on the probe ring, single-threaded, one at a time, with
// small constant user_data values (the ring is private, so they cannot
// collide with user_data.hpp's encoding). Each trial reaps every CQE its
// request can still produce before the memory behind it goes away; if that
// does not happen in time, the buffers are leaked rather than freed under
// the kernel.
#include "engine/uring/capabilities.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "engine/uring/buffer_ring.hpp"
#include "engine/uring/compat.hpp"

namespace ringlane::engine {
namespace {

constexpr std::uint16_t probe_group = 0x7ff0;  // buffer group id used on the probe ring only
enum : std::uint64_t { ud_accept = 1, ud_recv = 2, ud_cancel = 3, ud_msg_source = 4, ud_msg_target = 5 };

struct fd_guard {  // closes on scope exit; an aggregate, so never copy one
  int fd = -1;
  ~fd_guard() { if (fd >= 0) ::close(fd); }
};

std::string errno_name(int negative_errno) {
  const char* name = strerrorname_np(-negative_errno);
  return name != nullptr ? name : "errno " + std::to_string(-negative_errno);
}

// Submits what is queued, then hands each CQE to `on_cqe` until it returns
// true. CQEs after that one stay in the CQ for the next call. 0, or -ETIME /
// a negative errno from the wait.
template <class OnCqe>
int reap(io_uring* r, int timeout_ms, OnCqe&& on_cqe) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + milliseconds(timeout_ms);
  for (;;) {
    const auto left = duration_cast<nanoseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return -ETIME;
    __kernel_timespec ts{.tv_sec = left / 1'000'000'000, .tv_nsec = left % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_submit_and_wait_timeout(r, &cqe, 1, &ts, nullptr);
    if (rc == -EINTR) continue;
    if (rc < 0) return rc;
    while (io_uring_peek_cqe(r, &cqe) == 0) {
      const io_uring_cqe c = *cqe;
      io_uring_cqe_seen(r, cqe);
      if (c.user_data == LIBURING_UDATA_TIMEOUT) continue;  // liburing's own (IO_URING.md 1.4)
      if (on_cqe(c)) return 0;
    }
  }
}

// Ends a request that may still be armed: cancel it, then wait for its
// final CQE (no F_MORE) and the cancel's own CQE, in either order. Every
// CQE of the target goes to `on_target` (a recv may still deliver data).
template <class OnTarget>
bool retire(io_uring* r, std::uint64_t target, int timeout_ms, OnTarget&& on_target) {
  io_uring_sqe* sqe = io_uring_get_sqe(r);
  io_uring_prep_cancel64(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, ud_cancel);
  bool target_done = false, cancel_done = false;
  const int rc = reap(r, timeout_ms, [&](const io_uring_cqe& c) {
    if (c.user_data == target) {
      on_target(c);
      if ((c.flags & IORING_CQE_F_MORE) == 0) target_done = true;
    }
    if (c.user_data == ud_cancel) cancel_done = true;
    return target_done && cancel_done;
  });
  return rc == 0;
}

trial_result from_cqe_error(int res) {
  return res == -EINVAL ? trial_result{trial_state::unsupported, res} : trial_result{trial_state::failed, res};
}

// Multishot accept (5.19): a loopback listener, one armed accept, one
// connect. Supported = a CQE with an fd and IORING_CQE_F_MORE.
trial_result trial_multishot_accept(io_uring* r, int timeout_ms) {
  fd_guard listener{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener.fd < 0 || ::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.fd, 4) != 0 || ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return {trial_state::failed, -errno};

  io_uring_sqe* sqe = io_uring_get_sqe(r);
  io_uring_prep_multishot_accept(sqe, listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, ud_accept);
  io_uring_submit(r);

  fd_guard client{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (client.fd < 0 ||
      (::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)) {
    const int err = -errno;
    retire(r, ud_accept, timeout_ms, [](const io_uring_cqe& c) { if (c.res >= 0) ::close(c.res); });
    return {trial_state::failed, err};
  }

  trial_result result{trial_state::failed, -ETIME};
  bool armed = true;  // until a CQE without F_MORE says otherwise
  reap(r, timeout_ms, [&](const io_uring_cqe& c) {
    if (c.user_data != ud_accept) return false;
    armed = (c.flags & IORING_CQE_F_MORE) != 0;
    if (c.res >= 0) {
      ::close(c.res);
      // An fd without F_MORE: the kernel ignored the multishot flag.
      result = armed ? trial_result{trial_state::supported, 0} : trial_result{trial_state::unsupported, 0};
    } else {
      result = from_cqe_error(c.res);
    }
    return true;
  });
  if (armed) retire(r, ud_accept, timeout_ms, [](const io_uring_cqe& c) { if (c.res >= 0) ::close(c.res); });
  return result;
}

// Multishot recv (6.0) from the probe's buffer ring on a socketpair.
// Supported = data in a provided buffer plus IORING_CQE_F_MORE. Returns
// false in `clean` if the request could not be shown finished.
trial_result trial_multishot_recv(io_uring* r, buffer_ring& br, int timeout_ms, bool& clean) {
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return {trial_state::failed, -errno};
  fd_guard ours{sp[0]}, peer{sp[1]};

  io_uring_sqe* sqe = io_uring_get_sqe(r);
  io_uring_prep_recv_multishot(sqe, ours.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  compat::set_buf_group(sqe, br.group());
  io_uring_sqe_set_data64(sqe, ud_recv);
  io_uring_submit(r);

  auto give_back = [&](const io_uring_cqe& c) {
    if (auto bid = buffer_ring::buffer_id(c.flags)) {
      br.claim(*bid);
      br.recycle(*bid);
      br.commit();
    }
  };
  if (::write(peer.fd, "probe", 5) != 5) {
    const int err = -errno;
    clean = retire(r, ud_recv, timeout_ms, give_back);
    return {trial_state::failed, err};
  }
  trial_result result{trial_state::failed, -ETIME};
  bool armed = true;
  reap(r, timeout_ms, [&](const io_uring_cqe& c) {
    if (c.user_data != ud_recv) return false;
    give_back(c);
    armed = (c.flags & IORING_CQE_F_MORE) != 0;
    if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER) != 0)
      result = armed ? trial_result{trial_state::supported, 0} : trial_result{trial_state::unsupported, 0};
    else
      result = c.res < 0 ? from_cqe_error(c.res) : trial_result{trial_state::failed, -EPROTO};
    return true;
  });
  if (!armed) return result;
  // End it the natural way: EOF gives a final CQE (res 0, no F_MORE).
  ::shutdown(peer.fd, SHUT_WR);
  const int rc = reap(r, timeout_ms, [&](const io_uring_cqe& c) {
    if (c.user_data != ud_recv) return false;
    give_back(c);
    return (c.flags & IORING_CQE_F_MORE) == 0;
  });
  if (rc != 0) clean = retire(r, ud_recv, timeout_ms, give_back);
  return result;
}

// msg_ring (5.18) to the probe ring itself: the source CQE reports the send,
// the target CQE carries our user_data and `len` as its result.
trial_result trial_msg_ring(io_uring* r, int ring_fd, int timeout_ms) {
  constexpr unsigned payload = 0x5a;
  io_uring_sqe* sqe = io_uring_get_sqe(r);
  io_uring_prep_msg_ring(sqe, ring_fd, payload, ud_msg_target, 0);
  io_uring_sqe_set_data64(sqe, ud_msg_source);
  bool sent = false, received = false;
  int error = 0;
  const int rc = reap(r, timeout_ms, [&](const io_uring_cqe& c) {
    if (c.user_data == ud_msg_source) {
      sent = true;
      if (c.res < 0) error = c.res;
    }
    if (c.user_data == ud_msg_target) received = c.res == static_cast<int>(payload);
    return error != 0 || (sent && received);
  });
  if (error != 0) return from_cqe_error(error);
  if (rc != 0) return {trial_state::failed, rc};
  return received ? trial_result{trial_state::supported, 0} : trial_result{trial_state::failed, -EPROTO};
}

void probe_opcodes(io_uring* r, capabilities& c) {
  io_uring_probe* p = io_uring_get_probe_ring(r);
  if (p == nullptr) return;  // IORING_REGISTER_PROBE is 5.6
  c.probe_available = true;
  c.last_op = p->last_op;
  auto has = [&](int op) { return io_uring_opcode_supported(p, op) != 0; };
  opcode_support& o = c.ops;
  o.accept = has(IORING_OP_ACCEPT), o.recv = has(IORING_OP_RECV), o.send = has(IORING_OP_SEND);
  o.sendmsg = has(IORING_OP_SENDMSG), o.writev = has(IORING_OP_WRITEV);
  o.async_cancel = has(IORING_OP_ASYNC_CANCEL), o.timeout = has(IORING_OP_TIMEOUT);
  o.link_timeout = has(IORING_OP_LINK_TIMEOUT), o.close = has(IORING_OP_CLOSE), o.shutdown = has(IORING_OP_SHUTDOWN);
  o.msg_ring = has(IORING_OP_MSG_RING), o.send_zc = has(IORING_OP_SEND_ZC), o.openat = has(IORING_OP_OPENAT);
  o.read = has(IORING_OP_READ), o.statx = has(IORING_OP_STATX), o.splice = has(IORING_OP_SPLICE);
  o.connect = has(IORING_OP_CONNECT);
  io_uring_free_probe(p);
}

std::string missing_features(const capabilities& c) {
  std::string out;
  auto add = [&](bool present, const char* name) {
    if (present) return;
    out += out.empty() ? "" : ", ";
    out += name;
  };
  add(c.feat_nodrop, "NODROP");
  add(c.feat_submit_stable, "SUBMIT_STABLE");
  add(c.feat_fast_poll, "FAST_POLL");
  add(c.feat_ext_arg, "EXT_ARG");
  return out;
}

std::string trial_text(const char* what, const trial_result& t) {
  std::string s = std::string(what) + " " + to_string(t.state);
  if (t.error != 0) s += " (" + errno_name(t.error) + ")";
  return s;
}

backend_choice resolve(backend_choice b) {
  if (b != backend_choice::from_env) return b;
  const char* v = std::getenv("RINGLANE_BACKEND");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "auto") == 0) return backend_choice::automatic;
  if (std::strcmp(v, "epoll") == 0) return backend_choice::epoll;
  if (std::strcmp(v, "uring") == 0 || std::strcmp(v, "io_uring") == 0) return backend_choice::uring;
  throw std::invalid_argument(std::string("RINGLANE_BACKEND must be epoll, uring or auto, not '") + v + "'");
}

// Tier and reason once io_uring is known to be usable.
void grade(capabilities& c) {
  constexpr unsigned full = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN;
  const bool full_flags = (c.setup_flags & full) == full;
  const bool coop = (c.setup_flags & IORING_SETUP_COOP_TASKRUN) != 0;
  if (full_flags && c.multishot_accept.ok() && c.multishot_recv.ok() && c.buffer_ring.ok() && c.msg_ring.ok()) {
    c.level = tier::A;
    c.why = "the full flag set, the required features and opcodes, multishot accept and recv, buffer rings and "
            "msg_ring all work";
    return;
  }
  c.level = coop && c.buffer_ring.ok() ? tier::B : tier::C;
  std::vector<std::string> short_of;
  if (c.safe_mode) short_of.emplace_back("safe mode drops DEFER_TASKRUN and multishot");
  else if (!full_flags)
    short_of.emplace_back(std::string("the kernel refused the full flag set (ladder step ") +
                          ladder_step_name(c.ladder.attempts[c.ladder.count - 1].step) + ")");
  if (!coop) short_of.emplace_back("no COOP_TASKRUN");
  if (!c.safe_mode && !c.multishot_accept.ok()) short_of.push_back(trial_text("multishot accept", c.multishot_accept));
  if (!c.safe_mode && !c.multishot_recv.ok()) short_of.push_back(trial_text("multishot recv", c.multishot_recv));
  if (!c.buffer_ring.ok()) short_of.push_back(trial_text("buffer ring", c.buffer_ring));
  if (!c.msg_ring.ok()) short_of.push_back(trial_text("msg_ring", c.msg_ring));
  c.why = "io_uring works, but ";
  for (std::size_t i = 0; i < short_of.size(); ++i) c.why += (i ? "; " : "") + short_of[i];
}

}  // namespace

capabilities detect(const probe_options& o) {
  capabilities c;
  c.safe_mode = o.safe_mode;
  const backend_choice choice = resolve(o.backend);
  c.forced = choice == backend_choice::uring || choice == backend_choice::epoll;
  const char* by = o.backend == backend_choice::from_env ? "RINGLANE_BACKEND" : "probe_options";
  if (choice == backend_choice::epoll) {
    c.why = std::string(by) + " forces epoll; io_uring was not touched";
    return c;
  }
  // io_uring is unusable: epoll, or an exception when io_uring was demanded.
  auto unusable = [&](int error, std::string why) {
    c.backend = backend_kind::epoll;
    c.level = tier::D;
    c.why = std::move(why);
    if (choice == backend_choice::uring)
      throw std::system_error(-error, std::generic_category(), std::string(by) + " demands io_uring, but " + c.why);
    return c;
  };

  // A small ring with the same flag ladder the workers will walk.
  const ring_options ro{.sq_entries = 64, .cq_entries = 256, .safe_mode = o.safe_mode, .register_ring_fd = false,
                        .iowq_max_bounded = 0, .iowq_max_unbounded = 0, .setup = o.setup};
  ring_result created = ring::create(ro);
  c.ladder = created.trace();
  if (!created) {
    c.setup_error = created.error().error;
    c.setup_failure = created.error().reason;
    return unusable(c.setup_error, created.error().reason);
  }
  ring& rg = created.value();
  io_uring* r = rg.get();
  c.setup_flags = rg.flags();
  c.features = rg.features();
  c.feat_nodrop = c.features & IORING_FEAT_NODROP;
  c.feat_submit_stable = c.features & IORING_FEAT_SUBMIT_STABLE;
  c.feat_fast_poll = c.features & IORING_FEAT_FAST_POLL;
  c.feat_ext_arg = c.features & IORING_FEAT_EXT_ARG;
  if (!c.required_features())
    return unusable(-ENOTSUP, "the kernel lacks IORING_FEAT_" + missing_features(c) + " (the backend needs 5.11+)");

  probe_opcodes(r, c);
  if (!c.probe_available) return unusable(-ENOTSUP, "the kernel has no opcode probe (IORING_REGISTER_PROBE)");
  if (!c.ops.required_present()) return unusable(-ENOTSUP, "the kernel lacks a required networking opcode");

  // Trials. The buffer ring outlives every request that may select from it;
  // if a request cannot be shown finished, its memory is leaked, not freed.
  std::unique_ptr<buffer_ring> br;
  try {
    br = std::make_unique<buffer_ring>(buffer_ring::create(*r, probe_group, 2, 64));
    c.buffer_ring = br->registered() ? trial_result{trial_state::supported, 0}
                                     : trial_result{trial_state::unsupported, br->registration_error()};
  } catch (const std::system_error& e) {
    c.buffer_ring = {trial_state::failed, -e.code().value()};
  }
  if (o.safe_mode) {
    c.multishot_accept = c.multishot_recv = {trial_state::disabled, 0};
  } else {
    c.multishot_accept = trial_multishot_accept(r, o.trial_timeout_ms);
    bool clean = true;
    if (c.buffer_ring.ok()) c.multishot_recv = trial_multishot_recv(r, *br, o.trial_timeout_ms, clean);
    if (!clean) (void)br.release();  // deliberately leaked: the kernel may still write there
  }
  c.msg_ring = c.ops.msg_ring ? trial_msg_ring(r, rg.fd(), o.trial_timeout_ms)
                              : trial_result{trial_state::unsupported, -EINVAL};
  br.reset();  // unregister before the ring goes

  c.backend = backend_kind::uring;
  grade(c);
  if (choice == backend_choice::uring) c.why = std::string(by) + " demands io_uring; " + c.why;
  return c;
}

const capabilities& probe(const probe_options& options) {
  // A mutex rather than std::call_once: a throwing first call must leave
  // the next caller free to retry, and call_once's exceptional path has a
  // history of hangs in libstdc++ (GCC PR 66146).
  static std::mutex mu;
  static std::optional<capabilities> cached;
  std::lock_guard lock(mu);
  if (!cached) cached = detect(options);
  return *cached;  // never reassigned after this point
}

const char* to_string(tier t) noexcept {
  static constexpr const char* names[] = {"A", "B", "C", "D"};
  return names[static_cast<int>(t)];
}

const char* to_string(backend_kind b) noexcept { return b == backend_kind::uring ? "io_uring" : "epoll"; }

const char* to_string(trial_state s) noexcept {
  static constexpr const char* names[] = {"not run", "disabled", "supported", "unsupported", "failed"};
  return names[static_cast<int>(s)];
}

std::string describe(const capabilities& c) {
  std::string s = std::string("backend ") + to_string(c.backend) + ", tier " + to_string(c.level);
  if (c.uses_uring()) {
    char features[16];
    std::snprintf(features, sizeof features, "%#x", c.features);
    s += ": flags " + setup_flag_names(c.setup_flags) + " (ladder step " +
         ladder_step_name(c.ladder.attempts[c.ladder.count - 1].step) + "), features " + features;
    if (c.multishot_accept.ok() && c.multishot_recv.ok()) s += ", multishot accept/recv";
    else if (c.multishot_accept.ok()) s += ", multishot accept";
    else if (c.multishot_recv.ok()) s += ", multishot recv";
    if (c.buffer_ring.ok()) s += ", buffer rings";
    if (c.msg_ring.ok()) s += ", msg_ring";
    if (c.ops.send_zc) s += ", send_zc available (unused)";
    if (c.safe_mode) s += ", safe mode";
  }
  return s + "; because " + c.why;
}

}  // namespace ringlane::engine
