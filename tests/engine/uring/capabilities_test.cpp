// Tests for engine/uring/capabilities.hpp: the probe on this kernel (skipped
// with the reason where io_uring is unavailable), the kill switch in both
// directions, injected setup failures, safe mode, and the cache.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "engine/uring/capabilities.hpp"
#include "engine/uring/compat.hpp"

namespace ringlane::engine {
namespace {

// Sets (or unsets) RINGLANE_BACKEND for one test and restores it after.
class backend_env {
 public:
  explicit backend_env(const char* value) {
    if (const char* old = std::getenv("RINGLANE_BACKEND")) old_ = old;
    if (value != nullptr)
      ::setenv("RINGLANE_BACKEND", value, 1);
    else
      ::unsetenv("RINGLANE_BACKEND");
  }
  ~backend_env() {
    if (old_)
      ::setenv("RINGLANE_BACKEND", old_->c_str(), 1);
    else
      ::unsetenv("RINGLANE_BACKEND");
  }
  backend_env(const backend_env&) = delete;
  backend_env& operator=(const backend_env&) = delete;

 private:
  std::optional<std::string> old_;
};

int setup_calls = 0;
int counting_setup(unsigned entries, io_uring* r, io_uring_params* p) {
  ++setup_calls;
  return io_uring_queue_init_params(entries, r, p);
}
int eperm_setup(unsigned, io_uring*, io_uring_params*) { return -EPERM; }
int enosys_setup(unsigned, io_uring*, io_uring_params*) { return -ENOSYS; }
int no_defer_setup(unsigned entries, io_uring* r, io_uring_params* p) {
  if (p->flags & IORING_SETUP_DEFER_TASKRUN) return -EINVAL;
  return io_uring_queue_init_params(entries, r, p);
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The invariants every record must satisfy, whatever the kernel.
void expect_consistent(const capabilities& c) {
  SCOPED_TRACE(describe(c));
  EXPECT_FALSE(c.why.empty());
  if (!c.uses_uring()) {
    EXPECT_EQ(c.level, tier::D);
    return;
  }
  EXPECT_NE(c.level, tier::D);
  EXPECT_TRUE(c.required_features());
  EXPECT_TRUE(c.probe_available);
  EXPECT_TRUE(c.ops.required_present());
  ASSERT_GT(c.ladder.count, 0u);
  const setup_attempt& last = c.ladder.attempts[c.ladder.count - 1];
  EXPECT_EQ(last.result, 0);
  EXPECT_EQ(c.setup_flags, last.flags);
  for (std::size_t i = 0; i + 1 < c.ladder.count; ++i) EXPECT_EQ(c.ladder.attempts[i].result, -EINVAL);
  if (c.level == tier::A) {
    EXPECT_NE(c.setup_flags & IORING_SETUP_DEFER_TASKRUN, 0u);
    EXPECT_TRUE(c.multishot_accept.ok() && c.multishot_recv.ok() && c.buffer_ring.ok() && c.msg_ring.ok());
  }
  if (c.level == tier::B) {
    EXPECT_NE(c.setup_flags & IORING_SETUP_COOP_TASKRUN, 0u);
    EXPECT_TRUE(c.buffer_ring.ok());
  }
  if (c.multishot_recv.ok()) {
    EXPECT_TRUE(c.buffer_ring.ok()) << "multishot recv needs provided buffers";
  }
  if (c.msg_ring.ok()) {
    EXPECT_TRUE(c.ops.msg_ring);
  }
  if (c.safe_mode) {
    EXPECT_EQ(c.setup_flags & IORING_SETUP_DEFER_TASKRUN, 0u);
    EXPECT_EQ(c.multishot_accept.state, trial_state::disabled);
    EXPECT_EQ(c.multishot_recv.state, trial_state::disabled);
  }
  EXPECT_TRUE(contains(describe(c), "backend io_uring"));
  EXPECT_TRUE(contains(describe(c), (std::string("tier ") + to_string(c.level)).c_str()));
}

TEST(Capabilities, ProbeOnThisKernelIsSelfConsistent) {
  const capabilities c = detect({.backend = backend_choice::automatic});
  std::printf("probe: %s\n", describe(c).c_str());
  if (!c.uses_uring()) GTEST_SKIP() << "io_uring unavailable here: " << c.why;
  expect_consistent(c);
  // NO_IOWAIT (6.15) implies every feature tier A needs: on such a kernel
  // anything less is a probe bug, not a kernel limit.
  if (c.features & IORING_FEAT_NO_IOWAIT) {
    EXPECT_EQ(c.level, tier::A) << describe(c);
    EXPECT_EQ(c.ladder.count, 1u);
    EXPECT_TRUE(contains(describe(c), "multishot accept/recv, buffer rings, msg_ring"));
  }
}

TEST(Capabilities, EnvironmentForcesEpollWithoutTouchingIoUring) {
  backend_env env("epoll");
  setup_calls = 0;
  const capabilities c = detect({.setup = &counting_setup});
  EXPECT_EQ(setup_calls, 0);
  EXPECT_EQ(c.backend, backend_kind::epoll);
  EXPECT_EQ(c.level, tier::D);
  EXPECT_TRUE(c.forced);
  EXPECT_EQ(c.ladder.count, 0u);
  EXPECT_TRUE(contains(describe(c), "backend epoll, tier D; because RINGLANE_BACKEND forces epoll")) << describe(c);
  expect_consistent(c);
}

TEST(Capabilities, OptionOverridesTheEnvironment) {
  backend_env env("uring");
  setup_calls = 0;
  const capabilities c = detect({.backend = backend_choice::epoll, .setup = &counting_setup});
  EXPECT_EQ(setup_calls, 0);
  EXPECT_EQ(c.backend, backend_kind::epoll);
  EXPECT_TRUE(contains(c.why, "probe_options")) << c.why;
}

TEST(Capabilities, ForcedUringThatCannotWorkThrowsInsteadOfFallingBack) {
  backend_env env("uring");
  try {
    (void)detect({.setup = &eperm_setup});
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EPERM);
    EXPECT_TRUE(contains(e.what(), "RINGLANE_BACKEND demands io_uring")) << e.what();
  }
}

TEST(Capabilities, UnknownBackendNameIsAnError) {
  backend_env env("kqueue");
  EXPECT_THROW((void)detect({}), std::invalid_argument);
}

TEST(Capabilities, EpermFallsBackToEpollAndSaysWhy) {
  backend_env env(nullptr);
  const capabilities c = detect({.setup = &eperm_setup});
  EXPECT_EQ(c.backend, backend_kind::epoll);
  EXPECT_EQ(c.level, tier::D);
  EXPECT_FALSE(c.forced);
  EXPECT_EQ(c.setup_error, -EPERM);
  EXPECT_EQ(c.ladder.count, 1u);
  EXPECT_TRUE(contains(c.why, "EPERM")) << c.why;
  EXPECT_TRUE(contains(describe(c), "backend epoll, tier D; because io_uring unavailable")) << describe(c);
}

TEST(Capabilities, EnosysFallsBackToEpoll) {
  const capabilities c = detect({.backend = backend_choice::automatic, .setup = &enosys_setup});
  EXPECT_EQ(c.backend, backend_kind::epoll);
  EXPECT_EQ(c.setup_error, -ENOSYS);
  EXPECT_TRUE(contains(c.why, "ENOSYS")) << c.why;
}

TEST(Capabilities, AKernelWithoutDeferTaskrunIsBelowTierA) {
  const capabilities c = detect({.backend = backend_choice::automatic, .setup = &no_defer_setup});
  if (!c.uses_uring()) GTEST_SKIP() << "io_uring unavailable here: " << c.why;
  expect_consistent(c);
  EXPECT_EQ(c.ladder.count, 2u);
  EXPECT_EQ(c.setup_flags, ladder_flags(ladder_step::b, false));
  EXPECT_NE(c.level, tier::A);
  EXPECT_TRUE(contains(c.why, "ladder step b")) << c.why;
}

TEST(Capabilities, SafeModeDropsDeferTaskrunAndMultishot) {
  const capabilities c = detect({.backend = backend_choice::automatic, .safe_mode = true});
  if (!c.uses_uring()) GTEST_SKIP() << "io_uring unavailable here: " << c.why;
  expect_consistent(c);
  EXPECT_NE(c.level, tier::A);
  EXPECT_TRUE(contains(describe(c), "safe mode")) << describe(c);
}

TEST(Capabilities, ProbeRunsOnceAndEveryThreadSeesTheSameRecord) {
  backend_env env(nullptr);
  const capabilities* mine = &probe({.backend = backend_choice::automatic});
  const capabilities* theirs = nullptr;
  std::thread([&] { theirs = &probe({.backend = backend_choice::epoll}); }).join();
  EXPECT_EQ(mine, theirs) << "later options are ignored: the first probe wins";
  expect_consistent(*mine);
}

TEST(Capabilities, CompatKnowsWhichLiburingItWasBuiltWith) {
  // liburing 2.3 on Debian 12: none of the newer helpers exist.
  if (!compat::installed_helpers.setup_buf_ring) {
    EXPECT_FALSE(compat::installed_helpers.sqe_set_buf_group);
    EXPECT_FALSE(compat::installed_helpers.buf_ring_available);
  }
  EXPECT_EQ(IORING_FEAT_NO_IOWAIT, 1U << 17);
}

}  // namespace
}  // namespace ringlane::engine
