// runtime_demo -- a tour of the ringlane runtime that measures as it goes.
//
//   build/release/apps/runtime_demo/runtime_demo [--workers N] [--tasks N] [--trace]
//
// Each section runs real tasks on a real runtime and prints what happened:
// spawn and yield costs, bytes per task, sequential vs concurrent waits, a
// timeout, first-of with losers cancelled, a channel pipeline, a semaphore
// bounding concurrency, the blocking pool, work stealing, and per-worker
// counters. (The HTTP demo of the seeds' endpoints arrives with http/.)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/blocking/spawn_blocking.hpp"
#include "runtime/channel/mpsc.hpp"
#include "runtime/combinators/task_group.hpp"
#include "runtime/combinators/timeout.hpp"
#include "runtime/combinators/when_all.hpp"
#include "runtime/combinators/when_any.hpp"
#include "runtime/runtime.hpp"
#include "runtime/sync/semaphore.hpp"
#include "runtime/task/frame_pool.hpp"
#include "runtime/task/yield.hpp"
#include "runtime/time/sleep.hpp"

namespace {

using namespace std::chrono_literals;
using ringlane::task;
using steady = std::chrono::steady_clock;

double ms_since(steady::time_point start) {
  return std::chrono::duration<double, std::milli>(steady::now() - start).count();
}

task<void> nothing() { co_return; }

task<void> spawn_overhead(int n) {
  const auto start = steady::now();
  for (int i = 0; i < n; ++i) co_await ringlane::spawn(nothing());
  const double ns = ms_since(start) * 1e6 / n;
  std::printf("  spawn+join   %8.1f ns per task   (%d tasks; the seeds quote ~2000 ns for Tokio-based hyperlane)\n", ns,
              n);
}

task<void> yield_overhead(int n) {
  const auto start = steady::now();
  for (int i = 0; i < n; ++i) co_await ringlane::yield_now();
  std::printf("  yield_now    %8.1f ns per yield  (seeds: ~500 ns)\n", ms_since(start) * 1e6 / n);
}

void bytes_per_task() {
  const std::size_t before = ringlane::detail::frame_pool::requested_bytes();
  task<void> t = nothing();
  const std::size_t frame = ringlane::detail::frame_pool::requested_bytes() - before;
  std::printf("  trivial task %8zu bytes of frame, + %zu bytes of spawn header (seeds: ~2 KB per task)\n", frame,
              sizeof(ringlane::detail::spawned_task<void>));
}

task<std::string> simulated(std::string what, std::chrono::milliseconds d) {
  co_await ringlane::sleep(d);
  co_return what;
}

task<void> sequential_vs_concurrent() {
  auto start = steady::now();
  const std::string a = co_await simulated("db", 100ms);
  const std::string b = co_await simulated("api", 150ms);
  const std::string c = co_await simulated("file", 200ms);
  const double seq = ms_since(start);
  start = steady::now();
  auto [x, y, z] = co_await ringlane::when_all(simulated("db", 100ms), simulated("api", 150ms),
                                               simulated("file", 200ms));
  const double conc = ms_since(start);
  std::printf("  sequential   %6.1f ms for %s+%s+%s\n  when_all     %6.1f ms for %s+%s+%s  (%.1fx faster)\n", seq,
              a.c_str(), b.c_str(), c.c_str(), conc, x.c_str(), y.c_str(), z.c_str(), seq / conc);
}

task<void> timeout_and_first_of() {
  auto start = steady::now();
  auto r = co_await ringlane::timeout(50ms, simulated("slow service", 1s));
  std::printf("  timeout      %s after %.1f ms\n", r ? "answered" : "timed out (operation aborted)", ms_since(start));

  start = steady::now();
  auto any = co_await ringlane::when_any(simulated("replica A", 80ms), simulated("replica B", 30ms),
                                         simulated("replica C", 60ms));
  std::printf("  when_any     %s won after %.1f ms; the other two were cancelled and awaited\n",
              std::get<1>(any.value).c_str(), ms_since(start));
}

task<void> produce(ringlane::mpsc::sender<int> tx, int n) {
  for (int i = 1; i <= n; ++i) {
    auto sent = co_await tx.send(i);
    if (!sent) co_return;
  }
}

task<void> square(ringlane::mpsc::receiver<int> rx, ringlane::mpsc::sender<long> tx) {
  for (;;) {
    std::optional<int> v = co_await rx.recv();
    if (!v) co_return;
    auto sent = co_await tx.send(static_cast<long>(*v) * *v);
    if (!sent) co_return;
  }
}

task<void> channel_pipeline(int n) {
  const auto start = steady::now();
  auto [tx1, rx1] = ringlane::mpsc::channel<int>(64);
  auto [tx2, rx2] = ringlane::mpsc::channel<long>(64);
  auto p = ringlane::spawn(produce(std::move(tx1), n));
  auto s = ringlane::spawn(square(std::move(rx1), std::move(tx2)));
  long sum = 0;
  int count = 0;
  for (;;) {
    std::optional<long> v = co_await rx2.recv();
    if (!v) break;
    sum += *v;
    ++count;
  }
  co_await p;
  co_await s;
  std::printf("  pipeline     %d messages through 2 bounded channels, sum of squares %ld, %.1f ms\n", count, sum,
              ms_since(start));
}

task<void> limited(ringlane::semaphore* sem, std::atomic<int>* now, std::atomic<int>* peak) {
  auto permit = co_await sem->acquire();
  const int in = now->fetch_add(1) + 1;
  int p = peak->load();
  while (in > p && !peak->compare_exchange_weak(p, in)) {
  }
  co_await ringlane::sleep(20ms);
  now->fetch_sub(1);
}

task<void> bounded_concurrency() {
  ringlane::semaphore sem(3);
  std::atomic<int> now{0}, peak{0};
  const auto start = steady::now();
  ringlane::task_group<void> g;
  for (int i = 0; i < 10; ++i) g.spawn(limited(&sem, &now, &peak));
  co_await g.join_all();
  std::printf("  semaphore(3) 10 tasks of 20 ms: peak concurrency %d, %.1f ms total (4 waves)\n", peak.load(),
              ms_since(start));
}

task<void> blocking_pool() {
  const auto start = steady::now();
  auto h = ringlane::spawn_blocking([] {
    std::uint64_t x = 1469598103934665603ull;
    for (int i = 0; i < 20'000'000; ++i) x = (x ^ static_cast<std::uint64_t>(i)) * 1099511628211ull;
    return x;
  });
  const std::uint64_t hash = co_await h;
  std::printf("  blocking     20M-step hash %016llx on the blocking pool in %.1f ms; workers stayed free\n",
              static_cast<unsigned long long>(hash), ms_since(start));
}

task<std::uint64_t> burn(int n) {
  std::uint64_t x = static_cast<std::uint64_t>(n);
  for (int i = 0; i < 200'000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  co_return x;
}

task<void> stealing(int n) {
  const auto start = steady::now();
  std::vector<ringlane::join_handle<std::uint64_t>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(ringlane::spawn(burn(i)));
  std::uint64_t acc = 0;
  for (auto& h : hs) acc ^= co_await h;
  std::printf("  stealing     %d CPU-bound tasks spawned from one worker finished in %.1f ms (checksum %016llx)\n", n,
              ms_since(start), static_cast<unsigned long long>(acc));
}

task<void> tour(int tasks) {
  std::puts("costs");
  co_await spawn_overhead(tasks);
  co_await yield_overhead(tasks);
  bytes_per_task();
  std::puts("concurrency");
  co_await sequential_vs_concurrent();
  co_await timeout_and_first_of();
  co_await channel_pipeline(tasks / 10);
  co_await bounded_concurrency();
  co_await blocking_pool();
  co_await stealing(64);
}

void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--workers N] [--tasks N] [--trace]\n", argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  ringlane::runtime_options opts;
  int tasks = 200'000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--workers" && i + 1 < argc) {
      opts.workers = static_cast<std::uint32_t>(std::atoi(argv[++i]));
    } else if (arg == "--tasks" && i + 1 < argc) {
      tasks = std::atoi(argv[++i]);
      if (tasks < 10) usage(argv[0]);
    } else if (arg == "--trace") {
      opts.trace_events = 32;
    } else {
      usage(argv[0]);
    }
  }
  ringlane::runtime rt(opts);
  std::printf("ringlane runtime demo: %u workers\n", rt.workers());
  rt.block_on(tour(tasks));

  std::puts("per-worker counters");
  const ringlane::runtime_stats st = rt.stats();
  for (std::size_t i = 0; i < st.workers.size(); ++i) {
    const auto& w = st.workers[i];
    std::printf("  w%zu polls %llu  lifo %llu  local %llu  inbox %llu  global %llu  steals %llu (%llu tasks)  parks %llu  "
                "timers %llu\n",
                i, static_cast<unsigned long long>(w.polls), static_cast<unsigned long long>(w.lifo_hits),
                static_cast<unsigned long long>(w.local_pops), static_cast<unsigned long long>(w.inbox_tasks),
                static_cast<unsigned long long>(w.global_pops), static_cast<unsigned long long>(w.steals),
                static_cast<unsigned long long>(w.stolen_tasks), static_cast<unsigned long long>(w.parks),
                static_cast<unsigned long long>(w.timers_fired));
  }
  if (opts.trace_events) {
    std::puts("last scheduling decisions");
    rt.dump_trace(std::cout);
  }
  return 0;
}
