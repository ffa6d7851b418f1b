// Tests for engine/net/small_fifo.hpp: order across wrap-around, growth onto
// the heap from any head position with the order kept, clear, for_each.
#include "engine/net/small_fifo.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ringlane::engine {
namespace {

template <std::size_t N>
std::vector<int> contents(const small_fifo<int, N>& q) {
  std::vector<int> v;
  q.for_each([&](int x) { v.push_back(x); });
  return v;
}

TEST(SmallFifo, FirstInFirstOutAcrossWrapAround) {
  small_fifo<int, 4> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  // Three in, two out, many times: the head walks around the ring.
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3 && q.size() < 4; ++i) q.push_back(next_in++);
    for (int i = 0; i < 2 && !q.empty(); ++i) {
      EXPECT_EQ(q.front(), next_out++);
      q.pop_front();
    }
  }
  while (!q.empty()) {
    EXPECT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_EQ(q.capacity(), 4u) << "never more than four at once: no growth";
}

TEST(SmallFifo, GrowingKeepsTheOrderWhateverTheHead) {
  for (int shift = 0; shift < 4; ++shift) {
    small_fifo<int, 4> q;
    for (int i = 0; i < shift; ++i) {  // move the head into the ring
      q.push_back(-1);
      q.pop_front();
    }
    for (int i = 0; i < 11; ++i) q.push_back(i);
    EXPECT_EQ(q.capacity(), 16u);
    EXPECT_EQ(q.size(), 11u);
    EXPECT_EQ(contents(q), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})) << "shift " << shift;
    for (int i = 0; i < 11; ++i) {
      EXPECT_EQ(q.front(), i);
      q.pop_front();
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(SmallFifo, ClearEmptiesAndKeepsWorking) {
  small_fifo<int, 2> q;
  q.push_back(1);
  q.push_back(2);
  q.push_back(3);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(contents(q), std::vector<int>{});
  q.push_back(7);
  EXPECT_EQ(q.front(), 7);
}

}  // namespace
}  // namespace ringlane::engine
