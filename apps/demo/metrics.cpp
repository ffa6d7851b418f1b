// metrics.cpp -- GET /runtime/metrics?spawns=10000&calls=100000&yields=10000
//                (at most 100,000 spawns, 10,000,000 calls, 1,000,000 yields)
//
// The first article's async_performance_handler, measured live on this
// runtime instead of printed from a table:
//
//   spawn_join_ns_per_task   spawn `spawns` trivial tasks, then join them all
//   coroutine_call_ns        `calls` sequential co_awaits of a trivial task<int>
//   yield_ns                 `yields` yield_now() round trips through the queue
//   bytes per task           from the frame pool's requested_bytes() counter:
//                            the frame of a trivial task, the spawn header, and
//                            (the article's 1 KB-per-task experiment) the frame
//                            of a task that keeps 1 KB of state across a sleep
//   workers                  the scheduler's per-worker counters
//   connections              the server's: open, accepted, rejected at the
//                            limit, reclaimed (idle, to make room), idle
//                            releases (large buffers freed), requests
//
// Every number is measured on the worker that runs the measurement; nothing
// is hard-coded.
//
// One measurement runs at a time, process-wide: two at once would time each
// other (they share the workers), and each keeps up to `spawns` tasks alive,
// so a crowd of requests must not multiply that memory. A request that waited
// behind a measurement of the same parameters which finished after the
// request arrived takes that result ("measured_for_this_request": false)
// instead of measuring again: a crowd costs one or two measurements, not one
// each. A request that cannot start within kQueueLimit gets 503 with
// Retry-After.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <vector>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "http/server/server.hpp"
#include "runtime/combinators/timeout.hpp"
#include "runtime/runtime.hpp"
#include "runtime/sync/mutex.hpp"
#include "runtime/task/frame_pool.hpp"
#include "runtime/task/yield.hpp"

namespace demo {
namespace {

std::atomic<http::server*> g_server{nullptr};

using steady = std::chrono::steady_clock;

double ns_per(steady::duration d, std::uint64_t n) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / static_cast<double>(n);
}

task<int> minimal_task() { co_return 42; }

// Keeps 1 KB in its frame across a suspension (the article's `vec![0u8; 1024]`
// held over a sleep, here inside the frame rather than on the heap).
task<int> task_with_state(std::uint64_t seed) {
  std::array<unsigned char, 1024> data{};
  data[seed % data.size()] = 1;
  co_await ringlane::sleep(100ms);
  int sum = 0;
  for (unsigned char c : data) sum += c;
  co_return sum;
}

task<double> measure_spawn_join(std::uint64_t n) {
  std::vector<ringlane::join_handle<int>> handles;
  handles.reserve(n);
  const auto start = steady::now();
  for (std::uint64_t i = 0; i < n; ++i) handles.push_back(ringlane::spawn(minimal_task()));
  std::int64_t sum = 0;
  for (auto& h : handles) sum += co_await h;
  const auto elapsed = steady::now() - start;
  if (sum != static_cast<std::int64_t>(n) * 42) throw demo_error("spawned tasks returned wrong results");
  co_return ns_per(elapsed, n);
}

task<double> measure_calls(std::uint64_t n) {
  std::int64_t sum = 0;
  // In batches with a yield between them: without the tail call (debug and
  // sanitizer builds) each synchronous await nests a stack frame, and the
  // yield unwinds them (runtime/README.md, symmetric transfer).
  constexpr std::uint64_t kBatch = 1000;
  auto elapsed = steady::duration::zero();
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t batch = std::min(kBatch, n - done);
    const auto start = steady::now();
    for (std::uint64_t i = 0; i < batch; ++i) sum += co_await minimal_task();
    elapsed += steady::now() - start;
    done += batch;
    co_await ringlane::yield_now();
  }
  if (sum != static_cast<std::int64_t>(n) * 42) throw demo_error("awaited tasks returned wrong results");
  co_return ns_per(elapsed, n);
}

task<double> measure_yields(std::uint64_t n) {
  const auto start = steady::now();
  for (std::uint64_t i = 0; i < n; ++i) co_await ringlane::yield_now();
  co_return ns_per(steady::now() - start, n);
}

struct task_bytes {
  std::uint64_t frame;        // a trivial task<int>'s coroutine frame
  std::uint64_t header;       // what spawn adds (task_header + result slot)
  std::uint64_t with_state;   // a frame holding 1 KB across a suspension
};

// requested_bytes() counts what this thread asked the frame pool for. Nothing
// else allocates frames on this thread between two reads below.
task<task_bytes> measure_bytes(std::uint64_t stateful_tasks) {
  namespace fp = ringlane::detail::frame_pool;
  task_bytes b{};
  const std::size_t before = fp::requested_bytes();
  task<int> t = minimal_task();  // lazy: the frame exists, nothing ran
  const std::size_t after_frame = fp::requested_bytes();
  ringlane::join_handle<int> h = ringlane::spawn(std::move(t));
  const std::size_t after_spawn = fp::requested_bytes();
  co_await h;
  b.frame = after_frame - before;
  b.header = after_spawn - after_frame;

  std::vector<ringlane::join_handle<int>> handles;
  handles.reserve(stateful_tasks);
  const std::size_t base = fp::requested_bytes();
  for (std::uint64_t i = 0; i < stateful_tasks; ++i) handles.push_back(ringlane::spawn(task_with_state(i)));
  const std::size_t peak = fp::requested_bytes();
  for (auto& x : handles) co_await x;
  b.with_state = (peak - base) / stateful_tasks;
  co_return b;
}

