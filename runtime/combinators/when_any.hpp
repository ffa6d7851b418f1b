// when_any.hpp -- run tasks concurrently; the first to finish wins.
//
//   auto r = co_await when_any(fetch_primary(), fetch_replica());
//   // r.index: which operand won; r.value: std::variant of the results
//
// Every operand runs as a child task. As soon as one completes, every other
// operand is aborted **and awaited** before when_any returns, so no loser
// is still running (or still owns memory the kernel may write) afterwards.
// "Completes" includes failing: if the winner threw, when_any rethrows.
// Ties (several finished before we looked) go to the lowest index.
#pragma once

#include <array>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/combinators/child.hpp"

namespace ringlane {

template <class... T>
struct when_any_result {
  std::size_t index;
  std::variant<value_or_unit<T>...> value;
};

namespace detail {

template <class T>
value_or_unit<T> take_value(scoped_child<T>& kid) {
  if constexpr (std::is_void_v<T>) {
    kid.handle().take_result();
    return unit{};
  } else {
    return kid.handle().take_result();
  }
}

// Aborts every child but `winner` and waits until each one is complete.
template <class Range>
task<void> cancel_losers(Range headers, std::size_t winner) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i != winner && !is_complete(headers[i])) request_abort(headers[i]);
  }
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i != winner) co_await wait_complete(headers[i]);
  }
}

}  // namespace detail

template <class... T>
task<when_any_result<T...>> when_any(task<T>... operands) {
  static_assert(sizeof...(T) > 0, "when_any needs at least one operand");
  std::tuple<detail::scoped_child<T>...> kids{detail::spawn_child(std::move(operands))...};
  const std::array<detail::task_header*, sizeof...(T)> headers =
      std::apply([](auto&... k) { return std::array<detail::task_header*, sizeof...(T)>{k.header()...}; }, kids);

  std::size_t winner;
  {
    detail::any_complete wait{headers};
    co_await wait;
    winner = wait.first_complete();
  }
  co_await detail::cancel_losers(headers, winner);

  std::optional<when_any_result<T...>> out;
  // Construct the variant alternative of the (run-time) winning index.
  auto take_if_winner = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
    if (I == winner) {
      out.emplace(when_any_result<T...>{
          I, std::variant<value_or_unit<T>...>(std::in_place_index<I>, detail::take_value(std::get<I>(kids)))});
    }
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (take_if_winner(std::integral_constant<std::size_t, I>{}), ...);
  }(std::index_sequence_for<T...>{});
  co_return std::move(*out);
}

// Range form: returns {index of the winner, its value}.
template <class T>
task<std::pair<std::size_t, value_or_unit<T>>> when_any(std::vector<task<T>> operands) {
  if (operands.empty()) throw std::invalid_argument("when_any of an empty range");
  std::vector<detail::scoped_child<T>> kids;
  std::vector<detail::task_header*> headers;
  kids.reserve(operands.size());
  for (task<T>& t : operands) {
    kids.push_back(detail::spawn_child(std::move(t)));
    headers.push_back(kids.back().header());
  }
  std::size_t winner;
  {
    detail::any_complete wait{headers};
    co_await wait;
    winner = wait.first_complete();
  }
  co_await detail::cancel_losers(headers, winner);
  co_return std::pair<std::size_t, value_or_unit<T>>{winner, detail::take_value(kids[winner])};
}

}  // namespace ringlane
