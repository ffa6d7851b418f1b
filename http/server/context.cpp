#include "http/server/context.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "engine/net/stream.hpp"
#include "http/proto/cookies.hpp"
#include "http/proto/query.hpp"
#include "http/response/serialize.hpp"
#include "http/server/options.hpp"
#include "http/ws/handshake.hpp"

namespace ringlane::http {

peer_address::peer_address(const sockaddr_storage& s) noexcept : v6{} {
  if (s.ss_family == AF_INET) std::memcpy(&v4, &s, sizeof v4);
  if (s.ss_family == AF_INET6) std::memcpy(&v6, &s, sizeof v6);
}

context::context(engine::stream& s, const options& opts, peer_address& peer, detail::body_budget* budget) noexcept
    : stream_(&s), opts_(&opts), peer_(&peer), budget_(budget) {}

void context::begin(const request_head& head, std::string& body) noexcept {
  head_ = &head;
  body_ = &body;
  params_.clear();
  response_.clear();
  data_.clear();
  sent_ = sent::nothing;
  body_left_ = 0;
  close_after_ = false;
  abandoned_ = false;
}

void context::release_memory(std::size_t keep) noexcept {
  response_.release_memory(keep);
  data_.clear();
  if (data_.capacity() * sizeof(data_[0]) > keep) data_.shrink_to_fit();
}

std::size_t context::retained_bytes() const noexcept {
  return response_.retained_bytes() + data_.capacity() * sizeof(data_[0]);
}

write_options context::wire_options() const noexcept {
  return {.keep_alive = keep_alive(), .head_request = head_->method == "HEAD", .server = opts_->server_name,
          .version_minor = head_->version_minor};
}

bool context::keep_alive() const noexcept {
  return head_->keep_alive && !close_after_ && !draining_ && !gone_ && sent_ != sent::raw &&
         !(sent_ == sent::sized && body_left_ != 0);
}

std::optional<std::string> context::query(std::string_view name) const { return query_value(head_->query, name); }

std::optional<std::string_view> context::cookie(std::string_view name) const noexcept {
  return cookie_value(head_->header("cookie"), name);
}

std::string context::client_address() const {
  char ip[INET6_ADDRSTRLEN] = {};
  if (peer_->any.sa_family == AF_UNSPEC) {
    // Multishot accept does not report the peer: ask the socket once.
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(stream_->fd(), reinterpret_cast<sockaddr*>(&a), &len) == 0) *peer_ = peer_address(a);
  }
  // Built by appends: GCC 12 warns falsely (-Wrestrict) on chained operator+.
  std::string out;
  std::uint16_t port;
  if (peer_->any.sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &peer_->v6.sin6_addr, ip, sizeof ip);
    out.append("[").append(ip).append("]");
    port = ntohs(peer_->v6.sin6_port);
  } else {
    ::inet_ntop(AF_INET, &peer_->v4.sin_addr, ip, sizeof ip);
    out.append(ip);
    port = ntohs(peer_->v4.sin_port);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

void context::set_data(std::string key, std::any value) {
  for (auto& [k, v] : data_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  data_.emplace_back(std::move(key), std::move(value));
}

std::any* context::data(std::string_view key) noexcept {
  for (auto& [k, v] : data_) {
    if (k == key) return &v;
  }
  return nullptr;
}

// Hands what is queued to the kernel, bounded by the write timeout.
task<bool> context::flush_now() {
  if (gone_) co_return false;
  const std::int32_t e = co_await stream_->flush(opts_->timeouts.write);
  if (e < 0) gone_ = true;
  co_return !gone_;
}

task<bool> context::send() {
  if (sent_ != sent::nothing) co_return false;
  sent_ = sent::whole;
  const write_options w = wire_options();
  write_response(stream_->queue_buffer(), response_, w);
  co_return co_await flush_now();
}

task<bool> context::start_stream(int status, std::string_view content_type) {
  if (sent_ != sent::nothing) co_return false;
  response_.status(status);
  if (!content_type.empty()) response_.content_type(content_type);
  // HTTP/1.0 has no chunked coding: the body runs until we close.
  if (head_->version_minor == 0) close_after_ = true;
  sent_ = sent::chunked;
  const write_options w = wire_options();
  write_stream_head(stream_->queue_buffer(), response_, w);
  co_return co_await flush_now();
}

task<bool> context::send_chunk(std::string_view data) {
  // HEAD wants no body: false tells the handler to stop producing it, as
  // a gone client does (a loop "while send_chunk()" would otherwise spin).
  if (sent_ != sent::chunked || gone_ || head_->method == "HEAD") co_return false;
  if (data.empty()) co_return true;
  if (head_->version_minor == 0) {
    stream_->queue_buffer().append(data);
  } else {
    write_chunk(stream_->queue_buffer(), data);
  }
  co_return co_await flush_now();
}

task<bool> context::start_body(std::uint64_t length) {
  if (sent_ != sent::nothing) co_return false;
  sent_ = sent::sized;
  const write_options w = wire_options();
  write_sized_head(stream_->queue_buffer(), response_, w, length);
  const int st = response_.status();
  const bool head_only = head_->method == "HEAD" || st < 200 || st == 204 || st == 304;
  body_left_ = head_only ? 0 : length;  // from here on, a short body closes the connection
  // Not flushed: the head leaves with the first piece of the body (one
  // segment for a small file, not two), or when the handler returns.
  co_return !gone_;
}

task<bool> context::send_body(std::string_view data) {
  if (sent_ != sent::sized || gone_ || data.size() > body_left_) co_return false;
  if (data.empty()) co_return true;
  body_left_ -= data.size();
  stream_->queue_buffer().append(data);
  co_return co_await flush_now();
}

task<bool> context::start_sse() {
  response_.header("Cache-Control", "no-cache");
  co_return co_await start_stream(200, "text/event-stream");
}

task<bool> context::send_event(std::string_view data, std::string_view event, std::string_view id) {
  if (server_draining()) co_return false;  // end the event stream at an event boundary
  // One event per chunk (WHATWG HTML, "Server-sent events"): field lines,
  // then an empty line. CR and LF inside a field would end it early.
  std::string frame;
  frame.reserve(data.size() + event.size() + id.size() + 32);
  auto field = [&frame](std::string_view name, std::string_view value) {
    frame.append(name).append(": ");
    for (char ch : value) frame += (ch == '\r' || ch == '\n') ? ' ' : ch;
    frame += '\n';
  };
  if (!event.empty()) field("event", event);
  if (!id.empty()) field("id", id);
  for (;;) {
    const std::size_t nl = data.find('\n');
    field("data", data.substr(0, nl));
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  frame += '\n';
  co_return co_await send_chunk(frame);
}

task<bool> context::send_raw(std::string_view bytes) {
  if (sent_ != sent::nothing && sent_ != sent::raw) co_return false;
  sent_ = sent::raw;
  stream_->queue_buffer().append(bytes);
  co_return co_await flush_now();
}

task<std::optional<ws::websocket>> context::accept_websocket(std::string_view protocol) {
  if (sent_ != sent::nothing) co_return std::nullopt;
  const ws::handshake hs = ws::check_handshake(*head_, protocol);
  if (hs.status != 0) {
    response_.status(hs.status).content_type("text/plain").body(hs.reason);
    // 426 names what to upgrade to (RFC 9110 15.5.22, RFC 6455 4.4); a
    // sender of Upgrade lists it in Connection too (RFC 9110 7.8).
    if (hs.status == 426)
      response_.header("Upgrade", "websocket").header("Connection", "upgrade").header("Sec-WebSocket-Version", "13");
    co_return std::nullopt;
  }
  sent_ = sent::raw;  // from here on the bytes are frames: no more HTTP
  ws::write_switching_protocols(stream_->queue_buffer(), hs);
  const bool ok = co_await flush_now();
  if (!ok) co_return std::nullopt;
  ws::settings cfg;
  cfg.max_message = opts_->limits.max_body;
  cfg.budget = budget_;
  cfg.idle = opts_->timeouts.idle;
  cfg.write = opts_->timeouts.write;
  std::string ahead;
  if (read_ahead_ != nullptr) {
    ahead.assign(*read_ahead_);
    *read_ahead_ = {};
  }
  co_return ws::websocket(*stream_, cfg, std::move(ahead), watch_);
}

}  // namespace ringlane::http
