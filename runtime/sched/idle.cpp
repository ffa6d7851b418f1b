#include "runtime/sched/idle.hpp"

#include <algorithm>

namespace ringlane::detail {

// All counters use seq_cst: the protocol is a Dekker-style handshake between
// a producer (push task, then read state) and a parking worker (update state,
// then re-check queues), and only a single total order makes "one of us sees
// the other" hold. These operations are off the per-task hot path except the
// single load in should_notify().

idle::idle(std::uint32_t workers)
    : workers_(workers), state_(workers << kShift), notified_(workers, false) {
  sleepers_.reserve(workers);
}

bool idle::should_notify() noexcept {
  // An RMW, not a load: the producer pushed its task with a release store
  // and must read the state *after* it. A seq_cst load may be reordered
  // before an earlier store on x86; a locked RMW may not (Tokio does the
  // same with fetch_add(0, SeqCst)).
  const std::uint32_t s = state_.fetch_add(0, std::memory_order_seq_cst);
  return (s & kMask) == 0 && (s >> kShift) < workers_;
}

std::optional<std::uint32_t> idle::worker_to_notify() noexcept {
  if (!should_notify()) return std::nullopt;
  std::lock_guard lock(mu_);
  if (!should_notify() || sleepers_.empty()) return std::nullopt;
  // The woken worker is counted as unparked and searching right away, so
  // that concurrent producers do not wake a second one for the same work.
  state_.fetch_add(kOneUnparked + 1, std::memory_order_seq_cst);
  const std::uint32_t index = sleepers_.back();
  sleepers_.pop_back();
  notified_[index] = true;
  return index;
}

bool idle::transition_to_searching() noexcept {
  const std::uint32_t s = state_.load(std::memory_order_seq_cst);
  if (2 * (s & kMask) >= workers_) return false;
  state_.fetch_add(1, std::memory_order_seq_cst);
  return true;
}

bool idle::transition_from_searching() noexcept {
  return (state_.fetch_sub(1, std::memory_order_seq_cst) & kMask) == 1;
}

bool idle::transition_to_parked(std::uint32_t index, bool searching) noexcept {
  std::lock_guard lock(mu_);
  const std::uint32_t dec = kOneUnparked + (searching ? 1 : 0);
  const std::uint32_t prev = state_.fetch_sub(dec, std::memory_order_seq_cst);
  sleepers_.push_back(index);
  return searching && (prev & kMask) == 1;
}

bool idle::transition_from_parked(std::uint32_t index) noexcept {
  std::lock_guard lock(mu_);
  if (notified_[index]) {
    notified_[index] = false;  // notify already counted us
    return true;
  }
  auto it = std::find(sleepers_.begin(), sleepers_.end(), index);
  if (it != sleepers_.end()) sleepers_.erase(it);
  state_.fetch_add(kOneUnparked, std::memory_order_seq_cst);
  return false;
}

}  // namespace ringlane::detail
