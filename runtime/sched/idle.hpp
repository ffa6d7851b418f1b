// idle.hpp -- which workers sleep, which search for work, and who to wake.
//
// Waking a parked worker costs a syscall on both sides, so a new stealable
// task should wake at most one worker, and none when somebody is already
// searching (Tokio's idle.rs protocol, simplified):
//
//   * `searching`: workers out of local work and looking in other queues.
//     At most half of the workers may search at once (bounds the CAS traffic
//     on victims' queues).
//   * `unparked`: workers not asleep.
//   * notify: a producer of stealable work wakes one sleeper, only if nobody
//     is searching and somebody sleeps. The woken worker starts out searching.
//   * The last searcher to find work wakes another one (there may be more);
//     the last searcher to give up re-checks every queue before it sleeps.
//
// Together these prevent lost wake-ups without waking everyone per spawn.
// `state_` packs both counters so that "nobody searching and someone asleep"
// is one atomic read on the producer's hot path. Sleepers are kept in a
// vector under a mutex: only touched on the (already slow) park/unpark path.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace ringlane::detail {

class idle {
 public:
  explicit idle(std::uint32_t workers);

  // Producer side: the index of a sleeping worker to unpark, if one should be.
  std::optional<std::uint32_t> worker_to_notify() noexcept;

  // A worker with nothing to do asks to search; false if enough already do.
  bool transition_to_searching() noexcept;
  // A searcher found work or gives up. Returns true if it was the last one.
  bool transition_from_searching() noexcept;

  // Before sleeping. Returns true if it was the last searcher.
  bool transition_to_parked(std::uint32_t index, bool searching) noexcept;
  // After waking. Returns true if it was woken by notify (it now counts as a
  // searcher), false for any other wake-up (timer, inbox, I/O).
  bool transition_from_parked(std::uint32_t index) noexcept;

  std::uint32_t num_searching() const noexcept { return state_.load(std::memory_order_seq_cst) & kMask; }
  std::uint32_t num_unparked() const noexcept { return state_.load(std::memory_order_seq_cst) >> kShift; }

 private:
  static constexpr std::uint32_t kShift = 16;
  static constexpr std::uint32_t kMask = (1u << kShift) - 1;
  static constexpr std::uint32_t kOneUnparked = 1u << kShift;

  bool should_notify() noexcept;

  const std::uint32_t workers_;
  std::atomic<std::uint32_t> state_;  // unparked << 16 | searching
  std::mutex mu_;
  std::vector<std::uint32_t> sleepers_;  // guarded by mu_
  std::vector<bool> notified_;           // guarded by mu_: woken by notify
};

}  // namespace ringlane::detail
