// exact_routes.hpp -- the router's fast path: routes without parameters,
// found by one hash probe instead of a walk down the tree.
//
//   exact_routes t;
//   t.add("GET", "/json", 1);
//   t.find("GET", "/json");   // -> pointer to 1
//   t.find("GET", "/other");  // -> nullptr: ask the tree
//
// Why it is exact. The tree tries static text before parameters at every
// node, and a route made only of static text is reachable by static steps
// alone, so when (method, path) is in this table the tree would return this
// very route. A miss says nothing: the tree still decides (parameters,
// wildcards, HEAD falling back to GET, 404 versus 405).
//
// The table is open addressing with linear probing over a power-of-two
// array of indices, at most half full, rebuilt by add() (start-up only).
// The hash reads the path's length and its first and last eight bytes, so
// a probe costs the same for "/" and "/api/v1/very/long/static/path".
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ringlane::http {

class exact_routes {
 public:
  void add(std::string_view method, std::string_view path, std::size_t id) {
    entries_.push_back({std::string(method), std::string(path), id, hash(method, path)});
    std::size_t size = 8;
    while (size < 2 * entries_.size()) size *= 2;
    slots_.assign(size, empty);
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
      std::size_t at = entries_[i].hash & (size - 1);
      while (slots_[at] != empty) at = (at + 1) & (size - 1);
      slots_[at] = i;
    }
  }

  // The route id for exactly (method, path), or nullptr.
  const std::size_t* find(std::string_view method, std::string_view path) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::uint64_t h = hash(method, path);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
      const std::uint32_t i = slots_[at];
      if (i == empty) return nullptr;
      const entry& e = entries_[i];
      if (e.hash == h && e.path == path && e.method == method) return &e.id;
    }
  }

 private:
  static constexpr std::uint32_t empty = UINT32_MAX;

  struct entry {
    std::string method;
    std::string path;
    std::size_t id;
    std::uint64_t hash;
  };

  static std::uint64_t hash(std::string_view method, std::string_view path) noexcept {
    std::uint64_t head = 0, tail = 0;
    const std::size_t n = path.size();
    if (n >= 8) {
      std::memcpy(&head, path.data(), 8);
      std::memcpy(&tail, path.data() + n - 8, 8);
    } else {
      for (std::size_t i = 0; i < n; ++i) head |= std::uint64_t{static_cast<unsigned char>(path[i])} << (8 * i);
    }
    std::uint64_t h = (n << 16) ^ (method.size() << 8) ^ (method.empty() ? 0u : static_cast<unsigned char>(method[0]));
    h = (h ^ head) * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 31) ^ tail) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
  }

  std::vector<entry> entries_;
  std::vector<std::uint32_t> slots_;
};

}  // namespace ringlane::http
