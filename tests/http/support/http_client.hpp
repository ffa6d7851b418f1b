// http_client.hpp -- a small blocking HTTP/1.1 client for integration tests:
// raw sockets with 10 s timeouts, so no test can hang. It reads responses
// exactly (Content-Length, chunked, or until close) and keeps read-ahead,
// so pipelined responses can be read one by one.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/engine/support.hpp"

namespace ringlane::testing {

struct http_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool chunked = false;
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
  bool has(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return true;
    }
    return false;
  }
};

class http_conn {
 public:
  explicit http_conn(std::uint16_t port, int timeout_s = 10) : fd_(connect_client(port)) {
    if (fd_ < 0) return;
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~http_conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  http_conn(const http_conn&) = delete;
  http_conn& operator=(const http_conn&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool send(std::string_view data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response; nullopt on EOF/timeout/garbage before a full one.
  // `head_request`: the response has no body whatever its headers say.
  std::optional<http_reply> read_reply(bool head_request = false) {
    http_reply r;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    if (head.size() < 12 || head.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
    r.status = std::atoi(head.c_str() + 9);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      const std::size_t next = head.find("\r\n", pos + 2);
      const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers.emplace_back(std::move(name), line.substr(v));
      }
      pos = next;
    }
    if (head_request || r.status == 204 || r.status == 304 || r.status / 100 == 1) return r;
    if (r.header("transfer-encoding") == "chunked") {
      r.chunked = true;
      for (;;) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) return std::nullopt;
        }
        const std::size_t size = std::strtoul(buf_.c_str(), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < size + 2) {
          if (!fill()) return std::nullopt;
        }
        if (buf_.compare(size, 2, "\r\n") != 0) return std::nullopt;
        r.body.append(buf_, 0, size);
        buf_.erase(0, size + 2);
        if (size == 0) return r;
      }
    }
    if (r.has("content-length")) {
      const std::size_t n = std::strtoul(r.header("content-length").c_str(), nullptr, 10);
      while (buf_.size() < n) {
        if (!fill()) return std::nullopt;
      }
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
      return r;
    }
    while (fill()) {
    }
    r.body = std::move(buf_);
    buf_.clear();
    return r;
  }

  // True when the server closed the connection (EOF) with nothing more sent.
  bool closed_by_peer() {
    if (!buf_.empty()) return false;
    char c;
    for (;;) {
      const ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n < 0 && errno == EINTR) continue;
      return n == 0 || (n < 0 && errno == ECONNRESET);
    }
  }

  // Reads everything until the server closes (into buffered()); false if it
  // did not close within the timeout.
  bool read_to_close() {
    char tmp[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

  std::string& buffered() { return buf_; }

 private:
  bool fill() {
    char tmp[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
  }

  int fd_ = -1;
  std::string buf_;
};

// `request` gets `status`, and the same connection then serves GET / as usual.
inline void expect_status_then_served(http_conn& c, std::string_view request, int status) {
  ASSERT_TRUE(c.send(request));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
}

}  // namespace ringlane::testing
