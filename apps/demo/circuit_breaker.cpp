// circuit_breaker.cpp -- GET /control/circuit-breaker?fail=0|1
//
// A circuit breaker in front of a simulated downstream call (10 ms, as in the
// article; ?fail=1 makes it fail). One breaker for the whole process.
//
//              3 consecutive failures                 cooldown (500 ms) over
//   CLOSED ─────────────────────────────> OPEN ─────────────────────────────> HALF-OPEN
//     ^                                    ^                                     │
//     │               trial failed         └─────────────────────────────────────┤
//     └──────────────────────────── trial succeeded ─────────────────────────────┘
//
// While OPEN every call is rejected at once (503 + Retry-After), without
// touching the downstream. HALF-OPEN lets exactly one trial call through;
// concurrent callers are rejected until it ends.
//
// Responses: 200 the call succeeded; 502 it failed; 503 it was rejected.
// Each reports the state after the call.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"

namespace demo {
namespace {

enum class breaker_state { closed, open, half_open };

const char* name_of(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "?";
}

class circuit_breaker {
 public:
  static constexpr std::uint64_t kThreshold = 3;
  static constexpr std::chrono::milliseconds kCooldown{500};

  struct admission {
    bool allowed;
    bool trial;             // the half-open probe
    double retry_after_ms;  // when refused
  };
  struct snapshot {
    breaker_state state;
    std::uint64_t consecutive_failures;
    std::uint64_t rejected_total;
  };

  admission admit(ringlane::clock_source::time_point now) {
    std::lock_guard lock(mu_);
    if (state_ == breaker_state::open) {
      if (now < open_until_) {
        ++rejected_;
        return {false, false, std::chrono::duration<double, std::milli>(open_until_ - now).count()};
      }
      state_ = breaker_state::half_open;
      trial_running_ = false;
    }
    if (state_ == breaker_state::half_open) {
      if (trial_running_) {
        ++rejected_;
        return {false, false, 0.0};
      }
      trial_running_ = true;
      return {true, true, 0.0};
    }
    return {true, false, 0.0};
  }

  void record(bool success, bool trial, ringlane::clock_source::time_point now) {
    std::lock_guard lock(mu_);
    if (trial) trial_running_ = false;
    if (success) {
      failures_ = 0;
      // A success seen while OPEN came from a call admitted before it opened:
      // it does not close the breaker early.
      if (state_ != breaker_state::open) state_ = breaker_state::closed;
      return;
    }
    ++failures_;
    if (trial || (state_ == breaker_state::closed && failures_ >= kThreshold)) {
      state_ = breaker_state::open;
      open_until_ = now + kCooldown;
    }
  }

  snapshot state() const {
    std::lock_guard lock(mu_);
    return {state_, failures_, rejected_};
  }

 private:
  mutable std::mutex mu_;
  breaker_state state_ = breaker_state::closed;
  std::uint64_t failures_ = 0;
  std::uint64_t rejected_ = 0;
  bool trial_running_ = false;
  ringlane::clock_source::time_point open_until_{};
};

circuit_breaker& breaker() {
  static circuit_breaker b;
  return b;
}

// The simulated downstream: 10 ms, then success or failure.
task<bool> downstream_call(bool fail) {
  co_await ringlane::sleep(10ms);
  co_return !fail;
}

// Records the call's outcome exactly once, even if the request is abandoned
// mid-call (its task destroyed): then it counts as a failure, so a half-open
// trial never stays "running" forever.
class call_guard {
 public:
  call_guard(circuit_breaker& b, bool trial) noexcept : b_(b), trial_(trial) {}
  call_guard(const call_guard&) = delete;
  call_guard& operator=(const call_guard&) = delete;
  ~call_guard() {
    if (!done_) b_.record(false, trial_, ringlane::now());
  }
  void record(bool success) {
    done_ = true;
    b_.record(success, trial_, ringlane::now());
  }

 private:
  circuit_breaker& b_;
  bool trial_;
  bool done_ = false;
};

void write_state(http::json_writer& w, const circuit_breaker::snapshot& s) {
  w.key("state").value(name_of(s.state))
      .key("consecutive_failures").value(s.consecutive_failures)
      .key("failure_threshold").value(circuit_breaker::kThreshold)
      .key("cooldown_ms").value(static_cast<std::int64_t>(circuit_breaker::kCooldown.count()))
      .key("rejected_total").value(s.rejected_total);
}

}  // namespace

task<void> control_circuit_breaker(http::context& ctx) {
  const auto fail = query_uint(ctx, "fail", {.def = 0, .min = 0, .max = 1});
  if (!fail) co_return;
  circuit_breaker& b = breaker();
  const circuit_breaker::admission a = b.admit(ringlane::now());
  if (!a.allowed) {
    const auto retry_s = static_cast<std::int64_t>(std::max(1.0, std::ceil(a.retry_after_ms / 1000.0)));
    ctx.response().header("retry-after", std::to_string(retry_s));
    http::json_writer w(json_body(ctx, 503));
    w.begin_object().key("result").value("rejected").key("retry_after_ms").value(a.retry_after_ms);
    write_state(w, b.state());
    w.end_object();
    co_return;
  }
  call_guard guard(b, a.trial);
  const bool ok = co_await downstream_call(*fail == 1);
  guard.record(ok);
  http::json_writer w(json_body(ctx, ok ? 200 : 502));
  w.begin_object().key("result").value(ok ? "success" : "failure").key("trial").value(a.trial);
  write_state(w, b.state());
  w.end_object();
}

}  // namespace demo
