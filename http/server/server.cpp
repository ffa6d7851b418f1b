#include "http/server/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <thread>

#include "engine/engine.hpp"
#include "engine/net/listener.hpp"
#include "engine/net/stream.hpp"
#include "http/server/connection.hpp"
#include "runtime/time/sleep.hpp"

namespace ringlane::http {
namespace {

using namespace std::chrono_literals;

task<void> accept_loop(int listen_fd, detail::core& c, detail::worker_slot& slot) {
  engine::listener l(listen_fd);
  // Out of descriptors: free some for the connections waiting in the
  // backlog, and for what their requests will open.
  l.on_exhausted([&slot] { detail::reclaim_idle(slot, 2); });
  for (;;) {
    engine::accepted a = co_await l.accept();
    if (a.fd < 0) continue;
    if (c.draining.load(std::memory_order_relaxed)) {
      ::close(a.fd);
      continue;
    }
    // Full: admit it on the room of an idle connection closed for it (one
    // per reclaimed connection), or close it at once if every connection is
    // busy (nginx does the same). Credit is void once there is room again.
    const bool full = slot.count() >= c.max_per_worker;
    if (!full) slot.admit_credit = 0;
    if (full && slot.admit_credit == 0) slot.admit_credit = detail::reclaim_idle(slot);
    if (full && slot.admit_credit == 0) {
      slot.rejected.add();
      ::close(a.fd);
      continue;
    }
    if (full) --slot.admit_credit;
    slot.accepted.add();
    spawn_pinned(detail::serve_connection(a.fd, peer_address(a.peer), c, slot)).detach();
  }
}

// Step 2 and 3 of the drain, on one worker. Returns the connections left.
task<std::size_t> drain_worker(detail::worker_slot& slot, clock_source::time_point deadline) {
  for (detail::conn_link* l = slot.live.next; l != &slot.live; l = l->next) {
    if (l->idle) l->stream->set_timeout(0ms);  // wakes its read; it sees `draining` and closes
  }
  while (slot.count() > 0 && now() < deadline) co_await sleep(5ms);
  co_return slot.count();
}

task<void> join_all(std::vector<join_handle<void>>& handles) {
  for (auto& h : handles) {
    try {
      co_await h;
    } catch (const task_cancelled&) {
    }
  }
}

task<std::size_t> drain_all(ringlane::runtime& rt, detail::core& c, std::chrono::milliseconds budget) {
  const auto deadline = now() + budget;
  std::vector<join_handle<std::size_t>> drains;
  for (std::uint32_t i = 0; i < c.slots.size(); ++i) drains.push_back(rt.spawn_on(i, drain_worker(c.slots[i], deadline)));
  std::size_t left = 0;
  for (auto& d : drains) left += co_await d;
  co_return left;
}

const std::vector<std::string_view>& common_methods() {
  static const std::vector<std::string_view> m = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  return m;
}

// Every connection is a descriptor: lift the soft RLIMIT_NOFILE to the hard
// limit (what Go's runtime and nginx's worker_rlimit_nofile do), so the
// default 1,024 of many shells does not cap a server built for 100,000.
void raise_descriptor_limit(const options& o) noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) == 0 && o.log)
    std::fprintf(stderr, "ringlane: descriptor limit raised from %llu to %llu\n", static_cast<unsigned long long>(before),
                 static_cast<unsigned long long>(lim.rlim_max));
}

}  // namespace

server::server(options o) : core_(std::make_unique<detail::core>(std::move(o))) {}

server::~server() { stop(); }

server& server::route(std::string_view method, std::string_view pattern, handler h, middleware_list mw) {
  if (running_) throw std::logic_error("routes are fixed once the server started");
  core_->routes.add(method, pattern, core_->entries.size());
  core_->entries.push_back({std::move(h), std::move(mw)});
  // For OPTIONS *: every routed method, sorted, HEAD with GET, OPTIONS always.
  std::set<std::string>& ms = core_->methods;
  ms.emplace(method);
  if (method == "GET") ms.emplace("HEAD");
  core_->all_methods.clear();
  for (const std::string& m : ms) core_->all_methods += (core_->all_methods.empty() ? "" : ", ") + m;
  return *this;
}

server& server::get(std::string_view p, handler h, middleware_list mw) { return route("GET", p, std::move(h), std::move(mw)); }
server& server::post(std::string_view p, handler h, middleware_list mw) { return route("POST", p, std::move(h), std::move(mw)); }
server& server::put(std::string_view p, handler h, middleware_list mw) { return route("PUT", p, std::move(h), std::move(mw)); }
server& server::patch(std::string_view p, handler h, middleware_list mw) { return route("PATCH", p, std::move(h), std::move(mw)); }
server& server::del(std::string_view p, handler h, middleware_list mw) { return route("DELETE", p, std::move(h), std::move(mw)); }
server& server::options_route(std::string_view p, handler h, middleware_list mw) {
  return route("OPTIONS", p, std::move(h), std::move(mw));
}
server& server::any(std::string_view p, handler h, middleware_list mw) {
  for (std::string_view m : common_methods()) route(m, p, h, mw);
  return *this;
}

