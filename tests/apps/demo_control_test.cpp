// demo_control_test -- apps/demo's endpoints that bound and control work,
// end to end (as demo_test.cpp): the semaphore and its task budget, the rate
// limiter, the circuit breaker, the runtime's self-measurement and the task
// manager actor. Runs once per backend.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/apps/demo_fixture.hpp"

namespace demo_test {
namespace {

TEST_P(DemoTest, SemaphoreCapsConcurrencyAtThree) {
  const http_response r = get("/control/semaphore");
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(j.root["completed"].get_uint64().value(), 10u);
  EXPECT_EQ(j.root["max_concurrency"].get_uint64().value(), 3u);
  EXPECT_GE(num(j.root["total_time_ms"]), 400.0);  // four waves of 100 ms
  EXPECT_EQ(j.root["results"].get_array().size(), 10u);
}

// The semaphore endpoint's tasks come out of a process-wide budget (here 25
// tasks): a request that would go over gets 503 with Retry-After, and the
// budget comes back when the tasks finish, also when their client left.
// The test watches the budget through /control/semaphore/budget, so no probe
// ever races the request that holds it.
TEST_P(DemoTest, SemaphoreTasksComeOutOfABudget) {
  server_.reset();
  server_ = std::make_unique<demo_process>(app_binary("DEMO_BIN"), GetParam(), std::vector<std::string>{}, false,
                                           std::vector<std::string>{"/usr/bin/env", "RINGLANE_DEMO_TASK_BUDGET=25"});
  const std::string big = "/control/semaphore?tasks=20&permits=20&work_ms=3000";
  const std::string small = "/control/semaphore?tasks=10&work_ms=0";
  http_client watcher(port());
  // Polls the budget until `in_use` is `want`; returns false after 10 s.
  auto budget_reaches = [&](std::uint64_t want) {
    const auto deadline = steady::now() + 10s;
    for (;;) {
      const http_response r = watcher.get("/control/semaphore/budget");
      if (r.status != 200) return false;
      json_doc j(r.body);
      EXPECT_EQ(j.root["cap"].get_uint64().value(), 25u);
      const std::uint64_t in_use = j.root["in_use"].get_uint64().value();
      EXPECT_EQ(j.root["free"].get_uint64().value(), 25u - in_use);
      if (in_use == want) return true;
      if (steady::now() > deadline) return false;
    }
  };
  ASSERT_TRUE(budget_reaches(0));

  http_client holder(port());
  holder.send_request("GET", big);
  ASSERT_TRUE(budget_reaches(20)) << "the 20 tasks never took the budget";
  http_client probe(port());
  const http_response refused = probe.get(small);  // 10 more do not fit in 5
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("retry-after"), "1");
  json_doc j(refused.body);
  EXPECT_EQ(j.root["status"].get_int64().value(), 503);
  EXPECT_EQ(probe.get("/control/semaphore?tasks=5&work_ms=0").status, 200);  // exactly what is left fits
  EXPECT_EQ(holder.read_response().status, 200);
  ASSERT_TRUE(budget_reaches(0)) << "the finished tasks kept their budget";
  EXPECT_EQ(probe.get(small).status, 200);

