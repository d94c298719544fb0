// Replays every committed input under tests/fuzz/<target>/ (seed corpus and
// crash regressions) through its fuzz target, so that a fixed crash stays
// fixed in the regular build and in the AddressSanitizer build.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fuzz/fuzz_targets.h"

namespace synesthesia::fuzz {
namespace {

struct FuzzTarget {
  std::string name;
  int (*run)(const uint8_t* data, size_t size);
};

std::ostream& operator<<(std::ostream& out, const FuzzTarget& target) {
  return out << target.name;
}

class FuzzReplayTest : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(FuzzReplayTest, EveryCommittedInputPasses) {
  const std::filesystem::path directory =
      std::filesystem::path(SYNESTHESIA_FUZZ_INPUT_DIR) / GetParam().name;
  ASSERT_TRUE(std::filesystem::is_directory(directory)) << directory << " is missing";

  std::vector<std::filesystem::path> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file()) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_FALSE(inputs.empty()) << directory << " holds no inputs";

  for (const std::filesystem::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_TRUE(in.good() || in.eof()) << "cannot read " << path;
    // A crash ends the process before gtest can report, so name the input
    // first.
    std::cerr << "replaying " << path.string() << "\n";
    EXPECT_EQ(GetParam().run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0)
        << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplayTest,
                         ::testing::Values(FuzzTarget{"tokenizer", FuzzTokenizer},
                                           FuzzTarget{"safetensors", FuzzSafetensors},
                                           FuzzTarget{"config", FuzzConfig},
                                           FuzzTarget{"model_directory", FuzzModelDirectory},
                                           FuzzTarget{"request", FuzzRequest}),
                         [](const ::testing::TestParamInfo<FuzzTarget>& target) {
                           return target.param.name;
                         });

}  // namespace
}  // namespace synesthesia::fuzz
