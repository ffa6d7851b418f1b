#include "runtime/blocking/blocking_pool.hpp"

#include <pthread.h>

#include <system_error>
#include <thread>

namespace ringlane::detail {

blocking_pool::blocking_pool(std::uint32_t max_threads, std::chrono::milliseconds keep_alive, std::string name)
    : max_threads_(max_threads ? max_threads : 1), keep_alive_(keep_alive), name_(std::move(name)) {}

blocking_pool::~blocking_pool() { shutdown(); }

std::uint32_t blocking_pool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

void blocking_pool::submit(job* j) noexcept {
  std::unique_lock lock(mu_);
  if (shutdown_) {
    lock.unlock();
    j->abandon();
    return;
  }
  j->next = nullptr;
  if (tail_) tail_->next = j; else head_ = j;
  tail_ = j;
  if (idle_ > 0) {
    work_cv_.notify_one();
    return;
  }
  if (threads_ < max_threads_) {
    try {
      std::thread(&blocking_pool::thread_main, this).detach();
      ++threads_;
    } catch (const std::system_error&) {
      // Out of threads: the job waits for a running thread to take it. With
      // none at all it would wait forever, so fail it instead.
      if (threads_ == 0) {
        head_ = tail_ = nullptr;
        lock.unlock();
        j->abandon();
      }
    }
  }
}

void blocking_pool::thread_main() noexcept {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  std::unique_lock lock(mu_);
  for (;;) {
    while (!head_ && !shutdown_) {
      ++idle_;
      const bool timed_out = work_cv_.wait_for(lock, keep_alive_) == std::cv_status::timeout;
      --idle_;
      if (timed_out && !head_) goto exit;
    }
    if (!head_) break;  // shutdown and nothing left to run
    job* j = head_;
    head_ = j->next;
    if (!head_) tail_ = nullptr;
    if (shutdown_) {
      lock.unlock();
      j->abandon();
    } else {
      lock.unlock();
      j->run();
    }
    lock.lock();
  }
exit:
  --threads_;
  exit_cv_.notify_all();
  // Nothing of *this is touched after the unlock in ~unique_lock.
}

void blocking_pool::shutdown() noexcept {
  std::unique_lock lock(mu_);
  shutdown_ = true;
  work_cv_.notify_all();
  exit_cv_.wait(lock, [&] { return threads_ == 0; });
  // No thread left: abandon what nobody took.
  while (job* j = head_) {
    head_ = j->next;
    if (!head_) tail_ = nullptr;
    lock.unlock();
    j->abandon();
    lock.lock();
  }
}

}  // namespace ringlane::detail
