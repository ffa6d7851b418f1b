// response.hpp -- what a handler fills in: status, header fields, body.
//
//   response& r = ctx.response();          // one per connection, reused
//   r.status(201).content_type("application/json").body(R"({"id":7})");
//   r.add_header("set-cookie", "a=1");
//   r.add_header("set-cookie", "b=2");      // both are sent, in this order
//
// Storage. Every name and value lives in one byte store, and a small
// vector of offsets says where each field is:
//
//   bytes_:  content-typeapplication/jsonset-cookiea=1set-cookieb=2
//   fields_: {0,12, 12,16} {28,10, 38,3} {41,10, 51,3}
//
// clear() empties both but keeps their capacity, so a connection's response
// object stops allocating after its first few requests (release_memory()
// gives back what a large one made them grow to). Replacing a value
// writes over the old bytes when the new value fits, else appends; removed
// fields leave their bytes behind until clear(). Neither matters for an
// object that lives for one request.
//
// Response splitting. A name must be a token and a value must not contain
// CR, LF or NUL: such a field could end the header block early and let
// whoever chose the value write headers (or a whole response) of their own.
// header() and add_header() ignore invalid input and return *this, so no
// such byte ever reaches the wire; debug builds assert, because passing
// one is a bug in the caller.
//
// Framing belongs to the engine: Content-Length and Transfer-Encoding set
// here are dropped by write_response() (see serialize.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/response/byte_store.hpp"

namespace ringlane::http {

class response {
 public:
  response& status(int code) noexcept {
    status_ = code;
    return *this;
  }
  int status() const noexcept { return status_; }

  // Sets `name`: replaces the first field of that name (case-insensitive),
  // in place, and removes any others; appends when there is none.
  response& header(std::string_view name, std::string_view value);
  // Appends a field even if one of that name exists (Set-Cookie, Vary...).
  response& add_header(std::string_view name, std::string_view value);
  // The value of the first field named `name`, or "" if there is none. The
  // view is valid until the response is next modified.
  std::string_view header(std::string_view name) const noexcept;
  bool has_header(std::string_view name) const noexcept;
  // Removes every field named `name`; false if there was none.
  bool remove_header(std::string_view name) noexcept;
  std::size_t header_count() const noexcept { return fields_.size(); }

  response& body(std::string_view bytes) {
    // assign() must allow `bytes` to be a view of body_ itself, and pays
    // for that check on every call; clear() + append() is the cheaper
    // path whenever the bytes live elsewhere (the usual case).
    const auto at = reinterpret_cast<std::uintptr_t>(bytes.data());
    const auto own = reinterpret_cast<std::uintptr_t>(body_.data());
    if (at - own <= body_.capacity()) {
      body_.assign(bytes.data(), bytes.size());
    } else {
      body_.clear();
      body_.append(bytes.data(), bytes.size());
    }
    return *this;
  }
  // body("literal") would be ambiguous between the two overloads around it.
  response& body(const char* bytes) { return body(std::string_view(bytes)); }
  // Takes the string (and its buffer): no copy for large bodies.
  response& body(std::string&& bytes) {
    body_ = std::move(bytes);
    return *this;
  }
  std::string& body() noexcept { return body_; }
  const std::string& body() const noexcept { return body_; }

  // header("Content-Type", v), minus the check of a name known to be valid.
  response& content_type(std::string_view v) { return set_known_name("Content-Type", v); }

  // f(std::string_view name, std::string_view value) for every field, in
  // insertion order (a replaced field keeps its place).
  template <class F>
  void for_each_header(F&& f) const {
    for (const field& x : fields_) {
      f(std::string_view(bytes_.data() + x.name_at, x.name_len),
        std::string_view(bytes_.data() + x.value_at, x.value_len));
    }
  }

  // Bytes the fields take on the wire ("name: value\r\n" each): lets the
  // serializer size its output once.
  std::size_t header_bytes() const noexcept;

  // Back to 200, no fields, empty body; keeps every buffer's capacity.
  void clear() noexcept {
    status_ = 200;
    bytes_.clear();
    fields_.clear();
    body_.clear();
  }
  // clear(), and frees each buffer whose capacity grew past `keep` bytes
  // (a connection going idle after a large response).
  void release_memory(std::size_t keep) noexcept {
    clear();
    if (bytes_.capacity() > keep) bytes_.release();
    if (fields_.capacity() * sizeof(field) > keep) fields_.shrink_to_fit();  // empty: frees
    if (body_.capacity() > keep) body_.shrink_to_fit();
  }
  // Bytes the buffers hold (their capacities), for tests and stats.
  std::size_t retained_bytes() const noexcept {
    return bytes_.capacity() + fields_.capacity() * sizeof(field) + body_.capacity();
  }

 private:
  struct field {
    std::uint32_t name_at, name_len, value_at, value_len;
  };

  // The index of the first field named `name`, or -1.
  std::ptrdiff_t find(std::string_view name) const noexcept;
  // header()'s work once the field is known to be valid.
  response& set(std::string_view name, std::string_view value);
  response& set_known_name(std::string_view name, std::string_view value);
  void append(std::string_view name, std::string_view value);

  int status_ = 200;
  byte_store bytes_;
  std::vector<field> fields_;
  std::string body_;
};

// True when `name` may be sent as a field name (a token) and `value` as its
// value (no CR, LF or NUL).
bool valid_field_name(std::string_view name) noexcept;
bool valid_field_value(std::string_view value) noexcept;
inline bool valid_field(std::string_view name, std::string_view value) noexcept {
  return valid_field_name(name) && valid_field_value(value);
}

}  // namespace ringlane::http
