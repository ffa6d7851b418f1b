// when_all.hpp -- run tasks concurrently and wait for all of them.
//
//   auto [user, posts] = co_await when_all(load_user(id), load_posts(id));
//   std::vector<int> sizes = co_await when_all(std::move(vector_of_tasks));
//
// Every operand runs as a child task (child.hpp), so they overlap even when
// each one parks. when_all waits for *all* children, even after one failed,
// then rethrows the exception of the lowest-numbered failed operand (like
// Tokio's join!, not try_join!: no operand is left running behind your
// back). A void operand yields `unit` in the tuple/vector.
#pragma once

#include <array>
#include <exception>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/combinators/child.hpp"

namespace ringlane {
namespace detail {

// Takes a finished child's result; records the first exception instead of
// throwing it.
template <class T>
std::optional<value_or_unit<T>> take_or_record(scoped_child<T>& kid, std::exception_ptr& error) {
  try {
    if constexpr (std::is_void_v<T>) {
      kid.handle().take_result();
      return unit{};
    } else {
      return kid.handle().take_result();
    }
  } catch (...) {
    if (!error) error = std::current_exception();
    return std::nullopt;
  }
}

}  // namespace detail

template <class... T>
task<std::tuple<value_or_unit<T>...>> when_all(task<T>... operands) {
  // Braced initialisation spawns left to right.
  std::tuple<detail::scoped_child<T>...> kids{detail::spawn_child(std::move(operands))...};
  const std::array<detail::task_header*, sizeof...(T)> headers =
      std::apply([](auto&... k) { return std::array<detail::task_header*, sizeof...(T)>{k.header()...}; }, kids);
  for (detail::task_header* h : headers) co_await detail::wait_complete(h);

  std::exception_ptr error;
  // Braced initialisation again: results are taken (and the first exception
  // recorded) in operand order.
  auto results = std::apply(
      [&](auto&... k) { return std::tuple<std::optional<value_or_unit<T>>...>{detail::take_or_record(k, error)...}; },
      kids);
  if (error) std::rethrow_exception(error);
  co_return std::apply([](auto&... r) { return std::tuple<value_or_unit<T>...>{std::move(*r)...}; }, results);
}

template <class T>
task<std::vector<value_or_unit<T>>> when_all(std::vector<task<T>> operands) {
  std::vector<detail::scoped_child<T>> kids;
  kids.reserve(operands.size());
  for (task<T>& t : operands) kids.push_back(detail::spawn_child(std::move(t)));
  for (auto& k : kids) co_await detail::wait_complete(k.header());

  std::exception_ptr error;
  std::vector<std::optional<value_or_unit<T>>> results;
  results.reserve(kids.size());
  for (auto& k : kids) results.push_back(detail::take_or_record(k, error));
  if (error) std::rethrow_exception(error);
  std::vector<value_or_unit<T>> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  co_return out;
}

}  // namespace ringlane
