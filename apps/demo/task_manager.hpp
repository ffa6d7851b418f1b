// task_manager.hpp -- background jobs owned by one actor task.
//
// The second article's TaskManager, as the actor pattern of the fifth: a
// single task owns the job table and is the only code that touches it.
// Everyone else talks to it over one bounded mpsc channel; a request that
// needs an answer carries a oneshot sender for the reply.
//
//   handlers ──start/status/list──> [ mpsc ] ──> actor (owns the table)
//       ^                                           │ spawns one job per start
//       └──────────── oneshot reply ────────────────┤
//                                 job ──progress──> [ mpsc ] (same channel)
//
// A job works for `ms` milliseconds in 10 steps (the article: 10 x 500 ms),
// reporting 10% progress after each; a job whose name contains "fail" ends
// failed, as in the article. The actor starts lazily, on the first request;
// channels are thread-safe, so handlers on any worker may use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/task/task.hpp"

namespace demo {

enum class job_status { running, completed, failed };
const char* name_of(job_status s) noexcept;

struct job_info {
  std::uint64_t id = 0;
  std::string name;
  job_status status = job_status::running;
  std::uint32_t progress = 0;  // percent
  std::uint64_t duration_ms = 0;
  std::int64_t created_at = 0;                 // Unix seconds
  std::optional<std::int64_t> completed_at;    // Unix seconds
  std::string result;                          // when done
};

// Bounds, so that no stream of requests grows the table without end: at
// most this many jobs run at once (more are refused), and of the finished
// ones the most recent this many are kept (older ones are forgotten).
inline constexpr std::size_t kMaxRunningJobs = 1000;
inline constexpr std::size_t kMaxFinishedJobs = 1000;

// Outer nullopt: the actor cannot be reached (shutting down); inner
// nullopt: kMaxRunningJobs are running already.
ringlane::task<std::optional<std::optional<job_info>>> start_job(std::string name, std::uint64_t ms);
// Outer nullopt: actor unreachable; inner nullopt: no such job.
ringlane::task<std::optional<std::optional<job_info>>> job_status_of(std::uint64_t id);
ringlane::task<std::optional<std::vector<job_info>>> list_jobs();

}  // namespace demo
