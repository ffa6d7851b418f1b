// ring.cpp -- the setup ladder and teardown; see ring.hpp for the protocol.
#include "engine/uring/ring.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

namespace ringlane::engine {
namespace {

constexpr unsigned full_set = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
                              IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE |
                              IORING_SETUP_CLAMP;

// Kernel limits (IORING_MAX_ENTRIES, IORING_MAX_CQ_ENTRIES); they are not
// in the UAPI header.
constexpr unsigned max_sq_entries = 32768;
constexpr unsigned max_cq_entries = 2 * max_sq_entries;

// Checks what the kernel would reject with EINVAL *before* walking the
// ladder, so that a bad option is reported as such instead of silently
// degrading the flags. Empty string = fine.
std::string validate(const ring_options& o) {
  if (o.setup == nullptr) return "ring_options.setup is null";
  if (o.sq_entries == 0 || o.sq_entries > max_sq_entries) return "ring_options.sq_entries must be 1..32768";
  if (o.cq_entries != 0 && (o.cq_entries < o.sq_entries || o.cq_entries > max_cq_entries))
    return "ring_options.cq_entries must be 0 or sq_entries..65536";
  return {};
}

std::string errno_name(int negative_errno) {
  // glibc 2.32+: "EPERM" rather than "Operation not permitted".
  const char* name = strerrorname_np(-negative_errno);
  return name != nullptr ? name : "errno " + std::to_string(-negative_errno);
}

std::string memlock_hint() {
  rlimit lim{};
  if (getrlimit(RLIMIT_MEMLOCK, &lim) != 0) return "RLIMIT_MEMLOCK unknown";
  if (lim.rlim_cur == RLIM_INFINITY) return "RLIMIT_MEMLOCK unlimited";
  return "RLIMIT_MEMLOCK is " + std::to_string(lim.rlim_cur / 1024) + " KiB";
}

// The sentence for the startup log: what failed, and what usually causes it.
std::string unavailable_reason(int error, ladder_step step) {
  std::string r = "io_uring unavailable: io_uring_setup returned " + errno_name(error);
  switch (-error) {
    case EPERM:
      return r + " (blocked by a seccomp profile such as Docker's or containerd's default, or by sysctl "
                 "kernel.io_uring_disabled)";
    case ENOSYS:
      return r + " (kernel built without CONFIG_IO_URING, or the syscall is filtered)";
    case ENOMEM:
      return r + " (kernels <= 5.11 charge ring memory to RLIMIT_MEMLOCK; " + memlock_hint() +
             "; raise it or lower sq_entries)";
    case EINVAL:
      return r + " for every flag set down to step " + ladder_step_name(step) + " (kernel too old for io_uring)";
    default:
      return r + " at ladder step " + ladder_step_name(step);
  }
}

}  // namespace

unsigned ladder_flags(ladder_step step, bool safe_mode) noexcept {
  unsigned f = full_set;
  if (step >= ladder_step::b) f &= ~(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
  if (step >= ladder_step::c) f &= ~(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
  if (step >= ladder_step::d) f &= ~IORING_SETUP_SUBMIT_ALL;
  if (step >= ladder_step::e) f &= ~(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
  if (safe_mode) f &= ~IORING_SETUP_DEFER_TASKRUN;
  return f;
}

const char* ladder_step_name(ladder_step step) noexcept {
  static constexpr const char* names[ladder_length] = {"a", "b", "c", "d", "e"};
  return names[static_cast<std::size_t>(step)];
}

std::string setup_flag_names(unsigned flags) {
  // Our preferred set first, in the order the docs list it, then the rest.
  static constexpr std::pair<unsigned, const char*> names[] = {
      {IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"}, {IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"},
      {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},   {IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG"},
      {IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"},       {IORING_SETUP_CQSIZE, "CQSIZE"},
      {IORING_SETUP_CLAMP, "CLAMP"},                 {IORING_SETUP_IOPOLL, "IOPOLL"},
      {IORING_SETUP_SQPOLL, "SQPOLL"},               {IORING_SETUP_SQ_AFF, "SQ_AFF"},
      {IORING_SETUP_ATTACH_WQ, "ATTACH_WQ"},         {IORING_SETUP_R_DISABLED, "R_DISABLED"},
      {IORING_SETUP_SQE128, "SQE128"},               {IORING_SETUP_CQE32, "CQE32"},
  };
  if (flags == 0) return "none";
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
    flags &= ~bit;
  }
  if (flags != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%#x", flags);
    if (!out.empty()) out += '|';
    out += hex;
  }
  return out;
}

ring_result ring::create(const ring_options& o) {
  ring_result out;
  if (std::string why = validate(o); !why.empty()) {
    out.failure_ = {-EINVAL, ladder_step::a, "invalid ring options: " + why};
    return out;
  }
  const unsigned cq_entries = o.cq_entries != 0 ? o.cq_entries : std::min(4 * o.sq_entries, max_cq_entries);

  std::unique_ptr<ring> r(new ring());
  int rc = -EINVAL;
  for (std::size_t i = 0; i < ladder_length; ++i) {
    const auto step = static_cast<ladder_step>(i);
    io_uring_params params{};  // fresh each time: the call writes back sizes and features
    params.flags = ladder_flags(step, o.safe_mode);
    if (params.flags & IORING_SETUP_CQSIZE) params.cq_entries = cq_entries;
    r->ring_ = io_uring{};
    rc = o.setup(o.sq_entries, &r->ring_, &params);
    out.trace_.attempts[out.trace_.count++] = {step, ladder_flags(step, o.safe_mode), rc};
    if (rc == 0) {
      r->live_ = true;
      r->features_ = params.features;
      break;
    }
    // Only EINVAL ("I do not know one of these flags") walks the ladder.
    if (rc != -EINVAL || step == ladder_step::e) {
      out.failure_ = {rc, step, unavailable_reason(rc, step)};
      return out;
    }
  }
  r->trace_ = out.trace_;

  if (o.register_ring_fd) r->post_.register_ring_fd = io_uring_register_ring_fd(&r->ring_);
  r->post_.dontfork = io_uring_ring_dontfork(&r->ring_);
  if (o.iowq_max_bounded != 0 || o.iowq_max_unbounded != 0) {
    // The kernel writes the previous limits back into the array; we do not
    // need them.
    unsigned values[2] = {o.iowq_max_bounded, o.iowq_max_unbounded};
    r->post_.iowq_max_workers = io_uring_register_iowq_max_workers(&r->ring_, values);
  }
  out.ring_ = std::move(r);
  return out;
}

std::unique_ptr<ring> ring::create_or_throw(const ring_options& options) {
  ring_result res = create(options);
  if (!res) throw std::system_error(-res.error().error, std::generic_category(), res.error().reason);
  return res.take();
}

ring::~ring() {
  if (!live_) return;
  // Unregisters the ring fd (this thread's table), unmaps the rings and
  // closes the fd. The kernel cancels whatever is still in flight; buffers
  // those requests point at must therefore have been released by their CQEs
  // before we get here (see ring.hpp).
  io_uring_queue_exit(&ring_);
}

}  // namespace ringlane::engine
