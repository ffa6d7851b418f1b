// websocket.hpp -- one accepted WebSocket connection (RFC 6455), as a
// handler sees it after context::accept_websocket():
//
//   task<> echo(http::context& ctx) {
//     auto ws = co_await ctx.accept_websocket();    // 101, or 400/426 sent for us
//     if (!ws) co_return;
//     for (;;) {
//       auto msg = co_await ws->receive();         // whole messages; pings answered
//       if (!msg) break;                           // closed: ws->close_code() says how
//       bool ok = co_await ws->send(msg->type, msg->data);
//       if (!ok) break;
//     }
//   }                                              // returning closes the connection
//
// What receive() does on the way to the next message:
//
//   bytes ──> frame header ──> payload (unmasked in place) ──┬─ ping:  pong sent
//   (stream)   (frame.cpp)                                   ├─ pong:  dropped
//                                                            ├─ close: close echoed, nullopt
//                                                            └─ text/binary/continuation:
//                                                               appended; FIN -> the message
//
// Any violation -- an unmasked frame, RSV bits, a stray continuation, a
// message above the limit (1009) or beyond the server's body budget (1013),
// text that is not UTF-8 (1007) -- sends a
// close frame with its code and ends the session (receive() returns
// nullopt). An idle read timeout, or the server draining, sends 1001.
//
// Owner worker only, like the stream under it: receive and send from the
// handler's task (or another task pinned to the same worker).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/ws/frame.hpp"
#include "http/server/body_budget.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::engine {
class stream;
}

namespace ringlane::http::ws {

struct settings {
  std::size_t max_message = 1024 * 1024;          // bytes of one (reassembled) message; beyond -> 1009
  detail::body_budget* budget = nullptr;          // shared with request bodies (the server's); full -> 1013
  std::chrono::milliseconds idle{75'000};         // a receive() waiting longer -> 1001
  std::chrono::milliseconds write{60'000};        // a send that cannot complete -> the session ends
  std::chrono::milliseconds close_wait{5'000};    // close(): how long to wait for the peer's close
};

// How a session sees its connection's server (set by context): while it
// waits for bytes the connection counts as idle, so a graceful drain wakes
// it at once; once draining, it closes with 1001 instead of waiting.
struct connection_watch {
  bool* idle = nullptr;
  const std::atomic<bool>* draining = nullptr;
};

struct message {
  opcode type;  // text or binary
  std::string data;
};

class websocket {
 public:
  // `read_ahead`: bytes that arrived after the handshake request.
  websocket(engine::stream& s, const settings& cfg, std::string read_ahead, connection_watch watch = {});
  websocket(websocket&&) noexcept = default;
  websocket& operator=(websocket&&) noexcept = default;

  // The next whole message, or nullopt once the session is over.
  task<std::optional<message>> receive();

  // One message in one frame. False once the session is over or the
  // client is gone.
  task<bool> send(opcode type, std::string_view data);
  task<bool> send_text(std::string_view data) { return send(opcode::text, data); }
  task<bool> send_binary(std::string_view data) { return send(opcode::binary, data); }
  task<bool> ping(std::string_view payload = {});  // at most 125 bytes

  // Starts the closing handshake and waits (settings::close_wait) for the
  // peer's close frame, dropping any data that comes first.
  task<void> close(std::uint16_t code = close_code::normal, std::string_view reason = {});

  bool is_open() const noexcept { return !closed_; }
  // How the session ended: the code of the first close frame sent or
  // received, 1005 for a close frame without one, 1006 for none at all.
  std::uint16_t close_code() const noexcept { return close_code_; }
  // Bytes the session's buffers hold (their capacities: received bytes, the
  // message being reassembled, the send buffers), for tests and stats.
  std::size_t retained_bytes() const noexcept;

 private:
  enum class step { message, more, done };
  task<bool> fill();                          // read more bytes into in_; false: timeout or gone
  task<step> on_frame(const frame_header& h, char* payload);
  task<step> on_close(std::string_view payload);
  task<step> failed(std::uint16_t code);      // fail(code), then step::done
  task<bool> send_frame(opcode op, std::string_view payload);
  task<void> fail(std::uint16_t code);        // close frame with `code`, session over
  void consume(std::size_t n) noexcept;

  engine::stream* s_;
  settings cfg_;
  connection_watch watch_;
  std::string in_;                            // received bytes; [pos_, end) not yet used
  std::size_t pos_ = 0;
  std::string msg_;                           // the message being reassembled
  detail::body_budget::hold held_;            // msg_ and the frame payload being read, in cfg_.budget
  opcode msg_type_ = opcode::text;
  bool in_message_ = false;                   // a data frame without FIN was read
  std::size_t utf8_checked_ = 0;              // msg_ bytes known to be whole UTF-8
  bool close_sent_ = false;
  bool closed_ = false;
  std::uint16_t close_code_ = close_code::abnormal;
};

}  // namespace ringlane::http::ws
