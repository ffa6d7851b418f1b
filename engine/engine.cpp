#include "engine/engine.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include "engine/epoll/epoll_context.hpp"
#include "engine/uring/uring_context.hpp"

namespace ringlane::engine {

const capabilities& engine_capabilities(const engine_options& o) {
  probe_options p;
  p.backend = o.backend;
  p.safe_mode = o.safe_mode;
  return probe(p);
}

runtime_options with_engine(runtime_options base, const engine_options& o) {
  base.make_driver = [o](std::uint32_t index) -> std::unique_ptr<driver> {
    const capabilities& caps = engine_capabilities(o);
    if (o.log && index == 0) std::fprintf(stderr, "ringlane: %s\n", describe(caps).c_str());
    if (caps.uses_uring()) {
      uring_options u;
      u.ring.sq_entries = o.sq_entries;
      u.ring.safe_mode = o.safe_mode;
      u.buffers = o.buffers;
      u.buffer_size = o.buffer_size;
      u.multishot_accept = caps.multishot_accept.ok();
      u.multishot_recv = caps.multishot_recv.ok();
      u.wake = o.msg_ring_wake && caps.msg_ring.ok() ? wake_mechanism::msg_ring : wake_mechanism::eventfd;
      return std::make_unique<uring_context>(u);
    }
    epoll_options e;
    e.buffer_count = o.buffers;
    e.buffer_size = o.buffer_size;
    e.reason = caps.why;
    return std::make_unique<epoll_context>(e);
  };
  return base;
}

}  // namespace ringlane::engine
