// byte_store.hpp -- the response's field bytes: a growable byte buffer whose
// append of a name and a value is one capacity check and two copies.
//
// std::string would do, but its append() is an out-of-line call per piece
// with an aliasing check each; a header set per request (Content-Type) paid
// ~60 instructions for that alone. Here the common case -- the bytes fit,
// which is every request after a connection's first -- is inline.
//
// Sources may point into the store itself (r.header("a", r.header("b"))):
// when the bytes fit they are copied from below size() to above it, which
// never overlaps; when the store grows, the old block stays alive until
// both pieces were copied out of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace ringlane::http {

class byte_store {
 public:
  byte_store() = default;
  byte_store(const byte_store& o) { *this = o; }
  byte_store& operator=(const byte_store& o) {
    if (this != &o) {
      clear();
      append(std::string_view(o.data(), o.size_), {});
    }
    return *this;
  }
  byte_store(byte_store&&) noexcept = default;
  byte_store& operator=(byte_store&&) noexcept = default;

  char* data() noexcept { return block_.get(); }
  const char* data() const noexcept { return block_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  // Keeps the block.
  void clear() noexcept { size_ = 0; }
  // Empties the store and frees its block.
  void release() noexcept {
    block_.reset();
    size_ = capacity_ = 0;
  }

  // Appends `a` then `b`.
  void append(std::string_view a, std::string_view b) {
    const std::size_t need = size_ + a.size() + b.size();
    if (need > capacity_) [[unlikely]] {
      grow_and_append(need, a, b);
      return;
    }
    char* p = block_.get() + size_;
    if (!a.empty()) std::memcpy(p, a.data(), a.size());
    if (!b.empty()) std::memcpy(p + a.size(), b.data(), b.size());
    size_ = need;
  }

 private:
  void grow_and_append(std::size_t need, std::string_view a, std::string_view b) {
    const std::size_t cap = std::max<std::size_t>({need, 2 * capacity_, 128});
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (size_) std::memcpy(bigger.get(), block_.get(), size_);
    if (!a.empty()) std::memcpy(bigger.get() + size_, a.data(), a.size());  // may read the old block
    if (!b.empty()) std::memcpy(bigger.get() + size_ + a.size(), b.data(), b.size());
    block_ = std::move(bigger);
    capacity_ = cap;
    size_ = need;
  }

  std::unique_ptr<char[]> block_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace ringlane::http
