// websocket.cpp -- receive(): frames out of the byte stream, one at a time,
// with the rules between frames (RFC 6455 5.4, 5.5, 7); send: one frame
// per message into the stream's out buffer.
#include "http/ws/websocket.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "engine/net/stream.hpp"
#include "http/ws/utf8.hpp"

namespace ringlane::http::ws {
namespace {

// What a waiting session keeps of each buffer's capacity (see fill()).
constexpr std::size_t idle_keep = 16 * 1024;

// A close frame's payload: the code, big-endian, then as much of the reason
// as fits in 125 bytes, cut at a UTF-8 character boundary.
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::size_t n = std::min<std::size_t>(reason.size(), 123);
  while (n < reason.size() && n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  std::string p;
  p.reserve(2 + n);
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, n));
  return p;
}

}  // namespace

websocket::websocket(engine::stream& s, const settings& cfg, std::string read_ahead, connection_watch watch)
    : s_(&s), cfg_(cfg), watch_(watch), in_(std::move(read_ahead)), held_(cfg.budget) {}

std::size_t websocket::retained_bytes() const noexcept {
  return in_.capacity() + msg_.capacity() + s_->retained_bytes();
}

task<std::optional<message>> websocket::receive() {
  held_.release();  // the last message is the handler's now
  while (!closed_) {
    frame_header h;
    std::uint16_t code = 0;
    const header_status hs = parse_client_header(std::string_view(in_).substr(pos_), h, code);
    if (hs == header_status::error) {
      co_await fail(code);
      break;
    }
    // A data frame that would take the message past the limit is refused
    // from its header, before its payload is buffered.
    if (hs == header_status::ok && !is_control(h.op) && h.length > cfg_.max_message - msg_.size()) {
      co_await fail(close_code::too_big);
      break;
    }
    // The message so far and this frame's payload come out of the server's
    // budget (shared with request bodies) as the payload arrives: a header
    // announcing a large frame reserves nothing by itself, so 14 bytes
    // cannot hold a megabyte of everyone's budget.
    if (hs == header_status::ok && !is_control(h.op)) {
      const std::uint64_t buffered = std::min<std::uint64_t>(h.length, in_.size() - pos_ - h.size);
      if (!held_.grow_to(msg_.size() + buffered)) {
        co_await fail(close_code::try_again_later);
        break;
      }
    }
    if (hs == header_status::ok && in_.size() - pos_ - h.size >= h.length) {
      char* payload = in_.data() + pos_ + h.size;
      unmask(payload, static_cast<std::size_t>(h.length), h.mask);
      const step st = co_await on_frame(h, payload);
      consume(h.size + static_cast<std::size_t>(h.length));
      if (st == step::message) {
        std::optional<message> m(std::in_place, message{msg_type_, std::move(msg_)});
        msg_.clear();
        co_return m;
      }
      if (st == step::done) break;
      continue;
    }
    const bool got = co_await fill();
    if (!got) break;
  }
  co_return std::nullopt;
}

task<websocket::step> websocket::on_frame(const frame_header& h, char* payload) {
  const std::string_view data(payload, static_cast<std::size_t>(h.length));
  switch (h.op) {
    case opcode::ping: {
      if (close_sent_) co_return step::more;  // closing: no pongs any more
      const bool ok = co_await send_frame(opcode::pong, data);
      co_return ok ? step::more : step::done;
    }
    case opcode::pong:
      co_return step::more;
    case opcode::close:
      co_return co_await on_close(data);
    case opcode::text:
    case opcode::binary:
      if (in_message_) co_return co_await failed(close_code::protocol_error);  // inside a fragmented one
      msg_type_ = h.op;
      msg_.assign(data);
      utf8_checked_ = 0;
      break;
    case opcode::continuation:
      if (!in_message_) co_return co_await failed(close_code::protocol_error);  // nothing to continue
      msg_.append(data);
      break;
  }
  in_message_ = !h.fin;
  if (close_sent_) {  // closing: data is dropped
    if (h.fin) msg_.clear();
    co_return step::more;
  }
  // Text is checked as its fragments arrive, so a bad one fails at once
  // (RFC 6455 8.1) rather than after the rest of the message; a code point
  // may straddle fragments, but not the end of the message.
  if (msg_type_ == opcode::text) {
    const utf8_scan r = scan_utf8(std::string_view(msg_).substr(utf8_checked_));
    utf8_checked_ += r.valid;
    if (utf8_checked_ != msg_.size() && (h.fin || !r.truncated))
      co_return co_await failed(close_code::invalid_payload);
  }
  co_return h.fin ? step::message : step::more;
}

