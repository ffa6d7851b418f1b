// support.hpp -- shared helpers for engine tests: a runtime on a chosen
// backend, blocking loopback clients with bounded waits, and a parameter
// that runs a test on both backends.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "engine/engine.hpp"
#include "runtime/runtime.hpp"

namespace ringlane::testing {

inline const char* backend_name(engine::backend_choice b) {
  return b == engine::backend_choice::uring ? "uring" : "epoll";
}

// Parameter printer: EngineTest/Echo/uring, .../epoll.
struct backend_param_name {
  std::string operator()(const ::testing::TestParamInfo<engine::backend_choice>& info) const {
    return backend_name(info.param);
  }
};

// Skips the test when the backend cannot run here (io_uring blocked).
inline void require_backend(engine::backend_choice b) {
  if (b != engine::backend_choice::uring) return;
  engine::engine_options o;
  o.backend = engine::backend_choice::automatic;
  o.log = false;
  const engine::capabilities& caps = engine::engine_capabilities(o);
  if (!caps.uses_uring()) GTEST_SKIP() << "io_uring unavailable here: " << caps.why;
}

inline runtime_options engine_runtime(engine::backend_choice b, std::uint32_t workers = 1,
                                      std::uint32_t buffers = 64, std::uint32_t buffer_size = 4096) {
  runtime_options r;
  r.workers = workers;
  engine::engine_options e;
  e.backend = b;
  e.buffers = buffers;
  e.buffer_size = buffer_size;
  e.log = false;
  return engine::with_engine(r, e);
}

// A blocking client socket with 10 s send/recv timeouts, so no test can
// hang on the network.
inline int client_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

// Connects `fd` to 127.0.0.1:port; 0 or -errno.
inline int connect_to(int fd, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : -errno;
}

// A client_socket() connected to 127.0.0.1:port, or -errno.
inline int connect_client(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    ::close(fd);
    return -errno;
  }
  return fd;
}

inline bool send_all_blocking(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly `n` bytes (or fewer at EOF/timeout).
inline std::string recv_exactly(int fd, std::size_t n) {
  std::string out;
  out.resize(n);
  std::size_t off = 0;
  while (off < n) {
    const ssize_t r = ::recv(fd, out.data() + off, n - off, 0);
    // EINTR: io_uring task work queued for this thread (the capability probe
    // ran its trials here) interrupts blocking socket calls once; retry.
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    off += static_cast<std::size_t>(r);
  }
  out.resize(off);
  return out;
}

// A deterministic payload: byte i is a function of i (detects reordering).
inline std::string pattern(std::size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
  return s;
}

}  // namespace ringlane::testing
