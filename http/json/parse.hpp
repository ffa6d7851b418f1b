// parse.hpp -- JSON in: a request body through simdjson's On-Demand API.
//
//   json_body json;                           // keep one per connection
//   if (json.parse(req.body()) != simdjson::SUCCESS) return bad_request();
//   std::int64_t id;
//   if (json.doc()["id"].get_int64().get(id) != simdjson::SUCCESS) return bad_request();
//
// Padding. simdjson reads in 64-byte blocks and needs SIMDJSON_PADDING
// allocated (not initialised) bytes after the JSON. The engine reserves
// request bodies with that much spare capacity, so parse() normally works
// on the body's own buffer; when a body lacks it, the bytes are copied once
// into a padded buffer this object keeps (and reuses).
//
// Lifetimes -- the rule. doc(), and every value, object or string view
// taken from it, is valid until the next parse() on this json_body or its
// destruction, and, when the body was parsed in place, only while the body
// string lives unmodified. Use the document before the request ends.
//
// Why one parser per json_body, not per thread: handlers are coroutines,
// and several run interleaved on one worker thread. With a thread-local
// parser, a handler that parsed, then awaited, could find its document
// silently repointed at another handler's body. A json_body owned by the
// request (or its connection) cannot be shared that way. The parser's
// buffers are sized on first use and then reused.
//
// Errors come back as values; nothing here throws. parse() reports what
// simdjson's first pass finds (EMPTY, UTF8_ERROR, UNCLOSED_STRING,
// UNESCAPED_CHARS, MEMALLOC, CAPACITY); On-Demand checks the rest of the
// grammar lazily, so accessors on doc() can still return errors (TAPE_ERROR,
// INCORRECT_TYPE...) and must be checked.
#pragma once

#include <simdjson.h>

#include <string>

namespace ringlane::http {

class json_body {
 public:
  json_body() = default;
  json_body(const json_body&) = delete;  // the document points into this object
  json_body& operator=(const json_body&) = delete;

  // Starts parsing `body`: SUCCESS, or the error.
  simdjson::error_code parse(const std::string& body);
  // The document of the last successful parse().
  simdjson::ondemand::document& doc() noexcept { return doc_; }
  // Whether the last parse() read the body's own buffer (no copy).
  bool parsed_in_place() const noexcept { return in_place_; }

 private:
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document doc_;
  std::string padded_;  // the copy, for bodies without spare capacity
  bool in_place_ = false;
};

}  // namespace ringlane::http
