// timer_wheel_bench.cpp -- costs of runtime/time/timer_wheel.hpp.
//
// BM_timer_insert_cancel  the common life of a guard timer (an I/O timeout
//                         that is cancelled because the operation completed):
//                         insert one entry a few hundred ms out into a wheel
//                         that already holds 10,000 timers, then cancel it.
//                         Target: <= 40 ns per pair.
// BM_timer_advance/<ms>   fire cost per entry: 10,000 timers due within the
//                         next 10 s, then advance() in steps of <ms> until
//                         all have fired (1 = a worker waking every
//                         millisecond, cascades included; 10000 = one jump).
//                         Insertion is not timed; `per_fire` is the time per
//                         fired entry.
#include "runtime/time/timer_wheel.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>

namespace {

using ringlane::detail::timer_entry;
using ringlane::detail::timer_wheel;

constexpr std::uint64_t kStart = 1'000'000;
constexpr std::size_t kTimers = 10'000;

void count_fire(timer_entry& e) noexcept {
  benchmark::DoNotOptimize(&e);
}

void BM_timer_insert_cancel(benchmark::State& state) {
  // Declared before the wheel so that the wheel (destroyed first) disarms them.
  auto others = std::make_unique<timer_entry[]>(kTimers);
  timer_wheel wheel(kStart);
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < kTimers; ++i) {
    wheel.insert(others[i], kStart + 1 + rng() % 600'000);  // next 10 minutes
  }
  timer_entry e;
  std::uint64_t i = 0;
  for (auto _ : state) {
    wheel.insert(e, kStart + 300 + (i++ & 127));
    wheel.cancel(e);
  }
  benchmark::DoNotOptimize(wheel.size());
}
BENCHMARK(BM_timer_insert_cancel);

void BM_timer_advance(benchmark::State& state) {
  const auto step = static_cast<std::uint64_t>(state.range(0));
  auto timers = std::make_unique<timer_entry[]>(kTimers);
  timer_wheel wheel(kStart);
  std::mt19937_64 rng(2);
  std::size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::uint64_t now = wheel.now();
    for (std::size_t i = 0; i < kTimers; ++i) {
      timers[i].on_fire = &count_fire;
      wheel.insert(timers[i], now + 1 + rng() % 10'000);
    }
    state.ResumeTiming();
    for (std::uint64_t t = now + step; wheel.size() != 0; t += step) fired += wheel.advance(t);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(fired));
  state.counters["per_fire"] = benchmark::Counter(
      static_cast<double>(fired), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_timer_advance)->Arg(1)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace
