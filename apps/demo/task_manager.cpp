#include "apps/demo/task_manager.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <variant>

#include "apps/demo/common.hpp"
#include "runtime/channel/mpsc.hpp"
#include "runtime/channel/oneshot.hpp"
#include "runtime/runtime.hpp"

namespace demo {
namespace {

namespace mpsc = ringlane::mpsc;
namespace oneshot = ringlane::oneshot;

struct start_msg {
  std::string name;
  std::uint64_t ms;
  oneshot::sender<std::optional<job_info>> reply;  // nullopt: too many running
};
struct status_msg {
  std::uint64_t id;
  oneshot::sender<std::optional<job_info>> reply;
};
struct list_msg {
  oneshot::sender<std::vector<job_info>> reply;
};
struct progress_msg {  // from a job to the actor
  std::uint64_t id;
  std::uint32_t progress;
  bool done;
  bool failed;
  std::string result;
};
using message = std::variant<start_msg, status_msg, list_msg, progress_msg>;

constexpr std::uint32_t kSteps = 10;

task<void> run_job(std::uint64_t id, std::string name, std::uint64_t ms, mpsc::sender<message> to_actor) {
  for (std::uint32_t step = 1; step <= kSteps; ++step) {
    // Spread `ms` over the steps exactly: step k ends at k * ms / kSteps.
    const std::uint64_t slice = step * ms / kSteps - (step - 1) * ms / kSteps;
    co_await ringlane::sleep(std::chrono::milliseconds(slice));
    progress_msg p{id, step * 100 / kSteps, false, false, {}};
    if (step == kSteps) {
      p.done = true;
      p.failed = name.find("fail") != std::string::npos;
      p.result = "Task " + name + (p.failed ? " failed" : " completed successfully");
    }
    message msg(std::move(p));
    auto sent = co_await to_actor.send(std::move(msg));
    if (!sent) co_return;  // the actor is gone
  }
}

// The actor's state and what each message does to it. A plain function, not
// part of the coroutine: nothing here suspends, and GCC 12 mishandles some
// temporaries (e.g. in ?:) inside coroutine bodies.
struct job_table {
  std::map<std::uint64_t, job_info> jobs;
  std::deque<std::uint64_t> finished;  // ids in the order they finished
  std::size_t running = 0;
  std::uint64_t next_id = 1;
};

void handle(job_table& t, message& m, const mpsc::sender<message>& self) {
  if (auto* s = std::get_if<start_msg>(&m)) {
    if (t.running >= kMaxRunningJobs) {
      (void)s->reply.send(std::nullopt);
      return;
    }
    ++t.running;
    job_info info;
    info.id = t.next_id++;
    info.name = s->name.empty() ? "task-" + std::to_string(info.id) : s->name;
    info.duration_ms = s->ms;
    info.created_at = unix_seconds();
    t.jobs.emplace(info.id, info);
    ringlane::spawn(run_job(info.id, info.name, s->ms, self)).detach();
    (void)s->reply.send(std::move(info));
  } else if (auto* q = std::get_if<status_msg>(&m)) {
    auto it = t.jobs.find(q->id);
    std::optional<job_info> found;
    if (it != t.jobs.end()) found = it->second;
    (void)q->reply.send(std::move(found));
  } else if (auto* l = std::get_if<list_msg>(&m)) {
    std::vector<job_info> all;
    all.reserve(t.jobs.size());
    for (const auto& entry : t.jobs) all.push_back(entry.second);
    (void)l->reply.send(std::move(all));
  } else if (auto* p = std::get_if<progress_msg>(&m)) {
    auto it = t.jobs.find(p->id);
    if (it == t.jobs.end()) return;
    it->second.progress = p->progress;
    if (p->done) {
      it->second.status = p->failed ? job_status::failed : job_status::completed;
      it->second.completed_at = unix_seconds();
      it->second.result = std::move(p->result);
      --t.running;
      t.finished.push_back(p->id);
      if (t.finished.size() > kMaxFinishedJobs) {
        t.jobs.erase(t.finished.front());
        t.finished.pop_front();
      }
    }
  }
}

// The actor: the only code that reads or writes the table.
task<void> actor(mpsc::receiver<message> inbox, mpsc::sender<message> self) {
  job_table table;
  for (;;) {
    std::optional<message> m = co_await inbox.recv();
    if (!m) co_return;
    handle(table, *m, self);
  }
}

// The actor's address, starting it on first use. The runtime destroys the
// actor (parked in recv) at shutdown; this sender then only keeps the
// channel's shared state alive until exit.
mpsc::sender<message> actor_address() {
  static std::mutex mu;
  static std::optional<mpsc::sender<message>> address;
  std::lock_guard lock(mu);
  if (!address) {
    auto [tx, rx] = mpsc::channel<message>(256);
    ringlane::spawn(actor(std::move(rx), tx)).detach();
    address.emplace(std::move(tx));
  }
  return *address;
}

// Sends one request to the actor; false if it is gone. The message is built
// by the caller as a local and moved in here (not passed to a coroutine as an
// aggregate temporary: GCC 12 copied such a parameter bitwise, leaving a
// std::string pointing into the caller's frame).
task<bool> tell(message& msg) {
  mpsc::sender<message> tx = actor_address();
  auto sent = co_await tx.send(std::move(msg));
  co_return static_cast<bool>(sent);
}

}  // namespace

const char* name_of(job_status s) noexcept {
  switch (s) {
    case job_status::running: return "running";
    case job_status::completed: return "completed";
    case job_status::failed: return "failed";
  }
  return "?";
}

task<std::optional<std::optional<job_info>>> start_job(std::string name, std::uint64_t ms) {
  auto [tx, rx] = oneshot::channel<std::optional<job_info>>();
  message msg(start_msg{std::move(name), ms, std::move(tx)});
  const bool sent = co_await tell(msg);
  if (!sent) co_return std::nullopt;
  std::optional<std::optional<job_info>> reply = co_await rx;
  co_return reply;
}

task<std::optional<std::optional<job_info>>> job_status_of(std::uint64_t id) {
  auto [tx, rx] = oneshot::channel<std::optional<job_info>>();
  message msg(status_msg{id, std::move(tx)});
  const bool sent = co_await tell(msg);
  if (!sent) co_return std::nullopt;
  std::optional<std::optional<job_info>> reply = co_await rx;
  co_return reply;
}

task<std::optional<std::vector<job_info>>> list_jobs() {
  auto [tx, rx] = oneshot::channel<std::vector<job_info>>();
  message msg(list_msg{std::move(tx)});
  const bool sent = co_await tell(msg);
  if (!sent) co_return std::nullopt;
  std::optional<std::vector<job_info>> reply = co_await rx;
  co_return reply;
}

}  // namespace demo
