// local_queue.hpp -- a worker's bounded, stealable run queue.
//
// A fixed ring of 256 slots (the shape of Tokio's multi_thread/queue.rs).
// The owning worker pushes at `tail` and pops at the head; thieves take half
// of the queue from the head. It is FIFO for everybody, so a busy worker
// cannot starve the oldest tasks.
//
//        head (packed: steal | real)              tail (owner writes)
//          v                                        v
//   [ . . | t t t t t t t t t t t t t t t t t t t t | . . . . . ]
//          \_ claimed by a thief, being copied _/ (steal..real)
//
// `head` packs two 32-bit indices. `real` is where the next pop or steal
// starts; `steal` lags behind while a thief is copying tasks out of
// [steal, real). While the two differ, no other thief may start (it backs
// off) and the owner may not reuse those slots (push sees them as occupied).
// Indices wrap at 2^32; only differences are used.
//
// Memory ordering, per operation:
//   push     the slot is written relaxed, then `tail` is stored with release:
//            a thief that acquires `tail` sees the slot contents.
//   pop      one CAS on `head` (acq_rel) claims the slot; the owner wrote the
//            slot itself, so no further ordering is needed.
//   steal    acquire `head`, acquire `tail` (pairs with the push release),
//            CAS `head` to claim [real, real+n) by moving `real` (acq_rel),
//            copy the slots, then CAS `steal` up to `real` (acq_rel) to hand
//            the slots back. The owner's acquire of `head` in push pairs with
//            that release, so it never overwrites a slot still being copied.
// Slots are std::atomic (relaxed) only so that the C++ memory model (and
// TSan) sees no data race; the protocol above already orders them.
//
// Thread-safety: push, pop, len_owner are owner-only; steal_into is called
// by the thief on the victim, with its own queue as destination; is_empty
// and len may be called by anyone (approximate).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "runtime/task/header.hpp"

namespace ringlane::detail {

class local_queue {
 public:
  static constexpr std::uint32_t capacity = 256;
  static constexpr std::uint32_t mask = capacity - 1;

  // Outcome of push(): when the ring is full, half of it (plus the new task)
  // is returned as a linked batch for the global queue.
  struct overflow {
    task_header* first = nullptr;
    task_header* last = nullptr;
    std::uint32_t count = 0;
  };

  // Owner only. Returns a non-empty overflow batch when the ring was full.
  overflow push(task_header* t) noexcept {
    for (;;) {
      const std::uint64_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t steal = unpack_steal(h);
      const std::uint32_t real = unpack_real(h);
      const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (tail - steal < capacity) {
        slots_[tail & mask].store(t, std::memory_order_relaxed);
        tail_.store(tail + 1, std::memory_order_release);
        return {};
      }
      if (steal != real) {
        // A thief is copying out; it will free room soon. Hand this one task
        // to the global queue rather than wait.
        t->next = nullptr;
        return {t, t, 1};
      }
      if (overflow o = push_overflow(t, real, tail); o.count) return o;
      // A thief claimed tasks between our load and CAS: room now, retry.
    }
  }

  // Owner only.
  task_header* pop() noexcept {
    std::uint64_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t steal = unpack_steal(h);
      const std::uint32_t real = unpack_real(h);
      const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (real == tail) return nullptr;
      const std::uint32_t next_real = real + 1;
      // No thief active: move both halves together.
      const std::uint64_t next = steal == real ? pack(next_real, next_real) : pack(steal, next_real);
      if (head_.compare_exchange_weak(h, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
        return slots_[real & mask].load(std::memory_order_relaxed);
      }
    }
  }

  // Called by a thief: moves about half of this queue into `dst` (the thief's
  // own, which must be nearly empty) and returns one task to run now.
  task_header* steal_into(local_queue& dst) noexcept {
    const std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    const std::uint32_t dst_steal = unpack_steal(dst.head_.load(std::memory_order_acquire));
    if (dst_tail - dst_steal > capacity / 2) return nullptr;  // no room to take half

    std::uint32_t n = steal_into2(dst, dst_tail);
    if (n == 0) return nullptr;
    // Run the last copied task ourselves; publish the rest.
    --n;
    task_header* ret = dst.slots_[(dst_tail + n) & mask].load(std::memory_order_relaxed);
    if (n > 0) dst.tail_.store(dst_tail + n, std::memory_order_release);
    return ret;
  }

  // Anyone; a snapshot that may be stale by the time it is used.
  std::uint32_t len() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    return tail_.load(std::memory_order_acquire) - unpack_real(h);
  }
  bool is_empty() const noexcept { return len() == 0; }

 private:
  static constexpr std::uint32_t unpack_steal(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }
  static constexpr std::uint32_t unpack_real(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h); }
  static constexpr std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
    return (std::uint64_t{steal} << 32) | real;
  }

  // Owner only, ring full and no thief active: claim the older half with one
  // CAS and chain it (plus `t`) into a batch for the global queue.
  overflow push_overflow(task_header* t, std::uint32_t head, std::uint32_t tail) noexcept {
    constexpr std::uint32_t n = capacity / 2;
    (void)tail;
    std::uint64_t expected = pack(head, head);
    // Release: the slots we take are ours from here; relaxed on failure (we
    // just retry the push).
    if (!head_.compare_exchange_strong(expected, pack(head + n, head + n), std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return {};
    }
    overflow o;
    o.first = slots_[head & mask].load(std::memory_order_relaxed);
    task_header* prev = o.first;
    for (std::uint32_t i = 1; i < n; ++i) {
      task_header* cur = slots_[(head + i) & mask].load(std::memory_order_relaxed);
      prev->next = cur;
      prev = cur;
    }
    prev->next = t;
    t->next = nullptr;
    o.last = t;
    o.count = n + 1;
    return o;
  }

  std::uint32_t steal_into2(local_queue& dst, std::uint32_t dst_tail) noexcept {
    std::uint64_t prev = head_.load(std::memory_order_acquire);
    std::uint64_t next;
    std::uint32_t n;
    for (;;) {
      const std::uint32_t steal = unpack_steal(prev);
      const std::uint32_t real = unpack_real(prev);
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);
      if (steal != real) return 0;  // another thief is at work
      n = tail - real;
      n -= n / 2;  // take half, rounding up
      if (n == 0) return 0;
      next = pack(steal, real + n);
      if (head_.compare_exchange_weak(prev, next, std::memory_order_acq_rel, std::memory_order_acquire)) break;
    }
    const std::uint32_t first = unpack_steal(next);
    for (std::uint32_t i = 0; i < n; ++i) {
      task_header* t = slots_[(first + i) & mask].load(std::memory_order_relaxed);
      dst.slots_[(dst_tail + i) & mask].store(t, std::memory_order_relaxed);
    }
    // Hand the copied slots back: steal catches up with real. The owner may
    // have popped meanwhile (moving real), so retry with what we see.
    prev = next;
    for (;;) {
      const std::uint32_t real = unpack_real(prev);
      if (head_.compare_exchange_weak(prev, pack(real, real), std::memory_order_acq_rel, std::memory_order_acquire)) {
        return n;
      }
    }
  }

  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  alignas(64) std::array<std::atomic<task_header*>, capacity> slots_{};
};

}  // namespace ringlane::detail
