// The runtime's own driver: park on a futex word.
//
//   word: 0 = nothing pending, 1 = unpark pending, 2 = owner sleeping
//
// unpark: exchange(1); if the old value was 2 the owner is (about to be)
// asleep on the word and needs FUTEX_WAKE. Otherwise no syscall at all.
// park:   if exchange(0) shows a pending unpark, return at once; else CAS
// 0 -> 2 and FUTEX_WAIT while the word is still 2. A producer that stores 1
// between our CAS and the wait makes FUTEX_WAIT fail with EAGAIN (the kernel
// compares the word atomically), so no wake-up is lost.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <ctime>

#include "runtime/sched/driver.hpp"

namespace ringlane {
namespace {

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val, const timespec* ts) noexcept {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, val, ts, nullptr, 0);
}

class futex_driver final : public driver {
 public:
  void park(std::optional<std::chrono::nanoseconds> timeout) override {
    if (word_.exchange(0, std::memory_order_acquire) == 1) return;
    if (timeout && timeout->count() <= 0) return;
    std::uint32_t expected = 0;
    if (!word_.compare_exchange_strong(expected, 2, std::memory_order_acq_rel)) {
      word_.store(0, std::memory_order_relaxed);  // an unpark raced in
      return;
    }
    timespec ts{};
    if (timeout) {
      ts.tv_sec = static_cast<time_t>(timeout->count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(timeout->count() % 1'000'000'000);
    }
    futex(&word_, FUTEX_WAIT_PRIVATE, 2, timeout ? &ts : nullptr);
    // Woken, timed out, interrupted or EAGAIN: all mean "look again".
    word_.store(0, std::memory_order_release);
  }

  void unpark() noexcept override {
    if (word_.exchange(1, std::memory_order_acq_rel) == 2) futex(&word_, FUTEX_WAKE_PRIVATE, 1, nullptr);
  }

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace

std::unique_ptr<driver> make_futex_driver() { return std::make_unique<futex_driver>(); }

}  // namespace ringlane
