// trace.hpp -- an optional record of each worker's scheduling decisions.
//
// With runtime_options::trace_events = N > 0, every worker keeps its last N
// decisions in a ring: which task it ran and where it found it (LIFO slot,
// local queue, inbox, global queue, steal), when it parked and for how long
// it meant to, what it stole from whom, what overflowed. runtime::dump_trace
// prints them merged by worker, oldest first:
//
//   w0 #12 run   task 7 from lifo
//   w1 #3  steal 64 tasks from w0
//   w0 #40 park  timeout 250 ms
//
// Off (N = 0) it costs one predictable branch per decision. The ring is
// written by its worker only and read by dump_trace after the workers have
// stopped (runtime::shutdown), so it needs no synchronisation.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

namespace ringlane::detail {

enum class trace_kind : std::uint8_t { run, park, steal, overflow, timers };
enum class task_source : std::uint8_t { lifo, local, inbox, global, steal };

struct trace_event {
  std::uint64_t tick;
  std::uint64_t task_or_count;  // run: task id; steal/overflow/timers: count; park: timeout ms (or ~0)
  trace_kind kind;
  std::uint8_t detail;  // run: task_source; steal: victim index
};

class trace_ring {
 public:
  explicit trace_ring(std::size_t capacity) : events_(capacity) {}
  bool enabled() const noexcept { return !events_.empty(); }
  void record(std::uint64_t tick, trace_kind kind, std::uint64_t value, std::uint8_t detail = 0) noexcept {
    if (events_.empty()) return;
    events_[next_++ % events_.size()] = {tick, value, kind, detail};
  }
  // Oldest first.
  void dump(std::ostream& out, std::uint32_t worker) const;

 private:
  std::vector<trace_event> events_;
  std::uint64_t next_ = 0;
};

}  // namespace ringlane::detail
