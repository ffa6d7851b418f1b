#include "http/proto/query.hpp"

#include "http/proto/uri.hpp"

namespace ringlane::http {
namespace {

// Decoded form of a query component; the raw text if its escapes are bad.
void decode_component(std::string_view raw, std::string& out) {
  if (!percent_decode(raw, out, true)) out.assign(raw);
}

// Calls f(name, value) with the raw text of each non-empty pair; stops when
// f returns false.
template <class F>
void for_each_pair(std::string_view query, F&& f) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!name.empty() && !f(name, value)) return;
    if (amp == std::string_view::npos) return;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::vector<query_param> parse_query(std::string_view query) {
  std::vector<query_param> params;
  for_each_pair(query, [&](std::string_view name, std::string_view value) {
    query_param& p = params.emplace_back();
    decode_component(name, p.name);
    decode_component(value, p.value);
    return true;
  });
  return params;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  std::optional<std::string> found;
  std::string decoded;
  for_each_pair(query, [&](std::string_view raw_name, std::string_view raw_value) {
    // Names without escapes (nearly all) are compared without decoding.
    if (raw_name.find_first_of("%+") == std::string_view::npos) {
      if (raw_name != name) return true;
    } else {
      decode_component(raw_name, decoded);
      if (decoded != name) return true;
    }
    decode_component(raw_value, found.emplace());
    return false;
  });
  return found;
}

}  // namespace ringlane::http
