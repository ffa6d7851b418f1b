// test_runtime.hpp -- runtimes for tests, and a bounded block_on.
#pragma once

#include <chrono>
#include <memory>

#include "runtime/runtime.hpp"
#include "tests/support/fake_driver.hpp"

namespace ringlane::testing {

// One worker, virtual time: deterministic.
struct virtual_runtime {
  manual_clock clock;
  runtime rt;
  explicit virtual_runtime(std::uint32_t workers = 1)
      : rt(runtime_options{.workers = workers,
                           .make_driver = [this](std::uint32_t) { return std::make_unique<fake_driver>(clock); },
                           .clock = &clock}) {}
};

// Real threads and real time: for stress tests.
inline runtime_options threaded(std::uint32_t workers, bool stealing = true) {
  runtime_options o;
  o.workers = workers;
  o.stealing = stealing;
  return o;
}

}  // namespace ringlane::testing
