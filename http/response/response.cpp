// response.cpp -- see response.hpp.
#include "http/response/response.hpp"

#include <cassert>
#include <cstdint>
#include <cstring>

#include "http/ascii.hpp"

namespace ringlane::http {

bool valid_field_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!ascii::is_tchar(c)) return false;
  }
  return true;
}

// Only the three bytes that can break the framing are refused; other
// control bytes are invalid HTTP too but harmless to the message. Values
// are checked a word at a time: a word with no byte below 0x0E (the usual
// case) cannot hold any of the three, and only a word with one is looked
// at byte by byte.
bool valid_field_value(std::string_view value) noexcept {
  constexpr std::uint32_t bad = (1u << '\0') | (1u << '\n') | (1u << '\r');
  auto bad_byte = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= '\r' && ((bad >> u) & 1u);
  };
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const char* p = value.data();
  std::size_t n = value.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (((w - ones * 0x0E) & ~w & highs) == 0) continue;  // every byte >= 0x0E
    for (int i = 0; i < 8; ++i) {
      if (bad_byte(p[i])) return false;
    }
  }
  for (; n > 0; ++p, --n) {
    if (bad_byte(*p)) return false;
  }
  return true;
}

std::ptrdiff_t response::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const field& x = fields_[i];
    if (ascii::iequals(std::string_view(bytes_.data() + x.name_at, x.name_len), name)) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

void response::append(std::string_view name, std::string_view value) {
  // Offsets are taken before appending; byte_store copes with a source
  // that aliases its bytes (r.header("a", r.header("b"))).
  const auto at = static_cast<std::uint32_t>(bytes_.size());
  const auto name_len = static_cast<std::uint32_t>(name.size());
  const auto value_len = static_cast<std::uint32_t>(value.size());
  bytes_.append(name, value);
  fields_.push_back(field{at, name_len, at + name_len, value_len});
}

response& response::add_header(std::string_view name, std::string_view value) {
  if (!valid_field(name, value)) {
    assert(!"response header with an invalid name or a CR/LF/NUL in its value");
    return *this;
  }
  append(name, value);
  return *this;
}

response& response::header(std::string_view name, std::string_view value) {
  if (!valid_field(name, value)) {
    assert(!"response header with an invalid name or a CR/LF/NUL in its value");
    return *this;
  }
  return set(name, value);
}

response& response::set_known_name(std::string_view name, std::string_view value) {
  assert(valid_field_name(name));
  if (!valid_field_value(value)) {
    assert(!"response header with a CR/LF/NUL in its value");
    return *this;
  }
  return set(name, value);
}

response& response::set(std::string_view name, std::string_view value) {
  if (fields_.empty()) {  // the usual first field: nothing to replace
    append(name, value);
    return *this;
  }
  std::ptrdiff_t at = find(name);
  if (at < 0) {
    append(name, value);
    return *this;
  }
  field& x = fields_[static_cast<std::size_t>(at)];
  if (value.size() <= x.value_len) {
    // memmove: `value` may be a view of these very bytes.
    std::memmove(bytes_.data() + x.value_at, value.data(), value.size());
  } else {
    x.value_at = static_cast<std::uint32_t>(bytes_.size());
    bytes_.append(value, {});
  }
  x.value_len = static_cast<std::uint32_t>(value.size());
  // "Sets" means one field: drop any later ones added with add_header().
  std::size_t keep = static_cast<std::size_t>(at) + 1;
  for (std::size_t i = keep; i < fields_.size(); ++i) {
    const field& y = fields_[i];
    if (!ascii::iequals(std::string_view(bytes_.data() + y.name_at, y.name_len), name)) {
      fields_[keep++] = y;
    }
  }
  fields_.resize(keep);
  return *this;
}

std::string_view response::header(std::string_view name) const noexcept {
  std::ptrdiff_t at = find(name);
  if (at < 0) return {};
  const field& x = fields_[static_cast<std::size_t>(at)];
  return {bytes_.data() + x.value_at, x.value_len};
}

bool response::has_header(std::string_view name) const noexcept { return find(name) >= 0; }

bool response::remove_header(std::string_view name) noexcept {
  std::size_t keep = 0;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const field& y = fields_[i];
    if (!ascii::iequals(std::string_view(bytes_.data() + y.name_at, y.name_len), name)) {
      fields_[keep++] = y;
    }
  }
  bool removed = keep != fields_.size();
  fields_.resize(keep);
  return removed;
}

std::size_t response::header_bytes() const noexcept {
  std::size_t n = 0;
  for (const field& x : fields_) n += x.name_len + x.value_len + 4;  // ": " and CRLF
  return n;
}

}  // namespace ringlane::http
