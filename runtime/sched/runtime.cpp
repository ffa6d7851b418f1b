// Small out-of-line pieces of the public runtime API.
#include "runtime/runtime.hpp"

#include <stdexcept>

#include "runtime/sched/worker.hpp"

namespace ringlane {

int current_worker_index() noexcept {
  detail::worker* w = detail::current_worker();
  return w ? static_cast<int>(w->index()) : -1;
}

steady_clock_source& default_clock() noexcept {
  static steady_clock_source c;
  return c;
}

worker_stats runtime_stats::total() const noexcept {
  worker_stats t;
  for (const worker_stats& w : workers) {
    t.polls += w.polls;
    t.lifo_hits += w.lifo_hits;
    t.local_pops += w.local_pops;
    t.inbox_tasks += w.inbox_tasks;
    t.global_pops += w.global_pops;
    t.steals += w.steals;
    t.stolen_tasks += w.stolen_tasks;
    t.overflows += w.overflows;
    t.parks += w.parks;
    t.notifies += w.notifies;
    t.timers_fired += w.timers_fired;
    t.spawned += w.spawned;
    t.finished += w.finished;
  }
  return t;
}

void runtime::dump_trace(std::ostream& out) {
  sched_.shutdown();
  for (std::uint32_t i = 0; i < sched_.size(); ++i) sched_.worker_at(i).trace().dump(out, i);
}

namespace detail {
worker* worker_by_index(scheduler& s, std::uint32_t index) noexcept {
  return index < s.size() ? &s.worker_at(index) : nullptr;
}
}  // namespace detail

}  // namespace ringlane