struct parameters {
  std::uint64_t spawns;
  std::uint64_t calls;
  std::uint64_t yields;
  bool operator==(const parameters&) const = default;
};

struct measurement {
  parameters of;
  double spawn_ns;
  double call_ns;
  double yield_ns;
  task_bytes bytes;
  std::size_t worker;
  steady::time_point finished;
};

task<measurement> measure(parameters p) {
  measurement m{};
  m.of = p;
  m.spawn_ns = co_await measure_spawn_join(p.spawns);
  m.call_ns = co_await measure_calls(p.calls);
  m.yield_ns = co_await measure_yields(p.yields);
  m.bytes = co_await measure_bytes(1000);
  m.worker = ringlane::current_worker_index();
  m.finished = steady::now();
  co_return m;
}

// The lock that lets one measurement run at a time, and the latest result,
// which only the lock's holder touches. (Not async_mutex_guarded: clang 14
// crashes optimising timeout() over its guard.)
ringlane::async_mutex g_measuring;
std::optional<measurement> g_latest;

// The lock as a task, so that timeout() can bound the wait.
task<ringlane::async_mutex::guard> lock_measuring() { co_return co_await g_measuring.lock(); }

// How long a request may queue for its turn to measure. The largest
// parameters take well under a second in a release build.
constexpr auto kQueueLimit = 10s;

struct turn {
  measurement m;
  bool fresh;  // measured for this request, not shared
};

// A measurement of `asked`: a fresh one, or the latest if it has the same
// parameters and finished after this call began. nullopt if the lock did not
// come within kQueueLimit.
task<std::optional<turn>> measurement_for(parameters asked) {
  const auto arrived = steady::now();
  const auto lock = co_await ringlane::timeout(kQueueLimit, lock_measuring());
  if (!lock) co_return std::nullopt;
  const bool fresh = !g_latest || g_latest->of != asked || g_latest->finished < arrived;
  if (fresh) g_latest = co_await measure(asked);
  co_return turn{*g_latest, fresh};
}

void write_worker(http::json_writer& w, std::size_t index, const ringlane::worker_stats& s) {
  w.begin_object()
      .key("worker").value(index)
      .key("polls").value(s.polls)
      .key("lifo_hits").value(s.lifo_hits)
      .key("local_pops").value(s.local_pops)
      .key("inbox_tasks").value(s.inbox_tasks)
      .key("global_pops").value(s.global_pops)
      .key("steals").value(s.steals)
      .key("stolen_tasks").value(s.stolen_tasks)
      .key("overflows").value(s.overflows)
      .key("parks").value(s.parks)
      .key("notifies").value(s.notifies)
      .key("timers_fired").value(s.timers_fired)
      .key("spawned").value(s.spawned)
      .key("finished").value(s.finished)
      .end_object();
}

}  // namespace

void set_metrics_server(http::server* s) noexcept { g_server.store(s); }

task<void> runtime_metrics(http::context& ctx) {
  const auto spawns = query_uint(ctx, "spawns", {.def = 10'000, .min = 1, .max = 100'000});
  if (!spawns) co_return;
  const auto calls = query_uint(ctx, "calls", {.def = 100'000, .min = 1, .max = 10'000'000});
  if (!calls) co_return;
  const auto yields = query_uint(ctx, "yields", {.def = 10'000, .min = 1, .max = 1'000'000});
  if (!yields) co_return;

  const std::optional<turn> t = co_await measurement_for({*spawns, *calls, *yields});
  if (!t) {
    ctx.response().header("retry-after", "1");
    json_error(ctx, 503, "another measurement is running; try again");
    co_return;
  }
  const measurement& m = t->m;

  ctx.response().header("x-performance-analysis", "complete");
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("iterations").begin_object()
      .key("spawns").value(*spawns)
      .key("calls").value(*calls)
      .key("yields").value(*yields)
      .end_object()
      .key("task_spawn_overhead_ns").value(m.spawn_ns)
      .key("async_fn_overhead_ns").value(m.call_ns)
      .key("context_switch_overhead_ns").value(m.yield_ns)
      .key("frame_bytes").value(m.bytes.frame)
      .key("spawn_header_bytes").value(m.bytes.header)
      .key("memory_usage_per_task_bytes").value(m.bytes.frame + m.bytes.header)
      .key("memory_usage_per_task_with_1k_state_bytes").value(m.bytes.with_state)
      .key("measured_on_worker").value(m.worker)
      .key("measured_for_this_request").value(t->fresh);
  if (http::server* s = g_server.load()) {
    const ringlane::runtime_stats st = s->runtime().stats();
    w.key("live_tasks").value(st.live_tasks).key("workers").begin_array();
    for (std::size_t i = 0; i < st.workers.size(); ++i) write_worker(w, i, st.workers[i]);
    w.end_array();
    const http::server_stats conns = s->stats();
    w.key("connections").begin_object()
        .key("open").value(conns.open)
        .key("accepted").value(conns.accepted)
        .key("rejected").value(conns.rejected)
        .key("reclaimed").value(conns.reclaimed)
        .key("idle_releases").value(conns.idle_releases)
        .key("body_memory").value(conns.body_memory)
        .key("body_refusals").value(conns.body_refusals)
        .key("requests").value(conns.requests)
        .end_object();
  }
  w.key("recommendations").value("Use async for I/O-bound operations, avoid for CPU-bound tasks").end_object();
}

}  // namespace demo
