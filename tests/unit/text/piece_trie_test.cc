#include "core/text/piece_trie.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synesthesia::text::internal {
namespace {

using Match = std::pair<int32_t, size_t>;

PieceTrie BuildTrie(const std::vector<std::pair<std::string_view, int32_t>>& pieces) {
  PieceTrie trie;
  trie.Build(pieces);
  return trie;
}

TEST(PieceTrie, FindsLongestPrefix) {
  const PieceTrie trie = BuildTrie({{"un", 1}, {"unaff", 2}, {"u", 3}, {"unaffable", 4}});
  EXPECT_EQ(trie.LongestPrefix("unaffable"), Match(4, 9));
  EXPECT_EQ(trie.LongestPrefix("unaffected"), Match(2, 5));
  EXPECT_EQ(trie.LongestPrefix("unafraid"), Match(1, 2));
  EXPECT_EQ(trie.LongestPrefix("up"), Match(3, 1));
}

TEST(PieceTrie, NoMatchGivesMinusOne) {
  const PieceTrie trie = BuildTrie({{"abc", 7}});
  EXPECT_EQ(trie.LongestPrefix("xyz"), Match(-1, 0));
  EXPECT_EQ(trie.LongestPrefix("ab"), Match(-1, 0));
  EXPECT_EQ(trie.LongestPrefix(""), Match(-1, 0));
}

TEST(PieceTrie, EmptyTrieMatchesNothing) {
  const PieceTrie unbuilt;
  EXPECT_EQ(unbuilt.LongestPrefix("a"), Match(-1, 0));
  const PieceTrie empty = BuildTrie({{"", 1}});
  EXPECT_EQ(empty.LongestPrefix("a"), Match(-1, 0));
}

TEST(PieceTrie, MultiByteAndManyChildren) {
  // More than eight children under "x" take the binary search path.
  std::vector<std::string> storage;
  for (char c = 'a'; c <= 'z'; ++c) storage.push_back(std::string("x") + c);
  std::vector<std::pair<std::string_view, int32_t>> pieces;
  for (size_t i = 0; i < storage.size(); ++i) pieces.emplace_back(storage[i], static_cast<int32_t>(i));
  pieces.emplace_back("\xC3\xA9t\xC3\xA9", 100);  // "été"
  const PieceTrie trie = BuildTrie(pieces);
  EXPECT_EQ(trie.LongestPrefix("xq!"), Match(16, 2));
  EXPECT_EQ(trie.LongestPrefix("xz"), Match(25, 2));
  EXPECT_EQ(trie.LongestPrefix("x"), Match(-1, 0));
  EXPECT_EQ(trie.LongestPrefix("\xC3\xA9t\xC3\xA9s"), Match(100, 5));
}

}  // namespace
}  // namespace synesthesia::text::internal