  {  // a client that leaves: its tasks run on and still hold the budget
    http_client leaver(port());
    leaver.send_request("GET", big);
    ASSERT_TRUE(budget_reaches(20));
  }
  EXPECT_EQ(probe.get(small).status, 503);
  ASSERT_TRUE(budget_reaches(0)) << "the leaver's tasks never gave the budget back";
  EXPECT_EQ(probe.get(small).status, 200);
}

TEST_P(DemoTest, RateLimitRefusesWith429AndRetryAfter) {
  http_client c(port());
  for (int i = 0; i < 5; ++i) {  // the bucket starts full: 5 tokens
    const http_response r = c.get("/control/rate-limit");
    ASSERT_EQ(r.status, 200) << "request " << i;
  }
  http_response limited;
  for (int i = 0; i < 50 && limited.status != 429; ++i) limited = c.get("/control/rate-limit");
  ASSERT_EQ(limited.status, 429);
  EXPECT_GE(std::stoi(limited.header("retry-after")), 1);
  json_doc j(limited.body);
  EXPECT_EQ(str(j.root["error"]), "rate limit exceeded");
  EXPECT_GT(num(j.root["retry_after_ms"]), 0.0);
  EXPECT_LE(num(j.root["retry_after_ms"]), 200.0);
}

TEST_P(DemoTest, CircuitBreakerOpensThenRecovers) {
  http_client c(port());
  const char* after[] = {"closed", "closed", "open"};
  for (const char* state : after) {
    const http_response r = c.get("/control/circuit-breaker?fail=1");
    ASSERT_EQ(r.status, 502);
    EXPECT_EQ(str(json_doc(r.body).root["state"]), state);
  }
  const http_response rejected = c.get("/control/circuit-breaker");
  ASSERT_EQ(rejected.status, 503);
  EXPECT_FALSE(rejected.header("retry-after").empty());
  {
    json_doc j(rejected.body);
    EXPECT_EQ(str(j.root["result"]), "rejected");
    EXPECT_EQ(str(j.root["state"]), "open");
  }
  std::this_thread::sleep_for(600ms);  // the 500 ms cooldown
  const http_response trial = c.get("/control/circuit-breaker");
  ASSERT_EQ(trial.status, 200);
  {
    json_doc j(trial.body);
    EXPECT_TRUE(j.root["trial"].get_bool().value());
    EXPECT_EQ(str(j.root["state"]), "closed");
  }
  const http_response normal = c.get("/control/circuit-breaker");
  ASSERT_EQ(normal.status, 200);
  json_doc j(normal.body);
  EXPECT_FALSE(j.root["trial"].get_bool().value());
  EXPECT_EQ(j.root["consecutive_failures"].get_uint64().value(), 0u);
}

TEST_P(DemoTest, RuntimeMetricsAreMeasured) {
  const http_response r = get("/runtime/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  json_doc j(r.body);
  EXPECT_GT(num(j.root["task_spawn_overhead_ns"]), 0.0);
  EXPECT_GT(num(j.root["async_fn_overhead_ns"]), 0.0);
  EXPECT_GT(num(j.root["context_switch_overhead_ns"]), 0.0);
  const auto frame = j.root["frame_bytes"].get_uint64().value();
  const auto header = j.root["spawn_header_bytes"].get_uint64().value();
  EXPECT_GT(frame, 0u);
  EXPECT_GT(header, 0u);
  EXPECT_EQ(j.root["memory_usage_per_task_bytes"].get_uint64().value(), frame + header);
  EXPECT_GE(j.root["memory_usage_per_task_with_1k_state_bytes"].get_uint64().value(), 1024u + header);
  dom::array workers = j.root["workers"].get_array();
  ASSERT_EQ(workers.size(), 2u);
  std::uint64_t spawned = 0;
  for (dom::element w : workers) spawned += w["spawned"].get_uint64().value();
  EXPECT_GE(spawned, 10'000u + 1'000u + 1u);
  dom::element conns = j.root["connections"];
  EXPECT_GE(conns["open"].get_uint64().value(), 1u);  // this request's
  EXPECT_GE(conns["accepted"].get_uint64().value(), conns["open"].get_uint64().value());
  EXPECT_GE(conns["requests"].get_uint64().value(), 1u);
  EXPECT_EQ(conns["rejected"].get_uint64().value(), 0u);
  EXPECT_EQ(conns["idle_releases"].get_uint64().value(), 0u);  // nothing large went through
  EXPECT_EQ(conns["body_memory"].get_uint64().value(), 0u);    // a GET holds no body
  EXPECT_EQ(conns["body_refusals"].get_uint64().value(), 0u);
}

// Measurements run one at a time: a crowd of identical requests shares
// results instead of each keeping its own 10,000 tasks alive at once. Every
// response is either a fresh measurement or a copy of one that another
// response in the crowd reported as fresh.
TEST_P(DemoTest, ConcurrentMetricsRequestsShareAMeasurement) {
  constexpr int kClients = 6;
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<http_client>(port()));
    clients.back()->send_request("GET", "/runtime/metrics");
  }
  std::vector<std::pair<bool, std::string>> seen;  // fresh?, the measured figures
  for (auto& c : clients) {
    const http_response r = c->read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    json_doc j(r.body);
    std::string figures = std::to_string(num(j.root["task_spawn_overhead_ns"])) + " " +
                          std::to_string(num(j.root["async_fn_overhead_ns"])) + " " +
                          std::to_string(num(j.root["context_switch_overhead_ns"]));
    seen.emplace_back(j.root["measured_for_this_request"].get_bool().value(), std::move(figures));
  }
  std::set<std::string> fresh;
  for (const auto& [is_fresh, figures] : seen)
    if (is_fresh) fresh.insert(figures);
  EXPECT_FALSE(fresh.empty()) << "nobody measured";
  for (const auto& [is_fresh, figures] : seen) EXPECT_TRUE(fresh.count(figures)) << figures;
}

