// options.cpp -- one table maps every option to its flag, its environment
// variable and its parser, so the three stay in step by construction.
#include "http/server/options.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace ringlane::http {
namespace {

using namespace std::chrono_literals;

std::uint64_t parse_number(std::string_view s, std::string_view what) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || s.empty()) throw std::invalid_argument(std::string(what) + ": not a number: " + std::string(s));
  const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  if (!unit.empty()) throw std::invalid_argument(std::string(what) + ": unexpected '" + std::string(unit) + "'");
  return v;
}

// "64k", "2m", "1g", "1000" -> bytes.
std::size_t parse_size(std::string_view s, std::string_view what) {
  std::uint64_t mult = 1;
  if (!s.empty()) {
    switch (std::tolower(static_cast<unsigned char>(s.back()))) {
      case 'k': mult = 1ull << 10; break;
      case 'm': mult = 1ull << 20; break;
      case 'g': mult = 1ull << 30; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  return static_cast<std::size_t>(parse_number(s, what) * mult);
}

// "500ms", "10s", "2m", "30" (seconds) -> milliseconds.
std::chrono::milliseconds parse_duration(std::string_view s, std::string_view what) {
  std::uint64_t mult = 1000;
  if (s.ends_with("ms")) {
    mult = 1;
    s.remove_suffix(2);
  } else if (s.ends_with('s')) {
    s.remove_suffix(1);
  } else if (s.ends_with('m')) {
    mult = 60'000;
    s.remove_suffix(1);
  }
  return std::chrono::milliseconds(parse_number(s, what) * mult);
}

bool parse_bool(std::string_view s, std::string_view what) {
  if (s == "1" || s == "true" || s == "on" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return false;
  throw std::invalid_argument(std::string(what) + ": expected on/off, got " + std::string(s));
}

engine::backend_choice parse_backend(std::string_view s) {
  if (s == "auto") return engine::backend_choice::automatic;
  if (s == "uring" || s == "io_uring") return engine::backend_choice::uring;
  if (s == "epoll") return engine::backend_choice::epoll;
  throw std::invalid_argument("backend: expected auto, uring or epoll, got " + std::string(s));
}

struct option_row {
  const char* flag;  // without "--"; the env name is RINGLANE_ + upper(flag, '-' -> '_')
  const char* help;
  std::function<void(options&, std::string_view)> set;
};

template <class T>
T narrow(std::uint64_t v, std::string_view what) {
  if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
    throw std::invalid_argument(std::string(what) + ": too large");
  return static_cast<T>(v);
}

const std::vector<option_row>& table() {
  static const std::vector<option_row> rows = {
      {"host", "address to listen on (IPv4 or IPv6 literal)", [](options& o, std::string_view v) { o.host = v; }},
      {"port", "TCP port (0 = any free port)",
       [](options& o, std::string_view v) { o.port = narrow<std::uint16_t>(parse_number(v, "port"), "port"); }},
      {"workers", "worker threads (0 = one per CPU)",
       [](options& o, std::string_view v) { o.workers = narrow<std::uint32_t>(parse_number(v, "workers"), "workers"); }},
      {"backend", "auto | uring | epoll", [](options& o, std::string_view v) { o.backend = parse_backend(v); }},
      {"backlog", "listen backlog",
       [](options& o, std::string_view v) { o.backlog = narrow<int>(parse_number(v, "backlog"), "backlog"); }},
      {"share-port", "on: share a port other listeners hold (SO_REUSEPORT, overlapping restarts); off: fail",
       [](options& o, std::string_view v) { o.share_port = parse_bool(v, "share-port"); }},
      {"nodelay", "TCP_NODELAY on|off", [](options& o, std::string_view v) { o.nodelay = parse_bool(v, "nodelay"); }},
      {"linger", "SO_LINGER seconds (-1 = off)",
       [](options& o, std::string_view v) {
         o.linger = v == "-1" ? -1 : narrow<int>(parse_number(v, "linger"), "linger");
       }},
      {"buffers", "receive buffers per worker",
       [](options& o, std::string_view v) { o.buffers = narrow<std::uint32_t>(parse_number(v, "buffers"), "buffers"); }},
      {"buffer-size", "bytes per receive buffer (k/m suffixes)",
       [](options& o, std::string_view v) {
         o.buffer_size = narrow<std::uint32_t>(parse_size(v, "buffer-size"), "buffer-size");
       }},
      {"read-backlog", "unread receive buffers per connection before receiving pauses",
       [](options& o, std::string_view v) {
         o.read_backlog = narrow<std::uint32_t>(parse_number(v, "read-backlog"), "read-backlog");
       }},
      {"max-connections", "open connections over all workers",
       [](options& o, std::string_view v) { o.max_connections = parse_size(v, "max-connections"); }},
      {"keepalive-requests", "requests per connection (0 = unlimited)",
       [](options& o, std::string_view v) {
         o.keepalive_requests = narrow<std::uint32_t>(parse_number(v, "keepalive-requests"), "keepalive-requests");
       }},
      {"max-request-line", "request line bytes (414 beyond)",
       [](options& o, std::string_view v) { o.limits.max_request_line = parse_size(v, "max-request-line"); }},
      {"max-header-bytes", "header section bytes (431 beyond)",
       [](options& o, std::string_view v) { o.limits.max_header_bytes = parse_size(v, "max-header-bytes"); }},
      {"max-headers", "header fields (431 beyond)",
       [](options& o, std::string_view v) { o.limits.max_headers = parse_size(v, "max-headers"); }},
      {"max-body", "request body bytes (413 beyond)",
       [](options& o, std::string_view v) { o.limits.max_body = parse_size(v, "max-body"); }},
      {"max-body-memory", "body bytes buffered over all connections (503 beyond)",
       [](options& o, std::string_view v) { o.max_body_memory = parse_size(v, "max-body-memory"); }},
      {"header-timeout", "time for a request head", [](options& o, std::string_view v) {
         o.timeouts.header = parse_duration(v, "header-timeout");
       }},
      {"body-timeout", "time between body reads",
       [](options& o, std::string_view v) { o.timeouts.body = parse_duration(v, "body-timeout"); }},
      {"idle-timeout", "keep-alive time between requests",
       [](options& o, std::string_view v) { o.timeouts.idle = parse_duration(v, "idle-timeout"); }},
      {"write-timeout", "time a stalled client is waited for",
       [](options& o, std::string_view v) { o.timeouts.write = parse_duration(v, "write-timeout"); }},
      {"handler-timeout", "handler deadline (0 = none)",
       [](options& o, std::string_view v) { o.timeouts.handler = parse_duration(v, "handler-timeout"); }},
      {"drain-timeout", "graceful shutdown deadline",
       [](options& o, std::string_view v) { o.timeouts.drain = parse_duration(v, "drain-timeout"); }},
      {"server-name", "Server header value (empty = none)",
       [](options& o, std::string_view v) { o.server_name = v; }},
      {"access-log", "one line per request on stderr (on|off)",
       [](options& o, std::string_view v) { o.access_log = parse_bool(v, "access-log"); }},
      {"log", "startup lines on stderr (on|off)", [](options& o, std::string_view v) { o.log = parse_bool(v, "log"); }},
  };
  return rows;
}

std::string env_name(std::string_view flag) {
  std::string name = "RINGLANE_";
  for (char c : flag) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

const option_row* find(std::string_view flag) {
  for (const option_row& r : table()) {
    if (flag == r.flag) return &r;
  }
  return nullptr;
}

}  // namespace

void options::print_usage(std::ostream& out, const char* argv0) {
  out << "usage: " << argv0 << " [--flag value | --flag=value]...\n"
      << "every flag may also come from the environment (flags win)\n\n";
  for (const option_row& r : table()) {
    std::string flag = std::string("--") + r.flag;
    flag.resize(std::max<std::size_t>(flag.size() + 1, 22), ' ');
    std::string env = env_name(r.flag);
    env.resize(std::max<std::size_t>(env.size() + 1, 30), ' ');
    out << "  " << flag << env << r.help << '\n';
  }
}

options options::from_args(int argc, char** argv) {
  options o;
  for (const option_row& r : table()) {
    // RINGLANE_BACKEND is read by the engine itself (backend = from_env).
    if (std::string_view(r.flag) == "backend") continue;
    if (const char* v = std::getenv(env_name(r.flag).c_str()); v && *v) r.set(o, v);
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(std::cout, argv[0]);
      std::exit(0);
    }
    if (!arg.starts_with("--")) throw std::invalid_argument("unexpected argument: " + std::string(arg));
    arg.remove_prefix(2);
    std::string_view value;
    bool have_value = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      have_value = true;
    }
    const option_row* row = find(arg);
    if (!row) throw std::invalid_argument("unknown flag --" + std::string(arg) + " (see --help)");
    if (!have_value) {
      if (i + 1 >= argc) throw std::invalid_argument("--" + std::string(arg) + " needs a value");
      value = argv[++i];
    }
    row->set(o, value);
  }
  return o;
}

}  // namespace ringlane::http
