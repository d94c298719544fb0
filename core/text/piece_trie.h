// A byte trie over vocabulary pieces for WordPiece's longest-match search.
// Internal to synesthesia::text.
#ifndef SYNESTHESIA_CORE_TEXT_PIECE_TRIE_H_
#define SYNESTHESIA_CORE_TEXT_PIECE_TRIE_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace synesthesia::text::internal {

// Finds the longest piece that starts a text in one pass over its bytes,
// where a hash map would need one lookup per candidate length. Immutable
// after Build, so concurrent lookups are safe.
class PieceTrie {
 public:
  // Builds the trie over PIECES, pairs of piece and id. Pieces must be
  // distinct and non-empty; an empty piece is ignored.
  void Build(const std::vector<std::pair<std::string_view, int32_t>>& pieces);

  // Returns the id and length in bytes of the longest piece that is a prefix
  // of TEXT, or {-1, 0} when none is.
  std::pair<int32_t, size_t> LongestPrefix(std::string_view text) const;

 private:
  struct Node {
    // This node's children are edges [first_edge, first_edge + edge_count).
    uint32_t first_edge = 0;
    uint32_t edge_count = 0;
    // The id of the piece that ends here, or -1.
    int32_t id = -1;
  };

  std::vector<Node> nodes_;
  // Edge labels and targets, sorted by label within each node.
  std::vector<uint8_t> edge_bytes_;
  std::vector<uint32_t> edge_targets_;
  // The root's children by first byte (0: none), as most lookups fail or
  // branch at the root.
  std::array<uint32_t, 256> root_children_{};
};

}  // namespace synesthesia::text::internal

#endif  // SYNESTHESIA_CORE_TEXT_PIECE_TRIE_H_