server& server::use(middleware mw) {
  if (running_) throw std::logic_error("middleware is fixed once the server started");
  core_->global.push_back(std::move(mw));
  return *this;
}

void server::start() {
  if (running_) return;
  detail::core& c = *core_;
  const options& o = c.opts;
  std::uint32_t workers = o.workers ? o.workers : std::max(1u, std::thread::hardware_concurrency());
  c.slots = std::vector<detail::worker_slot>(workers);
  c.max_per_worker = std::max<std::size_t>(1, o.max_connections / workers);
  if (o.access_log) c.global.insert(c.global.begin(), access_log());

  raise_descriptor_limit(o);

  // Listeners first: a busy port fails here, before any thread starts.
  std::vector<int> fds;
  try {
    engine::listen_options lo{
        .host = o.host, .port = o.port, .backlog = o.backlog, .reuseport = true, .exclusive = !o.share_port};
    fds.push_back(engine::open_listener(lo));
    port_ = engine::local_port(fds[0]);
    lo.port = port_;
    lo.exclusive = false;  // the other workers join this one's group
    for (std::uint32_t i = 1; i < workers; ++i) fds.push_back(engine::open_listener(lo));
  } catch (...) {
    for (int fd : fds) ::close(fd);
    throw;
  }

  runtime_options r;
  r.workers = workers;
  engine::engine_options e;
  e.backend = o.backend;
  e.buffers = o.buffers;
  e.buffer_size = o.buffer_size;
  e.log = o.log;
  rt_ = std::make_unique<ringlane::runtime>(engine::with_engine(r, e));
  for (std::uint32_t i = 0; i < workers; ++i) acceptors_.push_back(rt_->spawn_on(i, accept_loop(fds[i], c, c.slots[i])));
  running_ = true;
}

void server::stop() {
  if (!running_) return;
  running_ = false;
  detail::core& c = *core_;
  c.draining.store(true);
  for (auto& a : acceptors_) a.abort();
  rt_->block_on(join_all(acceptors_));  // listeners closed: no new connections
  acceptors_.clear();
  const std::size_t left = rt_->block_on(drain_all(*rt_, c, c.opts.timeouts.drain));
  if (left > 0 && c.opts.log) std::fprintf(stderr, "ringlane: drain deadline passed, closing %zu connections\n", left);
  rt_.reset();  // cancels whatever is left, closes every socket
}

server_stats server::stats() const noexcept {
  server_stats st;
  for (const detail::worker_slot& w : core_->slots) {
    st.open += w.open.get();
    st.accepted += w.accepted.get();
    st.rejected += w.rejected.get();
    st.reclaimed += w.reclaimed.get();
    st.idle_releases += w.idle_releases.get();
    st.body_refusals += w.body_refusals.get();
    st.requests += w.requests.get();
  }
  st.body_memory = core_->bodies.in_use();
  return st;
}

int server::run() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked before the workers start, so they inherit the mask and only
  // this thread ever sees the signals (in sigwait below).
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringlane: cannot start: %s\n", e.what());
    return 1;
  }
  const options& o = core_->opts;
  std::printf("ringlane: listening on http://%s:%u/ (%zu workers)\n",
              o.host.find(':') != std::string::npos ? ("[" + o.host + "]").c_str() : o.host.c_str(), port_,
              core_->slots.size());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  if (o.log) std::fprintf(stderr, "ringlane: %s: draining (up to %lld ms)\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                          static_cast<long long>(o.timeouts.drain.count()));
  stop();
  return 0;
}

middleware access_log() {
  middleware m;
  m.before = [](context& ctx) -> task<bool> {
    ctx.set_data("ringlane.access_log.start", std::chrono::steady_clock::now());
    co_return true;
  };
  m.after = [](context& ctx) -> task<void> {
    const auto* start = ctx.data_as<std::chrono::steady_clock::time_point>("ringlane.access_log.start");
    const double ms = start ? std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *start).count()
                            : 0.0;
    const request_head& h = ctx.request();
    std::fprintf(stderr, "%s \"%.*s %.*s HTTP/1.%u\" %d %zu %.3fms\n", ctx.client_address().c_str(),
                 static_cast<int>(h.method.size()), h.method.data(), static_cast<int>(h.target.size()), h.target.data(),
                 static_cast<unsigned>(h.version_minor), ctx.response().status(), ctx.response().body().size(), ms);
    co_return;
  };
  return m;
}

}  // namespace ringlane::http
