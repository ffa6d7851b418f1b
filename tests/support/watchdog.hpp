// watchdog.hpp -- helpers shared by the threaded runtime tests.
//
// watchdog: aborts the process if a test runs longer than its limit (a lost
// wake-up would otherwise hang the suite until meson's timeout, with less to
// go on). yield_until / join_is_cancelled: small bounded waits for the
// one-worker virtual runtime.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "runtime/runtime.hpp"
#include "runtime/task/yield.hpp"

namespace ringlane::testing {

class watchdog {
 public:
  explicit watchdog(std::chrono::seconds limit) : thread_([this, limit] { watch(limit); }) {}
  ~watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, limit, [&] { return done_; })) {
      std::fprintf(stderr, "watchdog: test still running after %llds: lost wake-up?\n",
                   static_cast<long long>(limit.count()));
      std::abort();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the fields above exist
};

// On the one-worker runtime: yields until `cond` holds, at most 100 times.
template <class Cond>
task<bool> yield_until(Cond cond) {
  for (int i = 0; i < 100 && !cond(); ++i) co_await yield_now();
  co_return cond();
}

// Joins `h`; true if it was cancelled.
inline task<bool> join_is_cancelled(join_handle<void>& h) {
  try {
    co_await h;
  } catch (const task_cancelled&) {
    co_return true;
  }
  co_return false;
}

}  // namespace ringlane::testing