// The peer's close: no payload, or a valid code and a UTF-8 reason (5.5.1,
// 7.4). Answered with the same code unless we closed first.
task<websocket::step> websocket::on_close(std::string_view data) {
  std::uint16_t code = close_code::no_status;
  if (data.size() == 1) co_return co_await failed(close_code::protocol_error);
  if (data.size() >= 2) {
    code = static_cast<std::uint16_t>(static_cast<unsigned char>(data[0]) << 8 | static_cast<unsigned char>(data[1]));
    if (!valid_close_code(code)) co_return co_await failed(close_code::protocol_error);
    if (!valid_utf8(data.substr(2))) co_return co_await failed(close_code::invalid_payload);
  }
  if (!close_sent_) {
    close_code_ = code;
    co_await send_frame(opcode::close, data.substr(0, 2));
  }
  closed_ = true;
  co_return step::done;
}

task<websocket::step> websocket::failed(std::uint16_t code) {
  co_await fail(code);
  co_return step::done;
}

task<bool> websocket::fill() {
  if (pos_ > 0) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  const bool draining = watch_.draining != nullptr && watch_.draining->load(std::memory_order_relaxed);
  if (draining && !close_sent_) {
    co_await fail(close_code::going_away);
    co_return false;
  }
  // About to wait: buffers a large frame or message grew past idle_keep go
  // back, as an idle HTTP connection's do (http/README.md section 2).
  if (in_.capacity() > idle_keep && in_.size() <= idle_keep) in_.shrink_to_fit();
  s_->release_memory(idle_keep);
  s_->set_timeout(close_sent_ ? cfg_.close_wait : cfg_.idle);
  if (watch_.idle != nullptr) *watch_.idle = true;  // a drain may wake this read (-ETIMEDOUT)
  engine::pooled chunk = co_await s_->read();
  if (watch_.idle != nullptr) *watch_.idle = false;
  if (chunk.res > 0) {
    in_.append(chunk.buffer.view());
    co_return true;
  }
  // Idle too long, or woken by a drain: both are "going away" (7.4.1).
  if (chunk.res == -ETIMEDOUT && !close_sent_) co_await fail(close_code::going_away);
  closed_ = true;
  co_return false;
}

task<bool> websocket::send(opcode type, std::string_view data) {
  if (closed_ || is_control(type)) co_return false;
  co_return co_await send_frame(type, data);
}

task<bool> websocket::ping(std::string_view payload) {
  if (closed_ || payload.size() > 125) co_return false;
  co_return co_await send_frame(opcode::ping, payload);
}

task<void> websocket::close(std::uint16_t code, std::string_view reason) {
  if (closed_ || close_sent_) co_return;
  const std::string payload = close_payload(code, reason);
  close_code_ = code;
  const bool sent = co_await send_frame(opcode::close, payload);
  if (!sent) {
    closed_ = true;
    co_return;
  }
  // The peer answers with its close; data still in flight is dropped.
  while (!closed_) {
    std::optional<message> m = co_await receive();
    if (!m) break;
  }
}

task<bool> websocket::send_frame(opcode op, std::string_view payload) {
  if (close_sent_) co_return false;
  if (op == opcode::close) close_sent_ = true;
  write_frame(s_->queue_buffer(), op, payload);
  const std::int32_t e = co_await s_->flush(cfg_.write);
  if (e < 0) {
    closed_ = true;
    co_return false;
  }
  co_return true;
}

task<void> websocket::fail(std::uint16_t code) {
  if (!close_sent_) {
    close_code_ = code;
    const std::string payload = close_payload(code);
    co_await send_frame(opcode::close, payload);
  }
  closed_ = true;
}

void websocket::consume(std::size_t n) noexcept {
  pos_ += n;
  if (pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
}

}  // namespace ringlane::http::ws
