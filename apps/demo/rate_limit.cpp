// rate_limit.cpp -- GET /control/rate-limit: a token bucket.
//
// One bucket for the whole process (every worker, every connection): a
// std::mutex guards it, held only for the arithmetic. It holds at most 5
// tokens (the article's 5) and gains one every 200 ms (5 per second). A
// request takes one token: 200 with what is left; with none left, 429 with
// Retry-After (whole seconds, rounded up) and the exact wait in milliseconds.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"

namespace demo {
namespace {

class token_bucket {
 public:
  token_bucket(double capacity, double per_second) : capacity_(capacity), rate_(per_second), tokens_(capacity) {}

  struct decision {
    bool allowed;
    double tokens_left;
    double retry_after_ms;  // when refused: until one whole token is back
  };

  decision take(ringlane::clock_source::time_point now) {
    std::lock_guard lock(mu_);
    if (!started_) {
      started_ = true;
      last_ = now;
    }
    const double elapsed_s = std::chrono::duration<double>(now - last_).count();
    if (elapsed_s > 0) {
      tokens_ = std::min(capacity_, tokens_ + elapsed_s * rate_);
      last_ = now;
    }
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return {true, tokens_, 0.0};
    }
    return {false, tokens_, (1.0 - tokens_) / rate_ * 1000.0};
  }

  double capacity() const noexcept { return capacity_; }
  double rate() const noexcept { return rate_; }

 private:
  const double capacity_;
  const double rate_;
  std::mutex mu_;
  double tokens_;
  bool started_ = false;
  ringlane::clock_source::time_point last_{};
};

token_bucket& bucket() {
  static token_bucket b(5.0, 5.0);
  return b;
}

}  // namespace

task<void> control_rate_limit(http::context& ctx) {
  token_bucket& b = bucket();
  const token_bucket::decision d = b.take(ringlane::now());
  if (!d.allowed) {
    const auto retry_s = static_cast<std::int64_t>(std::max(1.0, std::ceil(d.retry_after_ms / 1000.0)));
    ctx.response().header("retry-after", std::to_string(retry_s));
    http::json_writer w(json_body(ctx, 429));
    w.begin_object()
        .key("error").value("rate limit exceeded")
        .key("status").value(429)
        .key("retry_after_ms").value(d.retry_after_ms)
        .key("capacity").value(b.capacity())
        .key("refill_per_second").value(b.rate())
        .key("scope").value("process")
        .end_object();
    co_return;
  }
  http::json_writer w(json_body(ctx));
  w.begin_object()
      .key("allowed").value(true)
      .key("tokens_remaining").value(static_cast<std::int64_t>(std::floor(d.tokens_left)))
      .key("capacity").value(b.capacity())
      .key("refill_per_second").value(b.rate())
      .key("scope").value("process")
      .end_object();
  co_return;
}

}  // namespace demo
