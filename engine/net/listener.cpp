#include "engine/net/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "runtime/time/sleep.hpp"

namespace ringlane::engine {

int open_listener(const listen_options& o) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, o.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(o.port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, o.host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(o.port);
    len = sizeof *v6;
  } else {
    throw std::system_error(EINVAL, std::generic_category(), "listen address '" + o.host + "' is not an IP literal");
  }
  const int one = 1;
  if (o.reuseport && o.exclusive && o.port != 0) {
    // A socket without SO_REUSEPORT cannot bind where any socket listens;
    // SO_REUSEADDR keeps connections in TIME_WAIT from counting.
    const int probe = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) throw std::system_error(errno, std::generic_category(), "socket");
    ::setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const int r = ::bind(probe, reinterpret_cast<sockaddr*>(&ss), len);
    const int e = errno;
    ::close(probe);
    if (r != 0) {
      throw std::system_error(e, std::generic_category(),
                              "bind " + o.host + ":" + std::to_string(o.port) + (e == EADDRINUSE ? " (in use)" : ""));
    }
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (o.reuseport && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "SO_REUSEPORT");
  }
  if (family == AF_INET6) {
    const int zero = 0;  // "::" serves IPv4 too
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, o.backlog) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "bind/listen " + o.host + ":" + std::to_string(o.port));
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// The armed accept: completions are queued here until accept() takes them.
struct listener::accept_op final : op_base {
  std::deque<int> ready;  // accepted fds, or negative errnos
  bool armed = false;

  void on_complete(std::int32_t result, std::uint32_t cflags, std::uint16_t) noexcept override {
    ready.push_back(result);
    armed = (cflags & completion_flags::more) != 0;
    if (waiter) std::move(waiter).wake();
  }
};

namespace {
// Parks until the accept op has something, without owning the op.
struct accept_wait {
  op_base* op;
  std::deque<int>* ready;
  bool await_ready() const noexcept { return !ready->empty(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { op->waiter = this_task::park(h, park_binding::this_worker); }
  void await_resume() const noexcept {}
  ~accept_wait() { op->waiter = waker{}; }
};
}  // namespace

listener::listener(int fd) : fd_(fd), io_(current_io()) {
  if (!io_) throw std::logic_error("engine::listener created outside an engine worker");
}

listener::~listener() {
  if (op_) {
    for (int fd : op_->ready) {
      if (fd >= 0) ::close(fd);
    }
    op_->ready.clear();
    if (op_->armed) {
      // The kernel still holds it: orphan it; deliver() frees it (and closes
      // any connection still accepted) with its final completion.
      op_->state = op_state::orphaned;
      op_->waiter = waker{};
      io_->cancel(*op_);
    } else {
      delete op_;
    }
  }
  ::close(fd_);
}

void listener::arm() {
  if (!op_) {
    op_ = new accept_op;
    op_->code = op_code::accept_multishot;
    op_->fd = fd_;
  }
  op_->armed = true;
  op_->state = op_state::in_flight;
  if (io_->start(*op_)) {
    // Completed at once (the epoll backend found nothing or an error):
    // record it like a completion.
    op_->armed = false;
    op_->ready.push_back(op_->res);
  }
}

task<accepted> listener::accept() {
  using namespace std::chrono_literals;
  std::chrono::milliseconds backoff = 10ms;
  for (;;) {
    if (op_ == nullptr || (!op_->armed && op_->ready.empty())) arm();
    co_await accept_wait{op_, &op_->ready};
    const int r = op_->ready.front();
    op_->ready.pop_front();
    if (r >= 0) {
      ++accepted_;
      accepted a{};
      a.fd = r;
      a.peer_len = 0;
      co_return a;
    }
    if (r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM) {
      // Out of descriptors or memory: wait for some to be freed instead of
      // spinning on the error. A multishot accept that is still armed would
      // only retry on the *next* incoming connection, leaving the backlog
      // waiting: cancel it, and arm a fresh one after the pause (its
      // -ECANCELED completion is consumed below like any other).
      ++backoffs_;
      if (op_->armed) io_->cancel(*op_);
      if (on_exhausted_) on_exhausted_();
      co_await sleep(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 1000ms);
      continue;
    }
    // ECONNABORTED and friends concern one connection only; ECANCELED means
    // the multishot op was dropped: re-arm and go on.
    backoff = 10ms;
  }
}

}  // namespace ringlane::engine
