#include "runtime/sched/trace.hpp"

namespace ringlane::detail {
namespace {
const char* source_name(std::uint8_t s) {
  switch (static_cast<task_source>(s)) {
    case task_source::lifo: return "lifo";
    case task_source::local: return "local queue";
    case task_source::inbox: return "inbox";
    case task_source::global: return "global queue";
    case task_source::steal: return "steal";
  }
  return "?";
}
}  // namespace

void trace_ring::dump(std::ostream& out, std::uint32_t worker) const {
  const std::uint64_t n = next_ < events_.size() ? next_ : events_.size();
  for (std::uint64_t i = next_ - n; i < next_; ++i) {
    const trace_event& e = events_[i % events_.size()];
    out << 'w' << worker << " #" << e.tick << ' ';
    switch (e.kind) {
      case trace_kind::run:
        out << "run   task " << e.task_or_count << " from " << source_name(e.detail);
        break;
      case trace_kind::park:
        out << "park  ";
        if (e.task_or_count == ~std::uint64_t{0}) out << "no timeout"; else out << "timeout " << e.task_or_count << " ms";
        break;
      case trace_kind::steal:
        out << "steal " << e.task_or_count << " tasks from w" << static_cast<unsigned>(e.detail);
        break;
      case trace_kind::overflow:
        out << "overflow " << e.task_or_count << " tasks to the global queue";
        break;
      case trace_kind::timers:
        out << "timers fired " << e.task_or_count;
        break;
    }
    out << '\n';
  }
}

}  // namespace ringlane::detail
