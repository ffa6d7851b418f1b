// wake_bench -- the cross-worker wake, eventfd vs msg_ring (engine README,
// section 7). Two tasks pinned to different workers ping-pong over two
// channels; each side's worker parks in io_uring_enter between messages,
// so every message is one cross-worker wake of a sleeping worker.
//
//   build/release/bench/wake_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
//
// Arg(0) = eventfd, Arg(1) = msg_ring. Reported per round trip (two wakes),
// with the process CPU time per round trip as a counter.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <optional>

#include "engine/engine.hpp"
#include "runtime/channel/mpsc.hpp"
#include "runtime/runtime.hpp"

namespace {

using namespace ringlane;

double process_cpu_ns() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}

task<void> ponger(mpsc::receiver<int> in, mpsc::sender<int> out) {
  for (;;) {
    std::optional<int> v = co_await in.recv();
    if (!v) break;
    auto sent = co_await out.send(*v + 1);
    if (!sent) break;
  }
}

task<void> pinger(benchmark::State* state, mpsc::sender<int> to, mpsc::receiver<int> back) {
  int v = 0;
  for (auto _ : *state) {
    auto sent = co_await to.send(v);
    benchmark::DoNotOptimize(sent);
    std::optional<int> r = co_await back.recv();
    v = r.value_or(0);
  }
  benchmark::DoNotOptimize(v);
}

void BM_cross_worker_ping_pong(benchmark::State& state) {
  engine::engine_options e;
  e.backend = engine::backend_choice::uring;
  e.msg_ring_wake = state.range(0) != 0;
  e.log = false;
  engine::engine_options probe = e;
  if (!engine::engine_capabilities(probe).uses_uring()) {
    state.SkipWithError("io_uring unavailable");
    return;
  }
  runtime_options r;
  r.workers = 2;
  r.stealing = false;
  runtime rt(engine::with_engine(r, e));
  auto [to_tx, to_rx] = mpsc::channel<int>(1);
  auto [back_tx, back_rx] = mpsc::channel<int>(1);
  const double cpu0 = process_cpu_ns();
  auto pong = rt.spawn_on(1, ponger(std::move(to_rx), std::move(back_tx)));
  auto ping = rt.spawn_on(0, pinger(&state, std::move(to_tx), std::move(back_rx)));
  rt.block_on([](join_handle<void> a, join_handle<void> b) -> task<void> {
    co_await a;
    co_await b;
  }(std::move(ping), std::move(pong)));
  state.counters["cpu_ns_per_round_trip"] =
      (process_cpu_ns() - cpu0) / static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
}
BENCHMARK(BM_cross_worker_ping_pong)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
