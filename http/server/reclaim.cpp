// reclaim.cpp -- making room on a full worker by closing idle connections.
//
// A client that opens connections and leaves them idle holds a descriptor
// and a slot each until the idle timeout (75 s by default). When a worker
// reaches max_connections, or accept() runs out of descriptors, the new
// client should not wait for that: like nginx (ngx_drain_connections), we
// close the connections that have waited longest for their next request.
//
//   live list:  [A idle since 3] [B busy] [C idle since 9] [D idle since 1]
//   reclaim  -> D, then A (oldest first; busy B is never touched)
//
// "Closing" is the drain's mechanism: a zero timeout on the stream wakes
// the connection's read, which sees a timeout between requests and ends
// without a word. A request that raced in is served, not dropped.
#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/net/stream.hpp"
#include "http/server/core.hpp"

namespace ringlane::http::detail {

std::size_t reclaim_idle(worker_slot& slot, std::size_t at_least) {
  std::vector<conn_link*> idle;
  for (conn_link* l = slot.live.next; l != &slot.live; l = l->next) {
    if (l->idle) idle.push_back(l);
  }
  if (idle.empty()) return 0;
  const std::size_t n = std::min(idle.size(), std::clamp<std::size_t>(idle.size() / 8, at_least, 32));
  std::nth_element(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n - 1), idle.end(),
                   [](const conn_link* a, const conn_link* b) { return a->idle_since < b->idle_since; });
  for (std::size_t i = 0; i < n; ++i) {
    idle[i]->idle = false;  // picked: not again, and not by a drain
    idle[i]->stream->set_timeout(std::chrono::milliseconds{0});
  }
  slot.reclaimed.add(n);
  return n;
}

}  // namespace ringlane::http::detail
