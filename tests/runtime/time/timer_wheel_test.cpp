// timer_wheel_test.cpp -- tests for runtime/time/timer_wheel.hpp.
//
// Time is driven by hand, so every test is deterministic. The last test runs
// tens of thousands of random operations against a std::multimap reference;
// its seed is printed and can be overridden with TIMER_WHEEL_SEED=<n>.
#include "runtime/time/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ringlane::detail::timer_entry;
using ringlane::detail::timer_wheel;

constexpr std::uint64_t kSpan = timer_wheel::kSpan;
constexpr std::uint64_t kDay = 24ull * 3600 * 1000;

struct fired {
  int id;
  std::uint64_t at;  // wheel.now() inside the callback
};

struct harness {
  timer_wheel wheel;
  std::vector<fired> log;
  explicit harness(std::uint64_t now = 0) : wheel(now) {}
};

// A timer owner: derives from timer_entry, logs each firing, then runs an
// optional extra action (re-insert, cancel another, ...).
struct probe : timer_entry {
  harness* h;
  int id;
  std::function<void(probe&)> then;

  probe(harness& owner, int ident) : timer_entry(&record), h(&owner), id(ident) {}
  // Owners cancel before they go (also when an ASSERT leaves a test early).
  ~probe() {
    if (armed()) h->wheel.cancel(*this);
  }

  static void record(timer_entry& e) noexcept {
    auto& self = static_cast<probe&>(e);
    self.h->log.push_back({self.id, self.h->wheel.now()});
    if (self.then) self.then(self);
  }
};

::testing::AssertionResult valid(const timer_wheel& w) {
  std::string why;
  if (w.validate(&why)) return ::testing::AssertionSuccess();
  std::ostringstream dump;
  w.dump(dump);
  return ::testing::AssertionFailure() << why << '\n' << dump.str();
}

TEST(TimerWheel, FiresAnEntryOnceAtItsDeadline) {
  harness h;
  probe a(h, 1);
  h.wheel.insert(a, 10);
  EXPECT_TRUE(a.armed());
  EXPECT_EQ(a.deadline(), 10u);
  EXPECT_EQ(h.wheel.size(), 1u);
  EXPECT_TRUE(valid(h.wheel));

  EXPECT_EQ(h.wheel.advance(9), 0u);
  EXPECT_TRUE(h.log.empty());
  EXPECT_EQ(h.wheel.advance(10), 1u);
  ASSERT_EQ(h.log.size(), 1u);
  EXPECT_EQ(h.log[0].id, 1);
  EXPECT_EQ(h.log[0].at, 10u);
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(h.wheel.size(), 0u);
  EXPECT_EQ(h.wheel.next_deadline(), std::nullopt);
  EXPECT_EQ(h.wheel.advance(1000), 0u);
  EXPECT_TRUE(valid(h.wheel));
}

TEST(TimerWheel, FiresExactlyAtTheDeadlineNotBeforeAtAnyDistance) {
  const std::uint64_t distances[] = {1,        2,           63,          64,
                                     65,       4095,        4096,        4097,
                                     262'147,  16'777'216,  kDay + 5,    30 * kDay + 1,
                                     kSpan - 1, kSpan,      kSpan + 12'345, 3 * kSpan + 7};
  for (const std::uint64_t start : {std::uint64_t{0}, std::uint64_t{1'000'003}, kSpan - 2}) {
    for (const std::uint64_t d : distances) {
      SCOPED_TRACE("start " + std::to_string(start) + " distance " + std::to_string(d));
      harness h(start);
      probe a(h, 1);
      h.wheel.insert(a, start + d);
      ASSERT_TRUE(valid(h.wheel));
      ASSERT_LE(*h.wheel.next_deadline(), start + d);
      EXPECT_EQ(h.wheel.advance(start + d - 1), 0u);
      ASSERT_TRUE(valid(h.wheel));
      EXPECT_TRUE(a.armed());
      EXPECT_EQ(h.wheel.advance(start + d), 1u);
      ASSERT_EQ(h.log.size(), 1u);
      EXPECT_EQ(h.log[0].at, start + d);
      EXPECT_TRUE(valid(h.wheel));
    }
  }
}

TEST(TimerWheel, PastDeadlinesFireAtTheNextAdvanceEvenIfTimeStandsStill) {
  harness h(100);
  probe a(h, 1), b(h, 2);
  h.wheel.insert(a, 50);
  h.wheel.insert(b, 100);
  EXPECT_EQ(h.wheel.next_deadline(), 50u);
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(100), 2u);
  EXPECT_EQ(h.wheel.size(), 0u);
  EXPECT_EQ(h.wheel.next_deadline(), std::nullopt);
}

