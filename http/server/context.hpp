// context.hpp -- one request and its response, as a handler sees them.
//
//   task<> user(http::context& ctx) {
//     std::string_view id = ctx.param("id");            // route /users/:id
//     auto page = ctx.query("page");                     // ?page=2 -> "2" (decoded)
//     ctx.response().status(200).content_type("application/json").body(...);
//     co_return;                                         // sent when the handler returns
//   }
//
// The response is sent when the handler returns, unless the handler sent
// it earlier: send() (the whole response now; the handler may go on
// working), start_stream()/send_chunk() (chunked streaming; the last chunk
// is written when the handler returns), or send_raw() (the handler writes
// its own framing; the connection closes afterwards).
//
// hyperlane's Context, method by method:
//   set_response_status_code(c)    ctx.response().status(c)
//   set_response_header(n, v)      ctx.response().header(n, v)
//   set_response_body(b)           ctx.response().body(b)
//   send()                         co_await ctx.send()
//   set_response_body(b).send_body()   co_await ctx.send_chunk(b)   (after start_stream)
//   get_request_body()             ctx.body()
//   get_request_header(n)          ctx.header(n)
//   get_route_param(n)             ctx.param(n)
//   get_request_query(n)           ctx.query(n)
//   get_socket_addr()              ctx.client_address()
//   closed()                       ctx.close_after()
//   (WebSocket routes)             co_await ctx.accept_websocket(), then ws->receive()/send_text()
//
// A context lives as long as its connection and is reused per request; the
// views it hands out are valid until the handler returns.
#pragma once

#include <netinet/in.h>

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/proto/request_head.hpp"
#include "http/response/response.hpp"
#include "http/response/serialize.hpp"
#include "http/router/router.hpp"
#include "http/ws/websocket.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::engine {
class stream;
}

namespace ringlane::http {

struct options;

// A client's address, IPv4 or IPv6, in 28 bytes rather than
// sockaddr_storage's 128: it lives in every connection's frame.
// Default-constructed it is AF_UNSPEC ("ask the socket").
union peer_address {
  sockaddr any;
  sockaddr_in v4;
  sockaddr_in6 v6;

  peer_address() noexcept : v6{} {}
  explicit peer_address(const sockaddr_storage& s) noexcept;
};

class context {
 public:
  // `budget`: the server's memory budget for request bodies, which its
  // WebSocket sessions share (nullptr: untracked).
  context(engine::stream& s, const options& opts, peer_address& peer, detail::body_budget* budget = nullptr) noexcept;
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  // ---- the request ----
  const request_head& request() const noexcept { return *head_; }
  std::string_view method() const noexcept { return head_->method; }
  std::string_view target() const noexcept { return head_->target; }
  std::string_view path() const noexcept { return head_->path; }
  std::string_view query() const noexcept { return head_->query; }     // raw
  std::optional<std::string> query(std::string_view name) const;      // first value, decoded
  std::string_view header(std::string_view name) const noexcept { return head_->header(name); }
  const std::vector<header_field>& headers() const noexcept { return head_->headers; }
  std::optional<std::string_view> cookie(std::string_view name) const noexcept;
  std::string_view body() const noexcept { return *body_; }          // the whole (decoded) body
  const std::string& body_string() const noexcept { return *body_; } // for in-place JSON parsing
  std::string_view param(std::string_view name) const noexcept { return params_.get(name); }
  const route_params& params() const noexcept { return params_; }
  std::string client_address() const;                                  // "127.0.0.1:51234", "[::1]:51234"