TEST_P(DemoTest, TaskActorStartStatusList) {
  http_client c(port());
  const http_response a = c.request("POST", "/tasks?ms=200&name=alpha");
  ASSERT_EQ(a.status, 202) << a.body;
  const std::uint64_t alpha = json_doc(a.body).root["id"].get_uint64().value();
  EXPECT_EQ(a.header("location"), "/tasks/" + std::to_string(alpha));
  EXPECT_EQ(str(json_doc(a.body).root["status"]), "running");
  const http_response b = c.request("POST", "/tasks?ms=100&name=will-fail");
  ASSERT_EQ(b.status, 202);
  const std::uint64_t failing = json_doc(b.body).root["id"].get_uint64().value();
  EXPECT_NE(alpha, failing);

  // Poll alpha until done: progress never goes back.
  std::uint64_t last_progress = 0;
  std::string status = "running";
  const auto deadline = steady::now() + 10s;
  while (status == "running" && steady::now() < deadline) {
    const http_response s = c.get("/tasks/" + std::to_string(alpha));
    ASSERT_EQ(s.status, 200);
    json_doc j(s.body);
    status = str(j.root["status"]);
    const std::uint64_t p = j.root["progress"].get_uint64().value();
    EXPECT_GE(p, last_progress);
    last_progress = p;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, "completed");
  EXPECT_EQ(last_progress, 100u);

  const http_response f = c.get("/tasks/" + std::to_string(failing));
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(str(json_doc(f.body).root["status"]), "failed");

  const http_response list = c.get("/tasks");
  ASSERT_EQ(list.status, 200);
  json_doc j(list.body);
  EXPECT_EQ(j.root["count"].get_uint64().value(), 2u);
  std::vector<std::uint64_t> ids;
  for (dom::element t : j.root["tasks"].get_array()) ids.push_back(t["id"].get_uint64().value());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{alpha, failing}));

  EXPECT_EQ(c.get("/tasks/999").status, 404);
}

// The job table is bounded: kMaxRunningJobs run at once (one more is a
// 503 with Retry-After), and only the latest kMaxFinishedJobs finished ones
// are kept -- no stream of POSTs grows the actor's memory without end.
TEST_P(DemoTest, TaskActorRefusesJobsPastItsRunningCap) {
  http_client c(port());
  for (int i = 0; i < 1000; ++i) {
    c.send_request("POST", "/tasks?ms=600000");  // pipelined: one write each, replies read below
  }
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.read_response().status, 202) << "job " << i;
  const http_response full = c.request("POST", "/tasks?ms=600000");
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.header("retry-after"), "1");
  const http_response list = c.get("/tasks");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json_doc(list.body).root["count"].get_uint64().value(), 1000u);
}

TEST_P(DemoTest, TaskActorForgetsTheOldestFinishedJobs) {
  http_client c(port());
  for (int i = 0; i < 1000; ++i) c.send_request("POST", "/tasks?ms=10");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.read_response().status, 202) << "job " << i;
  // The listed ids, and how many of those jobs still run.
  auto listed = [&c](std::size_t& running) {
    json_doc j(c.get("/tasks").body);
    std::vector<std::uint64_t> ids;
    running = 0;
    for (dom::element t : j.root["tasks"].get_array()) {
      ids.push_back(t["id"].get_uint64().value());
      running += str(t["status"]) == "running";
    }
    return ids;
  };
  std::size_t running = 1;
  std::vector<std::uint64_t> before;
  const auto deadline = steady::now() + 20s;
  while (running > 0 && steady::now() < deadline) {
    before = listed(running);
    if (running > 0) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(running, 0u);
  ASSERT_EQ(before.size(), 1000u);  // all finished, all kept
  // One more finishes: the job that finished first is forgotten, the table
  // stays at 1000.
  const http_response more = c.request("POST", "/tasks?ms=10");
  ASSERT_EQ(more.status, 202);
  const std::uint64_t extra = json_doc(more.body).root["id"].get_uint64().value();
  std::vector<std::uint64_t> after;
  running = 1;
  while (running > 0 && steady::now() < deadline) {
    after = listed(running);
    if (running > 0) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(running, 0u);
  EXPECT_EQ(after.size(), 1000u);
  EXPECT_NE(std::find(after.begin(), after.end(), extra), after.end());
  std::size_t gone = 0;
  for (std::uint64_t id : before) gone += std::find(after.begin(), after.end(), id) == after.end();
  EXPECT_EQ(gone, 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DemoTest, ::testing::Values("uring", "epoll"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace demo_test
