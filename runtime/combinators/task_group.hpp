// task_group.hpp -- a set of spawned tasks owned together (Tokio's JoinSet).
//
//   task_group<int> g;
//   for (auto id : ids) g.spawn(fetch(id));
//   while (auto r = co_await g.next()) use(*r);   // in completion order
//
// Each member runs inside a small wrapper task that, when the member
// finishes (or is cancelled), files the outcome into the group's shared
// state and wakes whoever waits in next():
//
//   member ─┐ wrapper: run member, catch exception,     ┌─> ready queue ─> next()
//   member ─┼─ lock, push outcome, running--, take waker ┤
//   member ─┘                                            └─> wake the waiter
//
// Dropping the group aborts every member that is still running (cancel all
// on drop). abort_all() does the same explicitly; join_all() waits for every
// member and returns all results (rethrowing the first exception after all
// have finished). An aborted member produces no result.
//
// The shared state is reference counted (std::shared_ptr): aborted wrappers
// may finish after the group object is gone. Its mutex guards `ready`,
// `running` and `waiter`; members on any worker may finish concurrently.
#pragma once

#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "runtime/combinators/child.hpp"

namespace ringlane {

template <class T>
class task_group {
  struct outcome {
    std::uint64_t member;
    std::optional<value_or_unit<T>> value;
    std::exception_ptr error;
  };

  struct shared {
    std::mutex mu;
    std::deque<outcome> ready;  // guarded by mu
    std::size_t running = 0;    // guarded by mu
    waker waiter;               // guarded by mu

    void file(outcome o, bool has_result) {
      waker w;
      {
        std::lock_guard lock(mu);
        if (has_result) ready.push_back(std::move(o));
        --running;
        w = std::move(waiter);
      }
      if (w) std::move(w).wake();
    }
  };

  // The member's claim on the group, held as a *parameter* of the wrapper
  // coroutine: parameters live in the frame from the call on, so the ticket
  // files an outcome however the frame ends -- finished, aborted while
  // parked, or aborted before it ever ran.
  struct ticket {
    std::shared_ptr<shared> s;
    outcome o;
    bool has_result = false;

    ticket(std::shared_ptr<shared> sh, std::uint64_t member) : s(std::move(sh)), o{member, std::nullopt, nullptr} {}
    ticket(ticket&& other) noexcept = default;
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (s) s->file(std::move(o), has_result);
    }
  };

  static task<void> run_member(ticket t, task<T> body) {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(body);
        t.o.value.emplace();
      } else {
        t.o.value.emplace(co_await std::move(body));
      }
    } catch (...) {
      t.o.error = std::current_exception();
    }
    t.has_result = true;
  }

 public:
  task_group() : s_(std::make_shared<shared>()) {}
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;
  ~task_group() { abort_all(); }

  // Spawns `body` as a member (placed like the current task, see child.hpp).
  void spawn(task<T> body) {
    const std::uint64_t id = next_id_++;
    {
      std::lock_guard lock(s_->mu);
      ++s_->running;
    }
    auto kid = detail::spawn_child(run_member(ticket(s_, id), std::move(body)));
    members_.emplace(id, std::move(kid));
  }

  // Members not yet collected by next() (running or finished).
  std::size_t size() const noexcept { return members_.size(); }
  bool empty() const noexcept { return members_.empty(); }

  // Aborts every running member; they produce no result.
  void abort_all() noexcept {
    for (auto& [id, kid] : members_) kid.handle().abort();
  }

  // The next member to finish: its value (unit for void), or its exception
  // rethrown. nullopt when no member is left.
  auto next() -> task<std::optional<value_or_unit<T>>>;

  // Waits for all members; values in completion order.
  auto join_all() -> task<std::vector<value_or_unit<T>>>;

 private:
  struct next_awaiter {
    shared* s;
    bool parked = false;
    ~next_awaiter() {
      if (parked) {
        std::lock_guard lock(s->mu);
        s->waiter = waker{};
      }
    }
    bool await_ready() {
      std::lock_guard lock(s->mu);
      return !s->ready.empty() || s->running == 0;
    }
    bool await_suspend(std::coroutine_handle<> h) {
      waker w = this_task::park(h);
      std::lock_guard lock(s->mu);
      if (!s->ready.empty() || s->running == 0) return false;
      s->waiter = std::move(w);
      parked = true;
      return true;
    }
    void await_resume() noexcept { parked = false; }
  };

  std::shared_ptr<shared> s_;
  std::unordered_map<std::uint64_t, detail::scoped_child<void>> members_;
  std::uint64_t next_id_ = 1;
};

template <class T>
auto task_group<T>::next() -> task<std::optional<value_or_unit<T>>> {
  for (;;) {
    co_await next_awaiter{s_.get()};
    std::optional<outcome> o;
    {
      std::lock_guard lock(s_->mu);
      if (!s_->ready.empty()) {
        o.emplace(std::move(s_->ready.front()));
        s_->ready.pop_front();
      } else if (s_->running == 0) {
        // Only aborted members were left: they filed no result.
        members_.clear();
        co_return std::nullopt;
      }
    }
    if (!o) continue;
    members_.erase(o->member);
    if (o->error) std::rethrow_exception(o->error);
    co_return std::move(o->value);
  }
}

template <class T>
auto task_group<T>::join_all() -> task<std::vector<value_or_unit<T>>> {
  std::vector<value_or_unit<T>> out;
  std::exception_ptr error;
  for (;;) {
    try {
      auto v = co_await next();
      if (!v) break;
      out.push_back(std::move(*v));
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  co_return out;
}

}  // namespace ringlane
