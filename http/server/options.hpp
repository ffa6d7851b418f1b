// options.hpp -- everything a deployment tunes, with nginx-like defaults.
//
//   auto o = http::options::from_args(argc, argv);  // RINGLANE_* env, then flags
//   o.port = 9000;                                   // or from code
//
// Every field has a flag and an environment variable with the same name:
// --max-body 2m  <=>  RINGLANE_MAX_BODY=2m. Flags win over the environment,
// the environment over the defaults. Sizes take k/m/g suffixes, durations
// ms/s/m (a bare number is seconds). `--help` prints the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "engine/engine.hpp"
#include "http/proto/limits.hpp"

namespace ringlane::http {

// All on the timer wheel (the connection's stream timer, DESIGN decision 9).
struct timeouts {
  std::chrono::milliseconds header{60'000};  // nginx client_header_timeout: a request head must arrive in time
  std::chrono::milliseconds body{60'000};    // nginx client_body_timeout: between two body reads
  std::chrono::milliseconds idle{75'000};    // nginx keepalive_timeout: between requests
  std::chrono::milliseconds write{60'000};   // nginx send_timeout: a stalled client stops being waited for
  std::chrono::milliseconds handler{0};      // per-request handler deadline (503); 0 = none
  std::chrono::milliseconds drain{10'000};   // graceful shutdown: in-flight requests get this long
};

struct options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;          // 0 = any free port (see server::port())
  std::uint32_t workers = 0;          // 0 = one per CPU
  engine::backend_choice backend = engine::backend_choice::from_env;  // RINGLANE_BACKEND
  int backlog = 4096;
  bool share_port = false;            // join listeners already on the port (SO_REUSEPORT) instead of failing
  bool nodelay = true;                // TCP_NODELAY on accepted sockets
  int linger = -1;                    // SO_LINGER seconds; -1 = system default (off)
  std::uint32_t buffers = 1024;       // receive buffers per worker
  std::uint32_t buffer_size = 16384;  // bytes per receive buffer
  std::uint32_t read_backlog = 16;    // received buffers a connection may leave unread (pipelined
                                      // backlog); beyond it receiving pauses (TCP pushes back)
  std::size_t max_connections = 100'000;  // over all workers; more are closed at accept
  std::uint32_t keepalive_requests = 0;   // requests per connection before close; 0 = unlimited
  std::size_t max_body_memory = std::size_t{1} << 30;  // request body bytes buffered over all
                                                        // connections; beyond -> 503 Retry-After
  http::limits limits;
  http::timeouts timeouts;
  std::string server_name = "ringlane";   // the Server header; "" = none
  bool access_log = false;                // one line per request on stderr
  bool log = true;                        // startup lines (backend, tier, address)

  // Environment (RINGLANE_*) then flags. Throws std::invalid_argument with
  // a message naming the bad flag or value; --help prints usage and exits 0.
  static options from_args(int argc, char** argv);
  static void print_usage(std::ostream& out, const char* argv0);
};

}  // namespace ringlane::http
