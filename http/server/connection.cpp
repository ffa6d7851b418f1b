// connection.cpp -- one connection's loop: bytes in, one request at a time
// through the parser, the handler, responses out.
//
//   read ──> chunk (pool buffer) ──> parser.feed ──> complete? ──> dispatch ──> response
//    ^                                  │ need_more                  (handler)   appended to
//    │                                  v                                        the stream's
//    └──────── flush (one send for every response this chunk produced) <──────── out buffer
//
// Pipelining: one chunk may hold many requests. Each is answered in turn and
// the responses pile up in the stream's out buffer; they leave in one send
// when the chunk is used up. Bytes of later requests are never dropped:
// while a handler runs they are moved out of the pool buffer into `carry`
// (so a slow handler does not pin receive memory), and parsed next.
//
// Timers: the stream's one timer is re-armed for what we wait on -- the
// header timeout while a request head is incomplete (and for the first
// one), the body timeout while its body arrives, the idle timeout between
// requests, the write timeout while a send must complete.
#include "http/server/connection.hpp"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <exception>

#include "engine/net/stream.hpp"
#include "http/proto/parser.hpp"
#include "http/response/serialize.hpp"
#include "http/server/context.hpp"
#include "http/server/dispatch.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane::http::detail {
namespace {

using namespace std::chrono_literals;

// What an idle keep-alive connection may keep in its buffers (request head,
// body, response, send buffers): when their capacities add up to more as it
// goes idle, each one above idle_keep_each is freed -- so 10,000 connections
// that each once sent a 1 MiB body do not hold 20 GiB between requests, and
// after a release the total is below idle_keep again (no repeated passes).
// Typical requests stay far below it and never reallocate.
constexpr std::size_t idle_keep = 16 * 1024;
constexpr std::size_t idle_keep_each = 1024;

// Applies idle_keep as a connection goes idle. Request buffers grow only
// with bytes read, response buffers end up in the send buffers, so the
// usual idle costs two comparisons: a full look comes only after more than
// idle_keep bytes were read since the last one, or with large send buffers.
class idle_release {
 public:
  void operator()(request_parser& p, context& ctx, engine::stream& s, std::string& carry, worker_slot& slot) noexcept {
    const std::uint64_t read = s.stats().bytes_in;
    if (read - read_at_ <= idle_keep && s.retained_bytes() <= idle_keep) return;
    read_at_ = read;
    if (p.retained_bytes() + ctx.retained_bytes() + s.retained_bytes() + carry.capacity() <= idle_keep) return;
    p.release_memory(idle_keep_each);
    ctx.release_memory(idle_keep_each);
    s.release_memory(idle_keep_each);
    if (carry.capacity() > idle_keep_each) carry.shrink_to_fit();  // empty here: frees
    slot.idle_releases.add();
  }