  // ---- the response ----
  http::response& response() noexcept { return response_; }
  // Sends the response now (status, headers, body); the handler may go on
  // working, nothing more is sent when it returns. False: the client is gone.
  task<bool> send();
  // Starts a chunked response (HTTP/1.0 clients: raw body, then close).
  // Headers set on response() so far are sent with it.
  task<bool> start_stream(int status = 200, std::string_view content_type = "text/plain");
  // One chunk; false once the client is gone, and always for HEAD (no body
  // goes out): stop producing.
  task<bool> send_chunk(std::string_view data);
  // A body of known length sent in pieces (a file): start_body() queues the
  // head with Content-Length: `length` (it leaves with the first piece),
  // send_body() sends each piece as it is.
  // Pieces beyond `length` are refused (false); a handler that returns
  // before sending all of it leaves the framing unfinished, so the
  // connection closes. HEAD sends the head only.
  task<bool> start_body(std::uint64_t length);
  task<bool> send_body(std::string_view data);
  // Server-Sent Events: start_sse() sends the text/event-stream head
  // (no caching), send_event() one event; a multi-line `data` becomes one
  // `data:` line per line. False once the client is gone, and once the
  // server drains (graceful shutdown): the event stream then ends cleanly,
  // with its last chunk, and the client reconnects elsewhere or later.
  task<bool> start_sse();
  task<bool> send_event(std::string_view data, std::string_view event = {}, std::string_view id = {});
  // Bytes as they are: the handler frames its own response. The connection
  // closes after the handler returns.
  task<bool> send_raw(std::string_view bytes);
  // WebSocket (RFC 6455, ws/websocket.hpp): answers a valid handshake with
  // 101 and returns the session; the connection closes when the handler
  // returns. Otherwise nullopt, with the response set to 426 (not a
  // WebSocket 13 request) or 400 (malformed), sent when the handler returns.
  // `protocol`: the subprotocol to accept if the client offers it. One
  // message is bounded by limits.max_body; a receive() waits at most
  // timeouts.idle.
  task<std::optional<ws::websocket>> accept_websocket(std::string_view protocol = {});
  // Close the connection after this response (sends Connection: close).
  void close_after() noexcept { close_after_ = true; }
  bool client_gone() const noexcept { return gone_; }
  // True once the server began a graceful shutdown (SIGINT/SIGTERM):
  // long-lived handlers (streams, polls) should wrap up.
  bool server_draining() const noexcept {
    return watch_.draining != nullptr && watch_.draining->load(std::memory_order_relaxed);
  }

  // ---- per-request user data (middleware -> handler) ----
  void set_data(std::string key, std::any value);
  std::any* data(std::string_view key) noexcept;
  template <class T>
  T* data_as(std::string_view key) noexcept {
    std::any* a = data(key);
    return a ? std::any_cast<T>(a) : nullptr;
  }

  // ---- for the connection loop (not for handlers) ----
  enum class sent : std::uint8_t { nothing, whole, chunked, sized, raw };
  void begin(const request_head& head, std::string& body) noexcept;
  // Between requests (the handler has returned): the response is cleared,
  // and its buffers and the user-data table free what grew past `keep` bytes.
  void release_memory(std::size_t keep) noexcept;
  std::size_t retained_bytes() const noexcept;
  route_params& params_for_routing() noexcept { return params_; }
  engine::stream& stream() noexcept { return *stream_; }
  sent what_was_sent() const noexcept { return sent_; }
  bool wants_close() const noexcept { return close_after_; }
  void set_draining(bool d) noexcept { draining_ = d; }
  bool keep_alive() const noexcept;
  // How a response head is written for this request (keep-alive, HEAD,
  // Server, the client's minor version).
  write_options wire_options() const noexcept;
  void mark_gone() noexcept { gone_ = true; }
  // The handler failed after its response began (an exception, the handler
  // deadline): the connection closes without ending the response as
  // complete -- no last chunk -- so the client sees it was cut short
  // (RFC 9112 section 8).
  void abandon_response() noexcept {
    abandoned_ = true;
    close_after_ = true;
  }
  bool response_abandoned() const noexcept { return abandoned_; }
  // What a WebSocket session takes over from its connection: the unparsed
  // bytes, and the idle flag and drain state a graceful shutdown acts on.
  void bind_connection(std::string_view& in, ws::connection_watch watch) noexcept {
    read_ahead_ = &in;
    watch_ = watch;
  }

 private:
  task<bool> flush_now();

  engine::stream* stream_;
  const options* opts_;
  peer_address* peer_;  // filled lazily by client_address()
  detail::body_budget* budget_;
  const request_head* head_ = nullptr;
  std::string* body_ = nullptr;
  std::string_view* read_ahead_ = nullptr;
  ws::connection_watch watch_;
  route_params params_;
  http::response response_;
  std::vector<std::pair<std::string, std::any>> data_;
  sent sent_ = sent::nothing;
  std::uint64_t body_left_ = 0;  // sized: bytes start_body() announced and send_body() still owes
  bool close_after_ = false;
  bool abandoned_ = false;
  bool gone_ = false;
  bool draining_ = false;
};

}  // namespace ringlane::http
