// parse.cpp -- see parse.hpp.
#include "http/json/parse.hpp"

#include <utility>

namespace ringlane::http {

simdjson::error_code json_body::parse(const std::string& body) {
  // Drop the old document first: simdjson requires it gone before the
  // parser iterates again.
  doc_ = simdjson::ondemand::document();
  const std::string* source = &body;
  in_place_ = body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING;
  if (!in_place_) {
    // reserve() before assign(): assign alone may size the buffer to fit.
    // Both can throw only std::bad_alloc; report that as MEMALLOC.
    try {
      padded_.reserve(body.size() + simdjson::SIMDJSON_PADDING);
      padded_.assign(body);
    } catch (const std::bad_alloc&) {
      return simdjson::MEMALLOC;
    }
    source = &padded_;
  }
  // capacity() excludes the terminator, so the allocation is one byte
  // larger than what we promise simdjson.
  auto result = parser_.iterate(source->data(), source->size(), source->capacity());
  return std::move(result).get(doc_);
}

}  // namespace ringlane::http
