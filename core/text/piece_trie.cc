#include "core/text/piece_trie.h"

#include <algorithm>
#include <map>

namespace synesthesia::text::internal {

void PieceTrie::Build(const std::vector<std::pair<std::string_view, int32_t>>& pieces) {
  // A temporary trie with ordered children, flattened breadth-first below.
  struct BuildNode {
    std::map<uint8_t, uint32_t> children;
    int32_t id = -1;
  };
  std::vector<BuildNode> building(1);
  for (const auto& [piece, id] : pieces) {
    if (piece.empty()) continue;
    uint32_t node = 0;
    for (char c : piece) {
      const auto byte = static_cast<uint8_t>(c);
      auto it = building[node].children.find(byte);
      if (it == building[node].children.end()) {
        const auto child = static_cast<uint32_t>(building.size());
        building[node].children.emplace(byte, child);
        building.emplace_back();
        node = child;
      } else {
        node = it->second;
      }
    }
    building[node].id = id;
  }

  // Breadth-first order puts each node's children next to each other.
  nodes_.assign(building.size(), Node{});
  edge_bytes_.clear();
  edge_targets_.clear();
  root_children_.fill(0);
  std::vector<uint32_t> order = {0};
  std::vector<uint32_t> position(building.size(), 0);
  for (size_t next = 0; next < order.size(); ++next) {
    const uint32_t old_index = order[next];
    position[old_index] = static_cast<uint32_t>(next);
    for (const auto& [byte, child] : building[old_index].children) order.push_back(child);
  }
  for (size_t index = 0; index < order.size(); ++index) {
    const BuildNode& old_node = building[order[index]];
    Node& node = nodes_[index];
    node.id = old_node.id;
    node.first_edge = static_cast<uint32_t>(edge_bytes_.size());
    node.edge_count = static_cast<uint32_t>(old_node.children.size());
    for (const auto& [byte, child] : old_node.children) {
      edge_bytes_.push_back(byte);
      edge_targets_.push_back(position[child]);
      if (index == 0) root_children_[byte] = position[child];
    }
  }
}

std::pair<int32_t, size_t> PieceTrie::LongestPrefix(std::string_view text) const {
  std::pair<int32_t, size_t> best = {-1, 0};
  if (nodes_.empty() || text.empty()) return best;

  uint32_t node = root_children_[static_cast<uint8_t>(text[0])];
  for (size_t i = 1; node != 0; ++i) {
    if (nodes_[node].id >= 0) best = {nodes_[node].id, i};
    if (i == text.size()) break;

    const auto byte = static_cast<uint8_t>(text[i]);
    const Node& current = nodes_[node];
    const uint8_t* first = edge_bytes_.data() + current.first_edge;
    const uint8_t* last = first + current.edge_count;
    const uint8_t* found = current.edge_count <= 8 ? std::find(first, last, byte)
                                                   : std::lower_bound(first, last, byte);
    node = found != last && *found == byte ? edge_targets_[found - edge_bytes_.data()] : 0;
  }
  return best;
}

}  // namespace synesthesia::text::internal
