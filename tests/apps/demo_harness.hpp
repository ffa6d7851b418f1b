// demo_harness.hpp -- run apps/demo as a child process and talk HTTP/1.1 to it
// over raw sockets, checking the framing (Content-Length or chunked) strictly.
// Every wait is bounded: socket timeouts, a deadline on the startup line, a
// deadline on the exit.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace demo_test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

inline std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// The demo binary: $DEMO_BIN (set by tests/apps/meson.build).
// The app under test: meson passes its path in an environment variable.
inline std::string app_binary(const char* var) {
  const char* p = std::getenv(var);
  if (!p || !*p) throw std::runtime_error(std::string(var) + " is not set");
  return p;
}

// An app (apps/demo by default) on 127.0.0.1, any free port, 2 workers,
// the given backend, plus `extra` arguments.
// Runs a shell command (curl), returns its stdout and sets `status`.
inline std::string run(const std::string& cmd, int& status) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) {
    status = -1;
    return out;
  }
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  status = ::pclose(f);
  return out;
}

class demo_process {
 public:
  explicit demo_process(const std::string& backend) : demo_process(app_binary("DEMO_BIN"), backend) {}
  // sigint_ignored: the app starts with SIGINT ignored, as a shell starts
  // a background job (`app &`).
  // launcher: a command that execs the app, e.g. {"prlimit", "--nofile=64:64", "--"}.
  demo_process(const std::string& bin, const std::string& backend, const std::vector<std::string>& extra = {},
               bool sigint_ignored = false, const std::vector<std::string>& launcher = {}) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    std::vector<std::string> args = launcher;
    for (std::string a : {bin, std::string("--host"), std::string("127.0.0.1"), std::string("--port"), std::string("0"),
                          std::string("--workers"), std::string("2"), std::string("--backend"), backend})
      args.push_back(std::move(a));
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on fd 1
    // An ignored disposition survives exec; ours is put back right after.
    struct sigaction ignore {}, saved {};
    ignore.sa_handler = SIG_IGN;
    if (sigint_ignored) ::sigaction(SIGINT, &ignore, &saved);
    const int rc = posix_spawn(&pid_, args[0].c_str(), &fa, nullptr, argv.data(), environ);
    if (sigint_ignored) ::sigaction(SIGINT, &saved, nullptr);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    out_ = out[0];
    if (rc != 0) {
      ::close(out_);
      throw std::runtime_error("posix_spawn " + args[0] + ": " + std::strerror(rc));
    }
    port_ = read_port(10s);
  }
  demo_process(const demo_process&) = delete;
  demo_process& operator=(const demo_process&) = delete;
  ~demo_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  void signal(int sig) const { ::kill(pid_, sig); }

  struct exit_info {
    bool exited = false;      // within the deadline
    int code = -1;            // exit status, if it exited normally
    int signal = 0;           // terminating signal, if any
    steady::duration took{};  // from the call to the exit
  };
  // SIGTERM (unless already sent), then waits up to `deadline` for the exit.
  // Past it, SIGKILL: exited stays false.
  exit_info terminate(steady::duration deadline, bool send_sigterm = true) {
    exit_info info;
    const auto start = steady::now();
    if (send_sigterm) signal(SIGTERM);
    while (steady::now() - start < deadline) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        info.exited = true;
        info.took = steady::now() - start;
        if (WIFEXITED(st)) info.code = WEXITSTATUS(st);
        if (WIFSIGNALED(st)) info.signal = WTERMSIG(st);
        return info;
      }
      std::this_thread::sleep_for(5ms);
    }
    info.took = steady::now() - start;
    return info;  // the destructor kills it
  }

 private:
  // "ringlane: listening on http://127.0.0.1:PORT/ (2 workers)"
  std::uint16_t read_port(steady::duration deadline) {
    std::string text;
    const auto end = steady::now() + deadline;
    for (;;) {
      const auto at = text.find("listening on http://");
      if (at != std::string::npos) {
        const auto slash = text.find('/', at + std::strlen("listening on http://"));
        if (slash != std::string::npos) {
          const auto colon = text.rfind(':', slash);
          return static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1, slash - colon - 1)));
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - steady::now()).count();
      if (left <= 0) throw std::runtime_error("demo did not report its address in time; stdout: " + text);
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("demo exited before listening; stdout: " + text);
      text.append(buf, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
};

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // decoded
  bool chunked = false;
  std::vector<std::string> chunks;  // when chunked: each chunk's data, in order
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One keep-alive connection. Throws std::runtime_error on a timeout, an early
// close or bad framing (gtest reports it as a failure of the test).
class http_client {
 public:
  explicit http_client(std::uint16_t port, std::chrono::seconds timeout = 20s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
    }
  }
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  ~http_client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_request(std::string_view method, std::string_view target, std::string_view body = {}) {
    std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    send_all(req);
  }

  http_response request(std::string_view method, std::string_view target, std::string_view body = {}) {
    send_request(method, target, body);
    return read_response();
  }
  http_response get(std::string_view target) { return request("GET", target); }

  // The status line and header fields only; the body stays unread.
  http_response read_head() {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) need_more("response head");
    http_response r;
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0 || status_line.size() < 12)
      throw std::runtime_error("bad status line: " + status_line);
    r.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      line_end = next;
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) throw std::runtime_error("bad header line: " + line);
      std::size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers[lower(line.substr(0, colon))] = line.substr(v);
    }
    r.chunked = lower(r.header("transfer-encoding")) == "chunked";
    return r;
  }

  // The next chunk's data; nullopt after the last (zero-size) chunk and the
  // empty trailer section.
  std::optional<std::string> read_chunk() {
    std::size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) need_more("chunk size line");
    const std::string size_line = buf_.substr(0, eol);
    std::size_t size = 0, i = 0;
    for (; i < size_line.size() && std::isxdigit(static_cast<unsigned char>(size_line[i])); ++i)
      size = size * 16 + static_cast<std::size_t>(std::stoi(size_line.substr(i, 1), nullptr, 16));
    if (i == 0 || (i < size_line.size() && size_line[i] != ';'))
      throw std::runtime_error("bad chunk size line: '" + size_line + "'");
    buf_.erase(0, eol + 2);
    if (size == 0) {
      while (buf_.size() < 2) need_more("end of chunked body");
      if (buf_.compare(0, 2, "\r\n") != 0) throw std::runtime_error("trailer fields after the last chunk");
      buf_.erase(0, 2);
      return std::nullopt;
    }
    while (buf_.size() < size + 2) need_more("chunk data");
    if (buf_.compare(size, 2, "\r\n") != 0) throw std::runtime_error("chunk data not followed by CRLF");
    std::string data = buf_.substr(0, size);
    buf_.erase(0, size + 2);
    return data;
  }

  http_response read_response() {
    http_response r = read_head();
    if (r.status == 204 || r.status == 304) return r;  // never a body (RFC 9112 6.3)
    if (r.chunked) {
      while (std::optional<std::string> c = read_chunk()) {
        r.body += *c;
        r.chunks.push_back(std::move(*c));
      }
    } else if (const std::string cl = r.header("content-length"); !cl.empty()) {
      const std::size_t n = std::stoul(cl);
      while (buf_.size() < n) need_more("body");
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
    } else {
      for (;;) {  // until the server closes
        char tmp[16384];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n < 0) throw std::runtime_error("timed out reading a close-delimited body");
        if (n == 0) break;
        buf_.append(tmp, static_cast<std::size_t>(n));
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    return r;
  }

  // Exactly n bytes of what follows (WebSocket frames after a 101).
  std::string read_exactly(std::size_t n) {
    while (buf_.size() < n) need_more("bytes");
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  // True if the server closed the connection (reads EOF) within `wait`.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
  }

  // Raw bytes (pipelined batches, byte-by-byte requests).
  void send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

 private:
  void need_more(const char* what) {
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) throw std::runtime_error(std::string("connection closed while reading ") + what);
    if (n < 0) throw std::runtime_error(std::string("timed out/failed reading ") + what + ": " + std::strerror(errno));
    buf_.append(tmp, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string buf_;
};

}  // namespace demo_test
