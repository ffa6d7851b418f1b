// server.hpp -- routes + options -> a running HTTP/1.1 server.
//
//   int main(int argc, char** argv) {
//     http::server server(http::options::from_args(argc, argv));
//     server.get("/", hello);
//     server.get("/users/:id", user);
//     server.use(http::access_log());
//     return server.run();            // until SIGINT/SIGTERM, then a graceful drain
//   }
//
// Shape at run time (one runtime, N workers, each with its own ring):
//
//   worker i:  listener i (SO_REUSEPORT) ── accept loop ──spawn_pinned──> connection tasks
//                                                                          (core.slots[i])
// Graceful drain (stop(), or the signal in run()):
//   1. draining = true; accept loops are aborted, listeners closed
//   2. on each worker: idle keep-alive connections are woken and close;
//      busy ones finish their request and answer it with Connection: close
//   3. wait until no connection is left, or the drain deadline passes;
//      then the runtime is destroyed, which cancels whatever remains
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "http/server/context.hpp"
#include "http/server/core.hpp"
#include "http/server/handler.hpp"
#include "http/server/options.hpp"
#include "runtime/runtime.hpp"

namespace ringlane::http {

// Connection counters summed over the workers: a snapshot (each worker
// counts its own; the sum is not taken atomically).
struct server_stats {
  std::uint64_t open = 0;       // connections open now
  std::uint64_t accepted = 0;   // connections taken in since start
  std::uint64_t rejected = 0;   // closed at accept: the worker was full of busy connections
  std::uint64_t reclaimed = 0;  // idle connections closed to make room (limit or descriptors)
  std::uint64_t requests = 0;   // requests dispatched
  std::uint64_t idle_releases = 0;  // times a connection going idle freed large buffers
  std::uint64_t body_refusals = 0;  // 503s: a request body did not fit in max_body_memory
  std::uint64_t body_memory = 0;    // request body bytes held now, of max_body_memory
};

class server {
 public:
  explicit server(options o = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Routes. `pattern`: "/", "/users/:id", "/files/*path". Throws
  // std::invalid_argument for a bad or conflicting pattern.
  server& route(std::string_view method, std::string_view pattern, handler h, middleware_list mw = {});
  server& get(std::string_view pattern, handler h, middleware_list mw = {});
  server& post(std::string_view pattern, handler h, middleware_list mw = {});
  server& put(std::string_view pattern, handler h, middleware_list mw = {});
  server& patch(std::string_view pattern, handler h, middleware_list mw = {});
  server& del(std::string_view pattern, handler h, middleware_list mw = {});
  server& options_route(std::string_view pattern, handler h, middleware_list mw = {});
  // Every common method (GET HEAD POST PUT PATCH DELETE OPTIONS).
  server& any(std::string_view pattern, handler h, middleware_list mw = {});
  // Global middleware, in order.
  server& use(middleware mw);

  // Starts listening and serving; returns at once. Throws on setup errors
  // (address in use, no backend). Routes are fixed from here on.
  void start();
  // The bound port (after start; useful with port 0).
  std::uint16_t port() const noexcept { return port_; }
  // Graceful drain (see above); blocks until done. Idempotent.
  void stop();
  // start(), print the address, wait for SIGINT/SIGTERM, stop(). Returns
  // the process exit code (0, or 1 after a setup error, which is printed).
  int run();

  const options& config() const noexcept { return core_->opts; }
  // Any thread, once started.
  server_stats stats() const noexcept;
  ringlane::runtime& runtime() noexcept { return *rt_; }

 private:
  std::unique_ptr<detail::core> core_;
  std::unique_ptr<ringlane::runtime> rt_;
  std::vector<join_handle<void>> acceptors_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

// Middleware that logs one line per request to stderr:
//   127.0.0.1:51234 "GET /users/7 HTTP/1.1" 200 27 0.153ms
middleware access_log();

}  // namespace ringlane::http
