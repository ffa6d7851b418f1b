// timer_wheel.hpp -- the worker's hierarchical timer wheel.
//
// A pure data structure: no threads, no clock, no atomics. The caller passes
// time in as integer milliseconds ("ticks") and drives the wheel with
// advance(now); the engine turns next_deadline() into the ring's wait timeout
// (IO_URING.md section 5). One wheel per worker, owner thread only: another
// thread cancels a timer by sending a message to the owner's inbox.
//
// Theory. Varghese & Lauck, "Hashed and Hierarchical Timing Wheels" (SOSP
// 1987): with a hierarchy of wheels, start and stop are O(1) and the work per
// tick is amortised O(1). The layout below is the one Tokio uses
// (tokio/src/runtime/time/wheel/{mod,level}.rs): 6 levels of 64 slots.
//
//   level  slot width          level span (64 slots)
//     0    1 ms                64 ms
//     1    64 ms               4.1 s
//     2    4.1 s               4.4 min
//     3    4.4 min             4.7 h
//     4    4.7 h               12.4 days
//     5    12.4 days           795 days (2^36 ms, ~2.2 years)
//
// Where an entry goes. Write the deadline and `now` in base 64 (6 bits per
// digit). The entry is filed at the level of the highest digit in which they
// differ, in the slot named by the deadline's digit at that level. Because
// all higher digits agree, a level-L slot always lies ahead of now within the
// current level-L span, and every lower level holds earlier deadlines than
// any higher level. So the next slot to process is the first occupied slot
// of the lowest non-empty level; each level keeps a 64-bit occupancy mask,
// which makes that a rotate and a count-trailing-zeros.
//
// Cascading. When time reaches a slot above level 0, its entries are
// re-filed against the new `now` and fall to lower levels (or fire, if the
// target time of advance() is already past their deadline). An entry within
// the span moves down at most 5 times; a 60 s keep-alive timeout starts on
// level 2 (or 3 if it straddles a 4.4 min boundary) and usually moves twice.
//
// Beyond the span. A deadline 2^36 ms or more away (or whose top digits
// differ from now's) is clamped into level 5, in the slot of its own level-5
// digit. The top level then acts as a ring: a slot at or behind now's slot
// means "one rotation later". When such a slot is reached the entry is simply
// re-filed; it moves closer by one rotation per visit.
//
// Lazy reset. Keep-alive and idle timeouts are pushed back on every request.
// reset() to a later deadline only stores the new deadline; the entry stays
// in its old slot and is re-filed when that slot is reached (Tokio,
// time/entry.rs). So a busy connection costs one store per request, and
// next_deadline() may report a time earlier than any real deadline: a
// spurious early wake-up, never a late one.
//
// Lateness: none. advance(now) fires every entry whose deadline is <= now,
// in that call. The only delay is the caller's: how soon after the deadline
// it calls advance (wake-up latency, plus rounding deadlines up to whole ms).
// Unlike Linux's non-cascading wheel, no level trades precision for speed.
//
// Why these numbers. 64 slots, because the occupancy of a level is then one
// machine word and "next occupied slot" is one instruction. 1 ms resolution,
// because HTTP timeouts are seconds and the ring's wait timeout (and
// epoll_wait's) is a whole number of milliseconds anyway; a finer tick would
// need more levels for the same span. 6 levels, because 64^6 ms (~2.2 years)
// covers any timeout a server sets, and the rare farther deadline is still
// correct (clamped, above). Memory: 384 list heads of 16 bytes = 6 KiB per
// wheel. Costs are measured by bench/micro/timer_wheel_bench.cpp
// (BM_timer_insert_cancel, BM_timer_advance).
//
// Ownership. timer_entry is intrusive: embed it in (or derive from it in) the
// object that owns the timer. No allocation per timer. The owner must
// cancel() before destroying an armed entry (~timer_entry does not cancel; it
// asserts in debug builds); destroying the wheel disarms, without firing,
// whatever is still in it.
//
// Time is a count of ms from any epoch (the worker uses its scheduler's
// epoch, deadlines rounded up). The arithmetic is exact for every value below
// 2^64 - 2^37, i.e. for the next half-billion years of any sane epoch.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace ringlane::detail {

class timer_wheel;

// The two links of a circular doubly linked list. Each list has a sentinel
// link (in the wheel) and entries derive from it, so unlinking needs no
// knowledge of which list the entry is on (the Linux list_head idiom).
struct timer_link {
  timer_link* prev = nullptr;
  timer_link* next = nullptr;
};

struct timer_entry : private timer_link {
 public:
  using fire_fn = void (*)(timer_entry&) noexcept;

  // Called by advance() after the entry has been unlinked and disarmed, so
  // the callback may re-insert this entry and insert or cancel others.
  // Set by the owner; may be left null (the entry then just expires).
  fire_fn on_fire = nullptr;

  timer_entry() = default;
  explicit timer_entry(fire_fn f) noexcept : on_fire(f) {}
  // Linked into a wheel by address: neither copyable nor movable.
  timer_entry(const timer_entry&) = delete;
  timer_entry& operator=(const timer_entry&) = delete;
  ~timer_entry() { assert(!armed() && "timer_entry destroyed while armed: cancel() first"); }

