// pipeline.cpp -- POST /async/pipeline: the article's four-stage pipeline.
//
//   validate (10 ms; empty body -> "Empty input")
//     -> transform (20 ms; uppercase)
//     -> enrich (30 ms) and fetch metadata (25 ms), together (when_all)
//     -> finalize (15 ms; a JSON document)
//
// A stage fails by throwing demo_error (Rust's `?` on an Err); the handler
// turns it into 500 {"error": "Pipeline error: <message>"}. Success is 200
// with the finalized document. Every stage takes its input by value, so no
// stage refers to the request after a suspension.
#include <cctype>
#include <string>

#include "apps/demo/common.hpp"
#include "apps/demo/handlers.hpp"
#include "runtime/combinators/when_all.hpp"

namespace demo {
namespace {

task<std::string> validate_input(std::string input) {
  co_await ringlane::sleep(10ms);
  if (input.empty()) throw demo_error("Empty input");
  co_return input;
}

task<std::string> transform_data(std::string data) {
  co_await ringlane::sleep(20ms);
  for (char& c : data) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  co_return data;
}

task<std::string> enrich_data(std::string data) {
  co_await ringlane::sleep(30ms);
  co_return "ENRICHED: " + data;
}

task<std::string> fetch_metadata(std::string data) {
  co_await ringlane::sleep(25ms);
  co_return "META: length=" + std::to_string(data.size());
}

task<std::string> finalize_data(std::string data, std::string metadata) {
  co_await ringlane::sleep(15ms);
  std::string out;
  http::json_writer w(out);
  w.begin_object()
      .key("data").value(data)
      .key("metadata").value(metadata)
      .key("timestamp").value(unix_seconds())
      .end_object();
  co_return out;
}

task<std::string> execute_pipeline(std::string input) {
  std::string validated = co_await validate_input(std::move(input));
  std::string transformed = co_await transform_data(std::move(validated));
  auto [enriched, metadata] = co_await ringlane::when_all(enrich_data(transformed), fetch_metadata(transformed));
  co_return co_await finalize_data(std::move(enriched), std::move(metadata));
}

}  // namespace

task<void> async_pipeline(http::context& ctx) {
  std::string result;
  std::string error;
  try {
    result = co_await execute_pipeline(std::string(ctx.body()));
  } catch (const demo_error& e) {
    error = e.what();
  }
  if (!error.empty()) {
    json_error(ctx, 500, "Pipeline error: " + error);
    co_return;
  }
  json_body(ctx, 200) = std::move(result);
}

}  // namespace demo