TEST(TimerWheel, TimeNeverMovesBackwards) {
  harness h;
  probe a(h, 1);
  h.wheel.advance(100);
  h.wheel.insert(a, 120);
  EXPECT_EQ(h.wheel.advance(50), 0u);
  EXPECT_EQ(h.wheel.now(), 100u);
  EXPECT_EQ(h.wheel.advance(120), 1u);
}

TEST(TimerWheel, CancelledEntriesDoNotFire) {
  harness h;
  probe a(h, 1), b(h, 2), idle(h, 3);
  h.wheel.insert(a, 20);
  h.wheel.insert(b, 20);
  h.wheel.cancel(a);
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(h.wheel.size(), 1u);
  h.wheel.cancel(a);     // twice: no-op
  h.wheel.cancel(idle);  // never armed: no-op
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(100), 1u);
  ASSERT_EQ(h.log.size(), 1u);
  EXPECT_EQ(h.log[0].id, 2);
}

TEST(TimerWheel, CancellingTheLastEntryEmptiesTheWheel) {
  harness h;
  probe a(h, 1);
  h.wheel.insert(a, 5 * kDay);
  h.wheel.cancel(a);
  EXPECT_EQ(h.wheel.next_deadline(), std::nullopt);
  EXPECT_TRUE(valid(h.wheel));
  h.wheel.insert(a, 0);  // due at once, then cancelled from the ready list
  h.wheel.cancel(a);
  EXPECT_EQ(h.wheel.next_deadline(), std::nullopt);
  EXPECT_EQ(h.wheel.advance(10), 0u);
}

TEST(TimerWheel, ResetToAnEarlierDeadlineMovesTheEntry) {
  harness h;
  probe a(h, 1);
  h.wheel.insert(a, 1000);
  h.wheel.reset(a, 10);
  EXPECT_EQ(a.deadline(), 10u);
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.next_deadline(), 10u);
  EXPECT_EQ(h.wheel.advance(10), 1u);
  EXPECT_EQ(h.wheel.advance(2000), 0u);
}

TEST(TimerWheel, ResetToALaterDeadlineIsLazyButNeverFiresEarly) {
  harness h;
  probe a(h, 1);
  h.wheel.insert(a, 100);
  h.wheel.reset(a, 5000);
  EXPECT_EQ(a.deadline(), 5000u);
  EXPECT_TRUE(valid(h.wheel));
  // Still filed under the old deadline: an early wake-up is allowed.
  EXPECT_LE(*h.wheel.next_deadline(), 100u);
  EXPECT_EQ(h.wheel.advance(100), 0u);  // old slot reached: re-filed
  EXPECT_TRUE(a.armed());
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(4999), 0u);
  EXPECT_EQ(h.wheel.advance(5000), 1u);
  EXPECT_EQ(h.log.at(0).at, 5000u);
}

TEST(TimerWheel, KeepAliveResetOnEveryRequestFiresOnceAfterTheLast) {
  harness h;
  probe idle(h, 1);
  constexpr std::uint64_t kTimeout = 60'000;
  h.wheel.insert(idle, kTimeout);
  std::uint64_t now = 0;
  for (int request = 0; request < 5000; ++request) {
    now += 37;
    ASSERT_EQ(h.wheel.advance(now), 0u);
    h.wheel.reset(idle, now + kTimeout);
  }
  ASSERT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(now + kTimeout - 1), 0u);
  EXPECT_EQ(h.wheel.advance(now + kTimeout), 1u);
}

