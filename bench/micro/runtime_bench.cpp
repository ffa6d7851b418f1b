// runtime_bench -- the cost of the runtime's basic moves, on one worker
// unless the name says otherwise. Run: build/release/bench/runtime_bench
//
// Each benchmark runs its loop *inside* a task (block_on), so the numbers
// are what a handler pays: wall time per iteration (UseRealTime: the
// benchmark thread itself only waits).
#include <benchmark/benchmark.h>

#include <atomic>
#include <vector>

#include "runtime/channel/mpsc.hpp"
#include "runtime/combinators/when_all.hpp"
#include "runtime/runtime.hpp"
#include "runtime/task/frame_pool.hpp"
#include "runtime/task/yield.hpp"

namespace ringlane {
namespace {

runtime_options one_worker() {
  runtime_options o;
  o.workers = 1;
  return o;
}

task<void> noop() { co_return; }

// spawn a trivial task and join it: frame + header allocation, two queue
// hops, one join wake-up.
task<void> spawn_join_loop(benchmark::State* state) {
  for (auto _ : *state) co_await spawn(noop());
}
void BM_spawn_join(benchmark::State& state) {
  runtime rt(one_worker());
  rt.block_on(spawn_join_loop(&state));
}
BENCHMARK(BM_spawn_join)->UseRealTime();

// yield_now: suspend, back of the queue, resume.
task<void> yield_loop(benchmark::State* state) {
  for (auto _ : *state) co_await yield_now();
}
void BM_yield(benchmark::State& state) {
  runtime rt(one_worker());
  rt.block_on(yield_loop(&state));
}
BENCHMARK(BM_yield)->UseRealTime();

// when_all over three trivial tasks: three child spawns and joins.
task<void> when_all3_loop(benchmark::State* state) {
  for (auto _ : *state) co_await when_all(noop(), noop(), noop());
}
void BM_when_all3(benchmark::State& state) {
  runtime rt(one_worker());
  rt.block_on(when_all3_loop(&state));
}
BENCHMARK(BM_when_all3)->UseRealTime();

// Two tasks bounce a message over two capacity-1 channels: one iteration is
// a round trip (two sends, two receives, two wake-ups).
task<void> ponger(mpsc::receiver<int> in, mpsc::sender<int> out) {
  for (;;) {
    std::optional<int> v = co_await in.recv();
    if (!v) break;
    auto sent = co_await out.send(*v + 1);  // bound first: see mpsc.hpp on GCC 12
    if (!sent) break;
  }
}
task<void> ping_loop(benchmark::State* state) {
  auto [to_tx, to_rx] = mpsc::channel<int>(1);
  auto [back_tx, back_rx] = mpsc::channel<int>(1);
  auto p = spawn(ponger(std::move(to_rx), std::move(back_tx)));
  int v = 0;
  for (auto _ : *state) {
    auto sent = co_await to_tx.send(v);
    benchmark::DoNotOptimize(sent);
    std::optional<int> back = co_await back_rx.recv();
    v = *back;
  }
  benchmark::DoNotOptimize(v);
  { auto drop = std::move(to_tx); }
  co_await p;
}
void BM_channel_ping_pong(benchmark::State& state) {
  runtime rt(one_worker());
  rt.block_on(ping_loop(&state));
}
BENCHMARK(BM_channel_ping_pong)->UseRealTime();

// Stealing: one task spawns `kTasks` CPU-bound tasks on its own worker;
// with stealing on, the idle second worker takes half of them. Reported as
// tasks per second; compare Arg(1) (stealing) with Arg(0).
constexpr int kTasks = 4096;
task<void> burn(int n) {
  std::uint64_t x = 0;
  for (int i = 0; i < n; ++i) benchmark::DoNotOptimize(x += static_cast<std::uint64_t>(i) * 2654435761u);
  co_return;
}
task<void> steal_loop(benchmark::State* state) {
  std::vector<join_handle<void>> hs;
  hs.reserve(kTasks);
  for (auto _ : *state) {
    for (int i = 0; i < kTasks; ++i) hs.push_back(spawn(burn(2000)));
    for (auto& h : hs) co_await h;
    hs.clear();
  }
  state->SetItemsProcessed(state->iterations() * kTasks);
}
void BM_steal_throughput(benchmark::State& state) {
  runtime_options o;
  o.workers = 2;
  o.stealing = state.range(0) != 0;
  runtime rt(o);
  rt.block_on(steal_loop(&state));
  state.counters["steals"] = static_cast<double>(rt.stats().total().steals);
}
BENCHMARK(BM_steal_throughput)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Not a timing: the frame size of a trivial task<void>, as the compiler
// requested it from the frame pool (reported in the "frame_bytes" counter).
void BM_task_frame_size(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::size_t before = detail::frame_pool::requested_bytes();
    task<void> t = noop();
    bytes = detail::frame_pool::requested_bytes() - before;
    benchmark::DoNotOptimize(t);
  }
  state.counters["frame_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_task_frame_size);

}  // namespace
}  // namespace ringlane
