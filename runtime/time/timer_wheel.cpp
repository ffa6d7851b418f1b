// timer_wheel.cpp -- the hierarchical timer wheel; the design, the numbers and
// the guarantees are explained at the top of timer_wheel.hpp.
#include "runtime/time/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <ostream>

namespace ringlane::detail {
namespace {

constexpr unsigned kSlotBits = timer_wheel::kSlotBits;
constexpr std::uint64_t kSlotMask = timer_wheel::kSlots - 1;
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Width of one slot of `level`, and of the whole level (64 slots), in ms.
constexpr std::uint64_t slot_width(unsigned level) noexcept {
  return std::uint64_t{1} << (level * kSlotBits);
}
constexpr std::uint64_t level_span(unsigned level) noexcept {
  return slot_width(level + 1);
}

// The level for `deadline`: the highest base-64 digit in which it differs
// from `now`. OR-ing in the slot mask maps "differs only in digit 0" to
// level 0 (and keeps countl_zero below 64); a difference at or above kSpan
// is clamped into the top level.
constexpr unsigned level_for(std::uint64_t now, std::uint64_t deadline) noexcept {
  std::uint64_t diff = (now ^ deadline) | kSlotMask;
  if (diff >= timer_wheel::kSpan) diff = timer_wheel::kSpan - 1;
  const unsigned highest_bit = 63u - static_cast<unsigned>(std::countl_zero(diff));
  return highest_bit / kSlotBits;
}

// The slot for `deadline` at `level`: its base-64 digit there.
constexpr unsigned slot_for(std::uint64_t deadline, unsigned level) noexcept {
  return static_cast<unsigned>((deadline >> (level * kSlotBits)) & kSlotMask);
}

static_assert(level_for(0, 1) == 0 && level_for(0, 63) == 0);
static_assert(level_for(0, 64) == 1 && level_for(63, 64) == 1);
static_assert(level_for(0, timer_wheel::kSpan - 1) == 5);
static_assert(level_for(0, kNever) == 5);

// Circular doubly linked lists with a sentinel head: an empty list is a head
// pointing at itself, so no operation needs a null check or the list's name.
void list_init(timer_link& head) noexcept { head.prev = head.next = &head; }

bool list_empty(const timer_link& head) noexcept { return head.next == &head; }

void list_push_back(timer_link& head, timer_link& node) noexcept {
  node.prev = head.prev;
  node.next = &head;
  head.prev->next = &node;
  head.prev = &node;
}

void list_unlink(timer_link& node) noexcept {
  node.prev->next = node.next;
  node.next->prev = node.prev;
  node.prev = node.next = nullptr;
}

// Moves all of `from` to the end of `to` in O(1); `from` becomes empty.
void list_splice_back(timer_link& to, timer_link& from) noexcept {
  if (list_empty(from)) return;
  timer_link* first = from.next;
  timer_link* last = from.prev;
  first->prev = to.prev;
  to.prev->next = first;
  last->next = &to;
  to.prev = last;
  list_init(from);
}

}  // namespace

timer_wheel::timer_wheel(std::uint64_t now_ms) : ready_min_(kNever), next_due_(kNever), now_(now_ms) {
  for (wheel_level& lv : levels_) {
    for (timer_link& head : lv.slots) list_init(head);
  }
  list_init(ready_);
  list_init(firing_);
}

timer_wheel::~timer_wheel() {
  for (wheel_level& lv : levels_) {
    for (timer_link& head : lv.slots) disarm_all(head);
  }
  disarm_all(ready_);
  disarm_all(firing_);
}

void timer_wheel::disarm_all(timer_link& list) noexcept {
  while (!list_empty(list)) {
    timer_link& node = *list.next;
    list_unlink(node);
    entry_of(node).where_ = timer_entry::where::none;
  }
}

void timer_wheel::insert(timer_entry& e, std::uint64_t deadline_ms) {
  assert(!e.armed() && "timer_wheel::insert: entry already armed (use reset)");
  e.deadline_ = deadline_ms;
  ++size_;
  if (deadline_ms <= now_) {
    e.where_ = timer_entry::where::ready;
    list_push_back(ready_, link_of(e));
    ready_min_ = std::min(ready_min_, deadline_ms);
    return;
  }
  e.filed_ = deadline_ms;
  file(e);
}

void timer_wheel::file(timer_entry& e) noexcept {
  const unsigned lv = level_for(now_, e.filed_);
  const unsigned slot = slot_for(e.filed_, lv);
  e.level_ = static_cast<std::uint8_t>(lv);
  e.slot_ = static_cast<std::uint8_t>(slot);
  e.where_ = timer_entry::where::slot;
  list_push_back(levels_[lv].slots[slot], link_of(e));
  levels_[lv].occupied |= std::uint64_t{1} << slot;
  next_due_ = std::min(next_due_, slot_start(lv, slot));
}

void timer_wheel::cancel(timer_entry& e) noexcept {
  if (!e.armed()) return;
  list_unlink(link_of(e));
  if (e.where_ == timer_entry::where::slot) {
    wheel_level& lv = levels_[e.level_];
    if (list_empty(lv.slots[e.slot_])) lv.occupied &= ~(std::uint64_t{1} << e.slot_);
  }
  e.where_ = timer_entry::where::none;
  --size_;
}

void timer_wheel::reset(timer_entry& e, std::uint64_t deadline_ms) {
  if (e.where_ == timer_entry::where::slot && deadline_ms >= e.deadline_) {
    e.deadline_ = deadline_ms;  // lazy: re-filed when its slot is reached
    return;
  }
  cancel(e);
  insert(e, deadline_ms);
}

// When slot `slot` of level `lv` is next reached. At levels 0-4 the slot lies
// ahead of now within now's current level span. At the top level a slot at or
// behind now's own slot holds clamped entries and means the next rotation.
std::uint64_t timer_wheel::slot_start(unsigned lv, unsigned slot) const noexcept {
  const std::uint64_t span = level_span(lv);
  std::uint64_t when = (now_ & ~(span - 1)) + slot * slot_width(lv);
  if (when <= now_) when += span;
  return when;
}

std::optional<timer_wheel::expiration> timer_wheel::next_expiration() const noexcept {
  // Every entry on a lower level is due before any entry on a higher level,
  // so the first non-empty level has the answer.
  for (unsigned lv = 0; lv < kLevels; ++lv) {
    const std::uint64_t occupied = levels_[lv].occupied;
    if (occupied == 0) continue;
    // Search from the slot after now's: below the top, now's own slot is
    // always empty (an entry agreeing with now up to this digit sits lower);
    // at the top it can only hold next-rotation entries, so it comes last.
    const unsigned first = (slot_for(now_, lv) + 1) & kSlotMask;
    const std::uint64_t rotated = std::rotr(occupied, static_cast<int>(first));
    const unsigned slot = (first + static_cast<unsigned>(std::countr_zero(rotated))) & kSlotMask;
    return expiration{lv, slot, slot_start(lv, slot)};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> timer_wheel::next_deadline() const noexcept {
  if (!list_empty(ready_)) return ready_min_;  // <= now_: wake at once
  if (const auto exp = next_expiration()) return exp->when;
  return std::nullopt;
}

std::size_t timer_wheel::advance(std::uint64_t now_ms) {
  assert(!advancing_ && "timer_wheel::advance called from a timer callback");
  const std::uint64_t target = std::max(now_ms, now_);
  // The common call -- a worker's loop turn, nothing due yet -- only moves
  // the clock: no slot starts by `target` (next_due_ is a lower bound), and
  // nothing waits on ready_.
  if (target < next_due_ && list_empty(ready_)) {
    now_ = target;
    return 0;
  }

  // Step 1: entries inserted with a deadline already past fire first.
  list_splice_back(firing_, ready_);
  ready_min_ = kNever;

  // Step 2: visit, in time order, every occupied slot that starts at or
  // before `target` (empty slots are skipped through the masks, so a jump of
  // any length costs nothing per millisecond). Moving now_ to the slot's
  // start keeps every other entry's level and slot valid. Entries due by
  // `target` join firing_; the others (cascades, lazily reset or clamped
  // entries) are re-filed against the new now_ and land lower.
  std::optional<expiration> exp = next_expiration();
  for (; exp && exp->when <= target; exp = next_expiration()) {
    now_ = exp->when;
    wheel_level& lv = levels_[exp->level];
    lv.occupied &= ~(std::uint64_t{1} << exp->slot);
    timer_link taken;  // detach the slot first: re-filing may target it again
    list_init(taken);
    list_splice_back(taken, lv.slots[exp->slot]);
    while (!list_empty(taken)) {
      timer_entry& e = entry_of(*taken.next);
      list_unlink(link_of(e));
      if (e.deadline_ <= target) {
        e.where_ = timer_entry::where::ready;
        list_push_back(firing_, link_of(e));
      } else {
        e.filed_ = e.deadline_;
        file(e);
      }
    }
  }
  now_ = target;
  // The first slot left starts where it did before now_ moved: exact again.
  next_due_ = exp ? exp->when : kNever;

  // Step 3: fire. Each entry is unlinked and disarmed before its callback
  // runs, so the callback may re-insert it; a callback that cancels another
  // entry still on firing_ unlinks it from there, and it does not fire.
  // Entries inserted by callbacks with deadline <= now_ go to ready_ and wait
  // for the next advance(), so this loop always ends.
  advancing_ = true;
  std::size_t fired = 0;
  while (!list_empty(firing_)) {
    timer_entry& e = entry_of(*firing_.next);
    list_unlink(link_of(e));
    e.where_ = timer_entry::where::none;
    --size_;
    ++fired;
    if (e.on_fire != nullptr) e.on_fire(e);
  }
  advancing_ = false;
  return fired;
}

void timer_wheel::dump(std::ostream& out) const {
  auto entries = [&](const timer_link& head) {
    for (const timer_link* p = head.next; p != &head; p = p->next) {
      const timer_entry& e = entry_of(*p);
      out << ' ' << e.deadline_;
      if (e.where_ == timer_entry::where::slot && e.filed_ != e.deadline_)
        out << "(filed " << e.filed_ << ')';
    }
  };
  out << "timer_wheel now=" << now_ << " armed=" << size_ << '\n';
  if (!list_empty(ready_)) {
    out << "  ready:";
    entries(ready_);
    out << '\n';
  }
  if (!list_empty(firing_)) {
    out << "  firing:";
    entries(firing_);
    out << '\n';
  }
  for (unsigned lv = 0; lv < kLevels; ++lv) {
    if (levels_[lv].occupied == 0) continue;
    out << "  level " << lv << " (" << slot_width(lv) << " ms slots):\n";
    for (unsigned s = 0; s < kSlots; ++s) {
      if (list_empty(levels_[lv].slots[s])) continue;
      out << "    slot " << s << " @" << slot_start(lv, s) << ':';
      entries(levels_[lv].slots[s]);
      out << '\n';
    }
  }
}

bool timer_wheel::validate(std::string* why) const {
  auto fail = [why](const std::string& msg) {
    if (why != nullptr) *why = msg;
    return false;
  };
  const auto str = [](std::uint64_t v) { return std::to_string(v); };
  std::size_t counted = 0;

  // Walks one list: links must be mutual, and the walk must end within
  // size_ entries (a longer one means a cycle or a foreign node). `name`
  // makes the list's name, only on failure.
  auto walk = [&](const timer_link& head, auto&& name, auto&& check) {
    const timer_link* p = &head;
    for (std::size_t n = 0;; ++n) {
      const timer_link* q = p->next;
      if (q == nullptr || q->prev != p) return fail(name() + ": broken prev/next link");
      if (q == &head) return true;
      if (n >= size_) return fail(name() + ": more entries than size()");
      const timer_entry& e = entry_of(*q);
      if (const char* bad = check(e))
        return fail(name() + ": entry with deadline " + str(e.deadline_) + " (filed " +
                    str(e.filed_) + ", now " + str(now_) + "): " + bad);
      ++counted;
      p = q;
    }
  };

  // Due entries: deadline passed; ready_min_ is a lower bound on ready_.
  auto due = [&](bool on_ready) {
    return [this, on_ready](const timer_entry& e) -> const char* {
      if (e.where_ != timer_entry::where::ready) return "not marked ready";
      if (e.deadline_ > now_) return "on a due list but not due";
      if (on_ready && e.deadline_ < ready_min_) return "below ready_min_";
      return nullptr;
    };
  };
  if (!walk(ready_, [] { return std::string("ready"); }, due(true))) return false;
  if (!advancing_ && !list_empty(firing_)) return fail("firing: not empty outside advance()");
  if (!walk(firing_, [] { return std::string("firing"); }, due(false))) return false;

  for (unsigned lv = 0; lv < kLevels; ++lv) {
    for (unsigned s = 0; s < kSlots; ++s) {
      const timer_link& head = levels_[lv].slots[s];
      auto name = [&] { return "level " + str(lv) + " slot " + str(s); };
      const bool bit = (levels_[lv].occupied >> s) & 1;
      if (bit == list_empty(head)) return fail(name() + ": occupancy bit disagrees with list");
      if (!bit) continue;
      const std::uint64_t start = slot_start(lv, s);
      auto placed = [&](const timer_entry& e) -> const char* {
        if (e.where_ != timer_entry::where::slot) return "not marked as in a slot";
        if (e.level_ != lv || e.slot_ != s) return "records another level/slot";
        if (e.filed_ > e.deadline_) return "filed later than its deadline";
        if (e.filed_ <= now_) return "filed at or before now";
        if (level_for(now_, e.filed_) != lv || slot_for(e.filed_, lv) != s)
          return "filed deadline belongs to another level/slot";
        if (start <= now_ || start > e.filed_) return "slot is not reached in (now, filed]";
        return nullptr;
      };
      if (!walk(head, name, placed)) return false;
    }
  }
  if (counted != size_)
    return fail("size() is " + str(size_) + " but " + str(counted) + " entries are linked");
  return true;
}

}  // namespace ringlane::detail