  // Inserted and not yet fired or cancelled.
  bool armed() const noexcept { return where_ != where::none; }
  // The deadline of the last insert/reset (ms), armed or not.
  std::uint64_t deadline() const noexcept { return deadline_; }

 private:
  friend class timer_wheel;

  enum class where : std::uint8_t {
    none,   // not in the wheel
    slot,   // in levels_[level_].slots[slot_]
    ready,  // deadline already passed: on the wheel's ready_ or firing_ list
  };

  std::uint64_t deadline_ = 0;  // when to fire
  std::uint64_t filed_ = 0;     // deadline the slot was chosen for (<= deadline_;
                                // lower only after a lazy reset)
  std::uint8_t level_ = 0;      // valid when where_ == slot
  std::uint8_t slot_ = 0;
  where where_ = where::none;
};

class timer_wheel {
 public:
  static constexpr unsigned kSlotBits = 6;
  static constexpr unsigned kSlots = 1u << kSlotBits;  // per level
  static constexpr unsigned kLevels = 6;
  // Deadlines this far from now (or farther) are clamped into the top level.
  static constexpr std::uint64_t kSpan = std::uint64_t{1} << (kSlotBits * kLevels);
  static_assert(kSlots == 64, "one occupancy word per level");
  static_assert(kSpan == (std::uint64_t{1} << 36), "2^36 ms ~ 2.2 years");

  explicit timer_wheel(std::uint64_t now_ms = 0);
  ~timer_wheel();  // disarms remaining entries without firing them
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // Arms `e`. Precondition: !e.armed(). A deadline <= now() fires at the
  // next advance() (also when inserted from a callback: never in the
  // advance() that is running, so a callback cannot loop forever).
  void insert(timer_entry& e, std::uint64_t deadline_ms);

  // Disarms `e` in O(1), wherever it is (also when it is about to fire in
  // the running advance()). No-op if `e` is not armed.
  void cancel(timer_entry& e) noexcept;

  // Re-arms `e` for `deadline_ms`. If `e` waits in a slot and the new
  // deadline is not earlier, this is lazy: only the stored deadline changes.
  // Otherwise (earlier, unarmed, or already due): cancel + insert.
  void reset(timer_entry& e, std::uint64_t deadline_ms);

  // The earliest time at which advance() may have work to do: never later
  // than the earliest deadline, possibly earlier (a cascade, or a lazily
  // reset entry). <= now() when something is due. nullopt when empty.
  std::optional<std::uint64_t> next_deadline() const noexcept;

  // Moves time to `now_ms` (a smaller value is ignored: time never goes
  // backwards) and fires every entry whose deadline is <= now_ms; during
  // the callbacks now() is already now_ms. Order: entries that were already
  // due, then slot by slot in time order (unspecified within a slot).
  // Returns how many fired. Jumps of any size cost O(occupied slots passed
  // + entries moved), not O(elapsed ms). Must not be called from a callback.
  std::size_t advance(std::uint64_t now_ms);

  std::uint64_t now() const noexcept { return now_; }
  std::size_t size() const noexcept { return size_; }  // armed entries

  // Human-readable state: per level, occupied slots and their deadlines.
  void dump(std::ostream& out) const;
  // Checks every invariant (links, occupancy masks, counts, level/slot vs.
  // deadline and now). On failure returns false and says why.
  bool validate(std::string* why = nullptr) const;

 private:
  struct wheel_level {
    std::uint64_t occupied = 0;  // bit s set <=> slots[s] is non-empty
    std::array<timer_link, kSlots> slots;
  };

  // The next slot to process and when it starts.
  struct expiration {
    unsigned level;
    unsigned slot;
    std::uint64_t when;
  };

  std::optional<expiration> next_expiration() const noexcept;
  std::uint64_t slot_start(unsigned lv, unsigned slot) const noexcept;
  void file(timer_entry& e) noexcept;  // into the slot for e.filed_ vs now_
  void disarm_all(timer_link& list) noexcept;
  // timer_link is a private base of timer_entry; only friends may convert.
  static timer_link& link_of(timer_entry& e) noexcept { return e; }
  static timer_entry& entry_of(timer_link& l) noexcept {
    return static_cast<timer_entry&>(l);
  }
  static const timer_entry& entry_of(const timer_link& l) noexcept {
    return static_cast<const timer_entry&>(l);
  }

  std::array<wheel_level, kLevels> levels_;
  timer_link ready_;      // inserted with deadline <= now_; fire next advance()
  timer_link firing_;     // being fired by the running advance()
  std::uint64_t ready_min_;  // <= every deadline on ready_ (may be stale-low)
  // <= the start of every occupied slot (stale-low after a cancel): an
  // advance() to a time before it has no slot to visit, only now_ to move.
  std::uint64_t next_due_;
  std::uint64_t now_;
  std::size_t size_ = 0;
  bool advancing_ = false;
};

}  // namespace ringlane::detail