 private:
  std::uint64_t read_at_ = 0;  // bytes read when the last full look was taken
};

void tune_socket(int fd, const options& o) noexcept {
  if (o.nodelay) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (o.linger >= 0) {
    const ::linger l{1, o.linger};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
}

// Registers the connection in its worker's slot for as long as it lives.
struct slot_membership {
  worker_slot& slot;
  conn_link& link;
  slot_membership(worker_slot& s, conn_link& l) noexcept : slot(s), link(l) { slot.add(link); }
  ~slot_membership() { slot.remove(link); }
};

// After a response that ends the connection: send it all, then stop
// sending and read (and discard) what the client still sends for a short
// while, so that closing does not reset the connection under the response
// (nginx's lingering close).
task<void> close_gracefully(engine::stream& s, const options& o) {
  s.set_timeout(o.timeouts.write);
  if (const std::int32_t e = co_await s.drain(); e < 0) co_return;
  s.shutdown_write();
  s.set_timeout(2s);
  std::size_t discarded = 0;
  while (discarded < (1u << 20)) {
    engine::pooled c = co_await s.read();
    if (c.res <= 0) break;
    discarded += static_cast<std::size_t>(c.res);
  }
}

// Before a connection ends without a lingering close: responses already
// queued, or still in the kernel's hands, are sent in full (bounded by the
// write timeout). Destroying the stream instead would cancel them.
task<void> send_what_is_owed(engine::stream& s, const options& o) {
  s.set_timeout(o.timeouts.write);
  co_await s.drain();
}

// RFC 9110 10.1.1: an HTTP/1.1 client that sent "Expect: 100-continue"
// waits for the 100 before sending the body (1.0 clients are not asked).
bool waits_for_continue(const request_head& h) noexcept { return h.expect_continue && h.version_minor >= 1; }

// A body that does not fit in the server's body budget: queues a 503 with
// Retry-After; the connection then closes (the body was not read). Cold and
// through write_error, so the loop's hot calls (write_response among them)
// keep their single call sites and stay inlined.
[[gnu::cold, gnu::noinline]] void refuse_body(engine::stream& s, worker_slot& slot) {
  slot.body_refusals.add();
  std::string& out = s.queue_buffer();
  const std::size_t at = out.size();
  write_error(out, 503);
  out.insert(out.find("\r\n", at) + 2, "Retry-After: 1\r\n");  // after the status line
}

}  // namespace

task<void> serve_connection(int fd, peer_address peer, core& c, worker_slot& slot) {
  const options& o = c.opts;
  tune_socket(fd, o);
  engine::stream s(fd);
  s.set_read_backlog(o.read_backlog);
  conn_link link;
  link.stream = &s;
  slot_membership member(slot, link);

  request_parser parser(o.limits);
  body_budget::hold body_held(&c.bodies);  // what this message's body takes of c.bodies
  context ctx(s, o, peer, &c.bodies);
  engine::pooled chunk{0, {}};  // the pool buffer `in` points into, if any
  std::string carry;          // unparsed bytes moved out of a pool buffer
  std::string_view in;        // bytes not yet parsed
  idle_release release;       // frees what grew large, as the connection idles
  ctx.bind_connection(in, {&link.idle, &c.draining});
  std::uint32_t served = 0;
  bool head_done = false;     // the current message's head was parsed
  // The header timeout bounds a whole head, not each read of it (as nginx's
  // client_header_timeout does): a client dripping a byte now and then is
  // cut off too. Set when a head turns out to need a second read; the
  // first request's runs from the accept.
  std::uint64_t head_deadline = 0;
  bool head_timed = false;

  for (;;) {
    if (in.empty()) {
      chunk.buffer.reset();
      carry.clear();
      // Everything this input produced leaves in one send.
      if (s.queued() > 0) {
        const std::int32_t e = co_await s.flush(o.timeouts.write);
        if (e < 0) co_return;
      }
      const bool between = !parser.in_message();
      if (between && c.draining.load(std::memory_order_relaxed)) break;
      if (between) {
        release(parser, ctx, s, carry, slot);
        s.set_timeout(served == 0 ? o.timeouts.header : o.timeouts.idle);
        if (served == 0) head_deadline = s.deadline();
        head_timed = served == 0;
      } else if (head_done) {
        s.set_timeout(o.timeouts.body);  // per read, as nginx's client_body_timeout
      } else {
        if (!head_timed) {  // this head began in the last read
          s.set_timeout(o.timeouts.header);
          head_deadline = s.deadline();
          head_timed = true;
        }
        s.set_deadline(head_deadline);
      }
      link.idle = between;
      if (between) link.idle_since = ++slot.idle_clock;
      chunk = co_await s.read();
      link.idle = false;
      if (chunk.res == -ETIMEDOUT) {
        // A request that started but stalled gets a 408; an idle one is just closed.
        if (!between && !c.draining.load(std::memory_order_relaxed)) {
          write_error(s.queue_buffer(), 408);
          co_await close_gracefully(s, o);
        }
        co_return;
      }
      if (chunk.res == 0) {
        // EOF: the client may only have half-closed (shutdown(SHUT_WR)) and
        // still be reading, so what it is owed goes out before we close
        // (RFC 9112 9.6). Nothing more will come in to answer.
        co_await send_what_is_owed(s, o);
        co_return;
      }
      if (chunk.res < 0) co_return;  // reset: nobody left to send to
      in = chunk.buffer.view();
    }

    std::size_t used = 0;
    parse_event ev = parser.feed(in, used);
    in.remove_prefix(used);
    // The body budget is held as a body arrives, up to the read that
    // completes it -- not for what a head announces, or 70 bytes saying
    // "Content-Length: 1048576" and a stall would hold a megabyte of
    // everyone's budget. A client that waits for 100 Continue is the
    // exception: its whole body is held at the head, so a refusal comes
    // instead of the 100. A refusal is answered like a parse error: one
    // response, then close.
    switch (ev) {
      case parse_event::need_more:
        continue;
      case parse_event::body:
        if (body_held.grow_to(parser.body().size())) continue;
        refuse_body(s, slot);
        ev = parse_event::error;
        break;
      case parse_event::head:
        head_done = true;
        if (waits_for_continue(parser.head()) && !body_held.grow_to(parser.head().content_length.value_or(0))) {
          refuse_body(s, slot);
          ev = parse_event::error;
          break;
        }
        if (waits_for_continue(parser.head())) {
          // RFC 9110 10.1.1: the client waits for a 100 before sending the
          // body -- unless nothing would take it (no route, no middleware):
          // then the 404/405 goes at once, the body is never asked for, and
          // the connection closes (its framing needs the body not sent).
          ctx.begin(parser.head(), parser.body());
          if (const routed r = route_request(ctx, c); !r.route && c.global.empty()) {
            slot.requests.add();
            ctx.close_after();
            co_await dispatch(ctx, c, r);
            finish_response(ctx, c);
            co_await close_gracefully(s, o);
            co_return;
          }
          s.queue_buffer().append("HTTP/1.1 100 Continue\r\n\r\n");
          if (const std::int32_t e = co_await s.flush(o.timeouts.write); e < 0) co_return;
        }
        continue;
      case parse_event::error:
        write_error(s.queue_buffer(), parser.error_status(), false, parser.error_for_head());
        break;
      case parse_event::complete:
        if (!body_held.grow_to(parser.body().size())) {
          refuse_body(s, slot);
          ev = parse_event::error;
        }
        break;
    }
    if (ev == parse_event::error) {
      body_held.release();  // not for the seconds a lingering close may take
      co_await close_gracefully(s, o);
      co_return;
    }

    // One whole request. Keep the read-ahead out of the pool while the
    // handler runs (it may take long; the bytes are small and rare).
    head_done = head_timed = false;
    if (!in.empty() && chunk.buffer) {
      carry.assign(in);
      in = carry;
      chunk.buffer.reset();
    } else if (in.empty()) {
      chunk.buffer.reset();
    }
    ++served;
    slot.requests.add();
    ctx.begin(parser.head(), parser.body());
    const bool last = o.keepalive_requests != 0 && served >= o.keepalive_requests;
    if (last) ctx.close_after();
    ctx.set_draining(c.draining.load(std::memory_order_relaxed));
    const routed r = route_request(ctx, c);
    if (r.unwrapped && r.route->handler.is_plain()) {
      try {
        r.route->handler.call_plain(ctx);  // never waits: no coroutine at all
      } catch (...) {
        handler_failed(ctx, std::current_exception());
      }
    } else if (r.unwrapped) {
      std::exception_ptr err;
      try {
        co_await r.route->handler(ctx);
      } catch (...) {
        err = std::current_exception();
      }
      if (err) handler_failed(ctx, err);
    } else {
      co_await dispatch(ctx, c, r);
    }
    finish_response(ctx, c);
    const bool keep = ctx.keep_alive();
    parser.next();
    body_held.release();
    if (!keep) {
      co_await close_gracefully(s, o);
      co_return;
    }
    // Many pipelined responses waiting: send them before parsing more.
    if (s.queued() >= engine::stream::high_water / 4) {
      if (const std::int32_t e = co_await s.flush(o.timeouts.write); e < 0) co_return;
    }
  }
  // Drained between requests: the last responses may still be leaving.
  co_await send_what_is_owed(s, o);
}

}  // namespace ringlane::http::detail
