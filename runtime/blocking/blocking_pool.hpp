// blocking_pool.hpp -- threads for calls that block (file I/O without the
// ring, DNS, compression of big payloads, third-party blocking APIs).
//
// Workers must never block: one blocked worker stalls every task queued on
// it. spawn_blocking(f) runs f on this pool instead and lets the task await
// the result:
//
//   task ──submit──> [job queue] ──> blocking thread runs f()
//     │                                   │
//     └─ co_await (parks) <──── wake ─────┘ result stored in shared state
//
// Threads are created on demand up to `max_threads`; a thread idle for
// `keep_alive` exits. Jobs beyond that wait in the queue (bounded only by
// what callers submit: back-pressure belongs to the caller, e.g. a
// semaphore). At shutdown, running jobs finish, queued jobs are abandoned
// (their awaiters get task_cancelled), then all threads are gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

namespace ringlane::detail {

class blocking_pool {
 public:
  struct job {
    virtual void run() noexcept = 0;
    virtual void abandon() noexcept = 0;
    job* next = nullptr;

   protected:
    ~job() = default;
  };

  blocking_pool(std::uint32_t max_threads, std::chrono::milliseconds keep_alive, std::string name);
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  // Queues `j`; after shutdown it is abandoned at once.
  void submit(job* j) noexcept;
  void shutdown() noexcept;

  std::uint32_t threads() const;

 private:
  void thread_main() noexcept;

  const std::uint32_t max_threads_;
  const std::chrono::milliseconds keep_alive_;
  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // guarded by mu_: jobs or shutdown
  std::condition_variable exit_cv_;   // guarded by mu_: a thread exited
  job* head_ = nullptr;               // guarded by mu_
  job* tail_ = nullptr;               // guarded by mu_
  std::uint32_t threads_ = 0;         // guarded by mu_
  std::uint32_t idle_ = 0;            // guarded by mu_
  bool shutdown_ = false;             // guarded by mu_
};

}  // namespace ringlane::detail
