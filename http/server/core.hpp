// core.hpp -- what every connection of one server shares (internal).
//
//   server ──owns──> core: options, router + routes, global middleware,
//                          draining flag, the body budget, one slot per worker
//   slot (per worker, touched only by that worker): the live connections,
//        so that a drain can find the idle ones and close them, and so
//        can reclaim_idle() when the worker runs out of room.
#pragma once

#include <atomic>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "http/router/router.hpp"
#include "http/server/body_budget.hpp"
#include "http/server/handler.hpp"
#include "http/server/options.hpp"
#include "runtime/sched/stats.hpp"

namespace ringlane::engine {
class stream;
}

namespace ringlane::http::detail {

struct route_entry {
  http::handler handler;
  middleware_list middleware;
};

// A connection as its worker's slot sees it (lives in the connection's frame).
struct conn_link {
  conn_link* prev = this;
  conn_link* next = this;
  engine::stream* stream = nullptr;
  bool idle = true;  // waiting between requests: a drain may close it now
  std::uint64_t idle_since = 0;  // worker_slot::idle_clock when it last became idle
};

// Written by its worker only; the counters are read by server::stats()
// from any thread.
struct worker_slot {
  using counter = ringlane::detail::single_writer_counter<std::uint64_t>;
  conn_link live;                // sentinel of the list of live connections
  counter open;                  // connections in `live`
  counter accepted, rejected, reclaimed, requests, idle_releases, body_refusals;  // see server_stats
  std::uint64_t idle_clock = 0;  // ticks once per connection going idle: orders them
  std::size_t admit_credit = 0;  // reclaimed, not yet closed: new ones admitted over the limit

  std::size_t count() const noexcept { return open.get(); }
  void add(conn_link& c) noexcept {
    c.next = &live;
    c.prev = live.prev;
    live.prev->next = &c;
    live.prev = &c;
    open.add();
  }
  void remove(conn_link& c) noexcept {
    c.prev->next = c.next;
    c.next->prev = c.prev;
    c.prev = c.next = &c;
    open.sub();
  }
};

// When a worker is full (max_connections, or out of descriptors): close
// the connections that have been idle longest -- an eighth of the idle
// ones, `at_least` to 32, as nginx's ngx_drain_connections -- and return
// how many. Out of descriptors, at_least is 2: the connection let in will
// want another descriptor (a file) to serve its request.
// They close within a wheel tick; a request that arrives meanwhile is still
// served. Waiting between requests is all a client loses: a server may
// close an idle connection at any time (RFC 9112 9.5).
std::size_t reclaim_idle(worker_slot& slot, std::size_t at_least = 1);

struct core {
  explicit core(options o) : opts(std::move(o)), bodies(opts.max_body_memory) {}

  const options opts;
  router routes;
  std::vector<route_entry> entries;  // router ids index this
  middleware_list global;
  std::set<std::string> methods{"OPTIONS"};  // every method with a route
  std::string all_methods = "OPTIONS";       // the same, as an Allow value (OPTIONS *)
  std::atomic<bool> draining{false};
  body_budget bodies;                // request bodies buffered over all connections
  std::vector<worker_slot> slots;    // one per worker
  std::size_t max_per_worker = 0;
};

}  // namespace ringlane::http::detail
