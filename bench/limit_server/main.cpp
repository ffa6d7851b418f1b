// limit_server -- the thinnest HTTP-shaped server on the engine: the
// physical limit later servers are measured against.
//
//   limit_server [--port 8080] [--host 0.0.0.0] [--workers N] [--backend auto|uring|epoll]
//
// For every request-shaped read -- each "\r\n\r\n" in the byte stream, so
// pipelining works -- it queues a fixed 200 response with a 13-byte body,
// and sends everything one read produced in one send. No parsing beyond
// finding the end of each request: this is the raw engine's cost (accept,
// multishot recv into pool buffers, one send per batch), like the raw
// "Tokio" entry in the seeds' comparison.
//
// One SO_REUSEPORT listener and accept loop per worker; every connection is
// a task pinned to the worker that accepted it. SIGINT/SIGTERM stop it.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "engine/net/listener.hpp"
#include "engine/net/stream.hpp"
#include "runtime/runtime.hpp"

namespace {

using namespace ringlane;

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

// Counts request ends ("\r\n\r\n") across chunk boundaries.
struct request_counter {
  int matched = 0;  // how much of "\r\n\r\n" the previous bytes matched
  std::size_t feed(std::string_view bytes) noexcept {
    std::size_t ends = 0;
    for (char c : bytes) {
      const bool want_r = matched == 0 || matched == 2;
      if (c == (want_r ? '\r' : '\n')) {
        if (++matched == 4) {
          ++ends;
          matched = 0;
        }
      } else {
        matched = c == '\r' ? 1 : 0;
      }
    }
    return ends;
  }
};

task<void> serve(int fd) {
  engine::stream s(fd);
  request_counter counter;
  for (;;) {
    engine::pooled chunk = co_await s.read();
    if (chunk.res <= 0) co_return;
    const std::size_t n = counter.feed(chunk.buffer.view());
    chunk.buffer.reset();  // back to the pool before we wait on the send
    for (std::size_t i = 0; i < n; ++i) s.queue(kResponse);
    if (n == 0) continue;
    const std::int32_t e = co_await s.flush();
    if (e < 0) co_return;
  }
}

task<void> accept_loop(int listen_fd) {
  engine::listener l(listen_fd);
  for (;;) {
    engine::accepted a = co_await l.accept();
    if (a.fd >= 0) spawn_pinned(serve(a.fd)).detach();
  }
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--port N] [--host ADDR] [--workers N] [--backend auto|uring|epoll]\n", argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  engine::listen_options lo;
  lo.port = 8080;
  runtime_options ro;
  engine::engine_options eo;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    const std::string v = argv[++i];
    if (a == "--port") {
      lo.port = static_cast<std::uint16_t>(std::atoi(v.c_str()));
    } else if (a == "--host") {
      lo.host = v;
    } else if (a == "--workers") {
      ro.workers = static_cast<std::uint32_t>(std::atoi(v.c_str()));
    } else if (a == "--backend") {
      if (v == "uring") eo.backend = engine::backend_choice::uring;
      else if (v == "epoll") eo.backend = engine::backend_choice::epoll;
      else if (v == "auto") eo.backend = engine::backend_choice::automatic;
      else usage(argv[0]);
    } else {
      usage(argv[0]);
    }
  }
  // Signals go to sigwait below, never to a worker.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  runtime rt(engine::with_engine(ro, eo));
  // Open every worker's listener here, so that a busy port fails at once.
  std::vector<int> fds;
  try {
    for (std::uint32_t w = 0; w < rt.workers(); ++w) fds.push_back(engine::open_listener(lo));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "limit_server: %s\n", e.what());
    return 1;
  }
  for (std::uint32_t w = 0; w < rt.workers(); ++w) rt.spawn_on(w, accept_loop(fds[w])).detach();
  std::fprintf(stderr, "limit_server: %u workers on %s:%u\n", rt.workers(), lo.host.c_str(), lo.port);
  int sig = 0;
  sigwait(&stop, &sig);
  std::fprintf(stderr, "limit_server: signal %d, stopping\n", sig);
  rt.shutdown();
  return 0;
}
