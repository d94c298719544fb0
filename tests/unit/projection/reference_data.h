// Loading of the numpy reference files under tests/data/projection.
#ifndef SYNESTHESIA_TESTS_UNIT_PROJECTION_REFERENCE_DATA_H_
#define SYNESTHESIA_TESTS_UNIT_PROJECTION_REFERENCE_DATA_H_

#include <fstream>
#include <string>
#include <vector>

#include "core/colour/colour.h"
#include "core/util/matrix.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"

namespace synesthesia::projection::testing {

// The JSON file RELATIVE under tests/data; a missing or malformed file makes
// the calling test fail through the thrown exception.
inline nlohmann::json ReadJson(const std::string& relative) {
  std::ifstream file(synesthesia::testing::TestDataPath(relative));
  return nlohmann::json::parse(file);
}

// A float matrix from a JSON array of equally long rows.
inline RowMatrixXf ToMatrix(const nlohmann::json& rows) {
  const auto row_count = static_cast<Eigen::Index>(rows.size());
  const auto column_count = row_count == 0 ? 0 : static_cast<Eigen::Index>(rows[0].size());
  RowMatrixXf matrix(row_count, column_count);
  for (Eigen::Index row = 0; row < row_count; ++row) {
    for (Eigen::Index column = 0; column < column_count; ++column) {
      matrix(row, column) = static_cast<float>(rows[row][column].get<double>());
    }
  }
  return matrix;
}

inline std::vector<colour::Rgb8> ToColours(const nlohmann::json& rows) {
  std::vector<colour::Rgb8> colours;
  for (const auto& row : rows) {
    colours.push_back({row[0].get<uint8_t>(), row[1].get<uint8_t>(), row[2].get<uint8_t>()});
  }
  return colours;
}

}  // namespace synesthesia::projection::testing

#endif  // SYNESTHESIA_TESTS_UNIT_PROJECTION_REFERENCE_DATA_H_