TEST(TimerWheel, ResetArmsAnIdleEntryAndReordersADueOne) {
  harness h(50);
  probe a(h, 1), b(h, 2);
  h.wheel.reset(a, 60);  // not armed: plain insert
  EXPECT_TRUE(a.armed());
  h.wheel.insert(b, 10);  // already due
  h.wheel.reset(b, 70);   // due entries are moved, not lazily kept
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(60), 1u);
  EXPECT_EQ(h.wheel.advance(70), 1u);
  EXPECT_EQ(h.log.at(1).id, 2);
}

TEST(TimerWheel, ACallbackMayReinsertItsOwnEntry) {
  harness h;
  probe tick(h, 1);
  tick.then = [](probe& p) { p.h->wheel.insert(p, p.h->wheel.now() + 7); };
  h.wheel.insert(tick, 7);
  for (std::uint64_t t = 1; t <= 70; ++t) h.wheel.advance(t);
  ASSERT_EQ(h.log.size(), 10u);
  for (std::size_t i = 0; i < h.log.size(); ++i) EXPECT_EQ(h.log[i].at, 7 * (i + 1));
  EXPECT_TRUE(tick.armed());
  EXPECT_EQ(h.wheel.advance(1000), 1u);  // a jump fires a periodic timer once
  EXPECT_EQ(tick.deadline(), 1007u);
  EXPECT_TRUE(valid(h.wheel));
}

TEST(TimerWheel, AnEntryReinsertedAsDueFromItsCallbackWaitsForTheNextAdvance) {
  harness h;
  probe again(h, 1);
  again.then = [](probe& p) { p.h->wheel.insert(p, p.h->wheel.now()); };
  h.wheel.insert(again, 5);
  EXPECT_EQ(h.wheel.advance(5), 1u);  // no endless loop
  EXPECT_TRUE(again.armed());
  EXPECT_EQ(h.wheel.next_deadline(), 5u);
  EXPECT_EQ(h.wheel.advance(5), 1u);
  EXPECT_EQ(h.wheel.size(), 1u);
  EXPECT_TRUE(valid(h.wheel));
}

TEST(TimerWheel, ACallbackMayCancelAnotherEntryDueInTheSameAdvance) {
  harness h;
  probe a(h, 1), b(h, 2);
  a.then = [&b](probe& p) { p.h->wheel.cancel(b); };
  b.then = [&a](probe& p) { p.h->wheel.cancel(a); };
  h.wheel.insert(a, 5);
  h.wheel.insert(b, 5);
  EXPECT_EQ(h.wheel.advance(5), 1u);  // whichever fires first cancels the other
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(b.armed());
  EXPECT_EQ(h.wheel.size(), 0u);

  // Same across a jump and across levels: 3 fires before 3000 and cancels it.
  h.log.clear();
  h.wheel.insert(a, h.wheel.now() + 3);
  h.wheel.insert(b, h.wheel.now() + 3000);
  EXPECT_EQ(h.wheel.advance(h.wheel.now() + 10'000), 1u);
  ASSERT_EQ(h.log.size(), 1u);
  EXPECT_EQ(h.log[0].id, 1);
  EXPECT_TRUE(valid(h.wheel));
}

TEST(TimerWheel, ACallbackMayInsertOthersWhichFireOnlyWhenDue) {
  harness h;
  probe a(h, 1), later(h, 2), due(h, 3);
  a.then = [&](probe& p) {
    p.h->wheel.insert(later, p.h->wheel.now() + 1);
    p.h->wheel.insert(due, p.h->wheel.now());
  };
  h.wheel.insert(a, 10);
  EXPECT_EQ(h.wheel.advance(20), 1u);  // callback sees now() == 20
  EXPECT_EQ(later.deadline(), 21u);
  EXPECT_EQ(h.wheel.advance(20), 1u);  // `due` fires at the next advance
  EXPECT_EQ(h.wheel.advance(21), 1u);
}

TEST(TimerWheel, FarDeadlinesBeyondTheSpanAreClampedAndStillExact) {
  harness h(12'345);
  probe day(h, 1), years(h, 2), never(h, 3);
  const std::uint64_t d1 = 12'345 + 2 * kDay + 17;
  const std::uint64_t d2 = 12'345 + 5 * kSpan + 99;  // ~11 years
  h.wheel.insert(day, d1);
  h.wheel.insert(years, d2);
  h.wheel.insert(never, std::numeric_limits<std::uint64_t>::max());
  ASSERT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(d1 - 1), 0u);
  EXPECT_EQ(h.wheel.advance(d1), 1u);
  ASSERT_TRUE(valid(h.wheel));
  for (std::uint64_t t = d1; t + kDay < d2; t += 97 * kDay) {  // many top-level laps
    ASSERT_EQ(h.wheel.advance(t), 0u);
    ASSERT_TRUE(valid(h.wheel));
    ASSERT_LE(*h.wheel.next_deadline(), d2);
  }
  EXPECT_EQ(h.wheel.advance(d2 - 1), 0u);
  EXPECT_EQ(h.wheel.advance(d2), 1u);
  EXPECT_EQ(h.log.back().id, 2);
  EXPECT_TRUE(never.armed());
  EXPECT_EQ(h.wheel.advance(d2 + 1000 * kSpan), 0u);
  EXPECT_TRUE(valid(h.wheel));
  h.wheel.cancel(never);
}

TEST(TimerWheel, BigJumpsFireEverythingDueAndNothingElse) {
  harness h;
  std::mt19937_64 rng(7);
  std::vector<std::unique_ptr<probe>> timers;
  std::multiset<std::uint64_t> pending;
  for (int i = 0; i < 20'000; ++i) {
    timers.push_back(std::make_unique<probe>(h, i));
    const std::uint64_t d = 1 + rng() % (3 * kSpan);
    h.wheel.insert(*timers.back(), d);
    pending.insert(d);
  }
  ASSERT_TRUE(valid(h.wheel));
  for (const std::uint64_t target : {kSpan / 1000, kSpan / 3, kSpan, 2 * kSpan + 5, 4 * kSpan}) {
    h.log.clear();
    const auto due_end = pending.upper_bound(target);
    const auto expected = static_cast<std::size_t>(std::distance(pending.begin(), due_end));
    pending.erase(pending.begin(), due_end);
    EXPECT_EQ(h.wheel.advance(target), expected);
    for (const fired& f : h.log) ASSERT_GE(f.at, timers[f.id]->deadline());
    ASSERT_EQ(h.wheel.size(), pending.size());
    ASSERT_TRUE(valid(h.wheel));
  }
  EXPECT_EQ(h.wheel.size(), 0u);
}

TEST(TimerWheel, AJumpOverAnEmptyWheelIsFree) {
  harness h;
  EXPECT_EQ(h.wheel.advance(std::uint64_t{1} << 60), 0u);
  probe a(h, 1);
  h.wheel.insert(a, h.wheel.now() + 5);
  EXPECT_TRUE(valid(h.wheel));
  EXPECT_EQ(h.wheel.advance(h.wheel.now() + 5), 1u);
}

// Driving the wheel only by next_deadline(), as the worker loop does, fires
// every entry exactly at its deadline, with a bounded number of wake-ups.
TEST(TimerWheel, NextDeadlineIsNeverLaterThanTheEarliestDeadline) {
  harness h(777);
  std::mt19937_64 rng(11);
  std::vector<std::unique_ptr<probe>> timers;
  std::multiset<std::uint64_t> deadlines;
  for (int i = 0; i < 3000; ++i) {
    timers.push_back(std::make_unique<probe>(h, i));
    const std::uint64_t range[] = {64, 5000, 400'000, 50 * kDay, 3 * kSpan};
    const std::uint64_t d = 778 + rng() % range[i % 5];
    h.wheel.insert(*timers.back(), d);
    deadlines.insert(d);
  }
  for (int i = 0; i < 100; ++i) {  // some lazily reset entries too
    probe& p = *timers[i];
    deadlines.erase(deadlines.find(p.deadline()));
    h.wheel.reset(p, p.deadline() + 999 * i);
    deadlines.insert(p.deadline());
  }

  std::size_t wakeups = 0;
  while (const auto next = h.wheel.next_deadline()) {
    ASSERT_LE(*next, *deadlines.begin());
    ASSERT_LT(++wakeups, 20u * timers.size());
    const std::size_t before = h.log.size();
    h.wheel.advance(*next);
    for (std::size_t i = before; i < h.log.size(); ++i) {
      ASSERT_EQ(h.log[i].at, timers[h.log[i].id]->deadline()) << "fired late or early";
      deadlines.erase(deadlines.find(h.log[i].at));
    }
  }
  EXPECT_EQ(h.log.size(), timers.size());
  EXPECT_TRUE(deadlines.empty());
}

TEST(TimerWheel, DestroyingTheWheelDisarmsItsEntries) {
  auto h = std::make_unique<harness>();
  probe a(*h, 1), b(*h, 2);
  h->wheel.insert(a, 10);
  h->wheel.insert(b, 0);
  h.reset();
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(b.armed());
}

TEST(TimerWheel, DumpShowsEachLevelsSlotsAndDeadlines) {
  harness h;
  probe a(h, 1), b(h, 2), c(h, 3);
  h.wheel.insert(a, 5);
  h.wheel.insert(b, 100);
  h.wheel.insert(c, 10'000);
  h.wheel.reset(b, 150);
  std::ostringstream out;
  h.wheel.dump(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("armed=3"), std::string::npos) << text;
  EXPECT_NE(text.find("level 0 (1 ms slots)"), std::string::npos) << text;
  EXPECT_NE(text.find("level 1 (64 ms slots)"), std::string::npos) << text;
  EXPECT_NE(text.find("level 2 (4096 ms slots)"), std::string::npos) << text;
  EXPECT_NE(text.find("150(filed 100)"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------
// Model test: random operations against a std::multimap reference.

struct model_harness : harness {
  std::multimap<std::uint64_t, int> model;  // deadline -> id of every armed timer
  std::vector<std::multimap<std::uint64_t, int>::iterator> slot;  // per id, or model.end()
  std::vector<std::unique_ptr<probe>> timers;
  std::set<int> cancelled_by_callback;

  model_harness(std::uint64_t now, int count) : harness(now) {
    for (int i = 0; i < count; ++i) timers.push_back(std::make_unique<probe>(*this, i));
    slot.assign(count, model.end());
  }
  void arm(int id, std::uint64_t deadline) {  // insert or reset, in both
    probe& p = *timers[id];
    if (p.armed()) {
      wheel.reset(p, deadline);
      model.erase(slot[id]);
    } else {
      wheel.insert(p, deadline);
    }
    slot[id] = model.emplace(deadline, id);
  }
  void disarm(int id) {
    wheel.cancel(*timers[id]);
    if (slot[id] != model.end()) model.erase(slot[id]);
    slot[id] = model.end();
  }
};

TEST(TimerWheelModel, RandomOperationsMatchASortedMapReference) {
  std::uint64_t seed = 20'240'611;
  if (const char* s = std::getenv("TIMER_WHEEL_SEED")) seed = std::strtoull(s, nullptr, 0);
  std::cout << "[ model    ] seed=" << seed << " (override with TIMER_WHEEL_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto below = [&rng](std::uint64_t n) { return rng() % n; };

  constexpr int kTimers = 300;
  constexpr int kOps = 40'000;
  model_harness m(1'000'000'007, kTimers);
  // Every callback first tells the model its timer fired. Then, by role:
  // ids = 0 mod 7 re-insert themselves, ids = 1 mod 7 cancel the next id.
  for (int id = 0; id < kTimers; ++id) {
    m.timers[id]->then = [&m](probe& p) {
      m.model.erase(m.slot[p.id]);
      m.slot[p.id] = m.model.end();
      if (p.id % 7 == 0) {
        m.arm(p.id, m.wheel.now() + 1 + p.id);
      } else if (p.id % 7 == 1 && p.id + 1 < kTimers) {
        if (m.timers[p.id + 1]->armed()) m.cancelled_by_callback.insert(p.id + 1);
        m.disarm(p.id + 1);
      }
    };
  }

  auto random_deadline = [&]() -> std::uint64_t {
    const std::uint64_t now = m.wheel.now();
    switch (below(10)) {
      case 0: return now - below(100);  // due already
      case 1: case 2: case 3: return now + 1 + below(64);
      case 4: case 5: return now + 1 + below(5000);
      case 6: return now + 1 + below(10'000'000);
      case 7: return now + 1 + below(2 * kDay * 30);
      case 8: return now + 1 + below(2 * kSpan);
      default: return now + kSpan * (1 + below(4)) + below(200) - 100;
    }
  };
  auto random_step = [&]() -> std::uint64_t {
    switch (below(10)) {
      case 0: return 0;
      case 1: case 2: return 1;
      case 3: case 4: return below(64);
      case 5: case 6: return below(10'000);
      case 7: return below(100'000'000);
      case 8: return below(3 * kSpan);
      default: return below(5000) + (below(2) ? kSpan : 0);
    }
  };

  std::size_t total_fired = 0;
  for (int op = 0; op < kOps; ++op) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " op " + std::to_string(op));
    const int id = static_cast<int>(below(kTimers));
    const std::uint64_t what = below(100);
    if (what < 35) {
      m.arm(id, random_deadline());
    } else if (what < 55) {
      if (m.timers[id]->armed()) m.arm(id, m.timers[id]->deadline() + below(3) * below(70'000));
      else m.arm(id, random_deadline());
    } else if (what < 70) {
      m.disarm(id);
    } else {
      const std::uint64_t target = m.wheel.now() + random_step();
      std::map<int, std::uint64_t> due;  // id -> deadline, due by target
      for (auto it = m.model.begin(); it != m.model.end() && it->first <= target; ++it)
        due.emplace(it->second, it->first);
      m.log.clear();
      m.cancelled_by_callback.clear();
      const std::size_t n = m.wheel.advance(target);
      ASSERT_EQ(n, m.log.size());
      total_fired += n;
      std::set<int> seen;
      for (const fired& f : m.log) {
        ASSERT_TRUE(due.count(f.id)) << "id " << f.id << " fired but was not due";
        ASSERT_TRUE(seen.insert(f.id).second) << "id " << f.id << " fired twice";
        ASSERT_EQ(f.at, target);
        ASSERT_GE(f.at, due[f.id]);
      }
      for (const auto& [due_id, deadline] : due) {
        ASSERT_TRUE(seen.count(due_id) + m.cancelled_by_callback.count(due_id) == 1)
            << "id " << due_id << " (deadline " << deadline << ") neither fired nor was cancelled";
      }
      ASSERT_TRUE(m.model.empty() || m.model.begin()->first > target) << "something due stayed";
    }
    ASSERT_EQ(m.wheel.size(), m.model.size());
    if (!m.model.empty()) {
      const auto next = m.wheel.next_deadline();
      ASSERT_TRUE(next.has_value());
      ASSERT_LE(*next, m.model.begin()->first);
    } else {
      ASSERT_EQ(m.wheel.next_deadline(), std::nullopt);
    }
    ASSERT_TRUE(valid(m.wheel));
  }
  for (int id = 0; id < kTimers; ++id) {
    ASSERT_EQ(m.timers[id]->armed(), m.slot[id] != m.model.end());
    if (m.timers[id]->armed()) {
      ASSERT_EQ(m.timers[id]->deadline(), m.slot[id]->first);
    }
  }
  std::cout << "[ model    ] " << kOps << " operations, " << total_fired << " fired\n";
  EXPECT_GT(total_fired, 1000u);
}

}  // namespace
