#include "core/model/random_checkpoint.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/encoder.h"
#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::model {
namespace {

using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

DistilBertConfig TinyShape() {
  DistilBertConfig config;
  config.dim = 16;
  config.n_layers = 2;
  config.n_heads = 2;
  config.hidden_dim = 32;
  config.max_position_embeddings = 64;
  return config;
}

const std::string& VocabularyPath() {
  static const std::string path = TestDataPath("distilbert-tiny/vocab.txt");
  return path;
}

TEST(RandomCheckpoint, WritesLoadableModelDirectory) {
  const std::string directory = ScratchDirectory("random-loadable") + "/model";

  ASSERT_OK(WriteRandomCheckpoint(directory, TinyShape(), VocabularyPath(), 1));

  ASSERT_OK_AND_ASSIGN(DistilBertConfig config, DistilBertConfig::Load(directory + "/config.json"));
  EXPECT_EQ(config.dim, 16);
  EXPECT_EQ(ReadFile(directory + "/vocab.txt"), ReadFile(VocabularyPath()));
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(directory + "/model.safetensors"));
  int64_t total = 0;
  for (const std::string& name : file->Names()) total += file->Get(name)->element_count();
  EXPECT_EQ(total, config.ParameterCount());
  ASSERT_OK_AND_ASSIGN(auto encoder, DistilBertEncoder::Create(config, *file));
  ASSERT_OK_AND_ASSIGN(auto outputs, encoder->Encode({std::vector<int32_t>{101, 2417, 102}}));
  EXPECT_TRUE(outputs[0].allFinite());
}

TEST(RandomCheckpoint, SameSeedGivesSameBytes) {
  const std::string root = ScratchDirectory("random-seed");

  ASSERT_OK(WriteRandomCheckpoint(root + "/a", TinyShape(), VocabularyPath(), 7));
  ASSERT_OK(WriteRandomCheckpoint(root + "/b", TinyShape(), VocabularyPath(), 7));
  ASSERT_OK(WriteRandomCheckpoint(root + "/c", TinyShape(), VocabularyPath(), 8));

  EXPECT_EQ(ReadFile(root + "/a/model.safetensors"), ReadFile(root + "/b/model.safetensors"));
  EXPECT_NE(ReadFile(root + "/a/model.safetensors"), ReadFile(root + "/c/model.safetensors"));
}

TEST(RandomCheckpoint, WeightsHaveStatedDistribution) {
  const std::string directory = ScratchDirectory("random-distribution");
  ASSERT_OK(WriteRandomCheckpoint(directory, TinyShape(), VocabularyPath(), 3));
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(directory + "/model.safetensors"));

  auto moments = [&](const std::string& name) {
    std::vector<float> values = *file->ReadFloat32(name);
    double mean = 0;
    for (float value : values) mean += value / static_cast<double>(values.size());
    double variance = 0;
    for (float value : values) variance += (value - mean) * (value - mean) / values.size();
    return std::pair<double, double>(mean, std::sqrt(variance));
  };
  // 488,352 word-embedding values: the sample moments are tight.
  auto [word_mean, word_deviation] = moments("embeddings.word_embeddings.weight");
  EXPECT_NEAR(word_mean, 0.0, 1e-3);
  EXPECT_NEAR(word_deviation, 0.02, 1e-3);
  // Layer-norm weights centre on one, their biases on zero.
  auto [gamma_mean, gamma_deviation] = moments("transformer.layer.0.output_layer_norm.weight");
  EXPECT_NEAR(gamma_mean, 1.0, 0.02);
  EXPECT_GT(gamma_deviation, 0.005);
  auto [beta_mean, beta_deviation] = moments("transformer.layer.0.output_layer_norm.bias");
  EXPECT_NEAR(beta_mean, 0.0, 0.02);
  EXPECT_GT(beta_deviation, 0.005);
  auto [bias_mean, bias_deviation] = moments("transformer.layer.1.ffn.lin1.bias");
  EXPECT_GT(bias_deviation, 0.005);
}

TEST(RandomCheckpoint, RejectsVocabularySizeMismatch) {
  DistilBertConfig config = TinyShape();
  config.vocab_size = 1000;

  EXPECT_THAT(WriteRandomCheckpoint(ScratchDirectory("random-mismatch"), config, VocabularyPath(), 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("vocab.txt"), HasSubstr("30522 entries"),
                             HasSubstr("vocab_size is 1000"))));
}

TEST(RandomCheckpoint, RejectsMissingVocabulary) {
  const std::string missing = ScratchDirectory("random-no-vocab") + "/vocab.txt";

  EXPECT_THAT(WriteRandomCheckpoint(ScratchDirectory("random-no-vocab-out"), TinyShape(), missing, 1),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
}

TEST(RandomCheckpoint, RejectsInvalidConfig) {
  DistilBertConfig config = TinyShape();
  config.n_heads = 3;

  EXPECT_THAT(WriteRandomCheckpoint(ScratchDirectory("random-bad-config"), config, VocabularyPath(), 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n_heads")));
}

TEST(RandomCheckpoint, SinusoidalCheckpointStoresTable) {
  DistilBertConfig config = TinyShape();
  config.sinusoidal_pos_embds = true;
  const std::string directory = ScratchDirectory("random-sinusoidal");

  ASSERT_OK(WriteRandomCheckpoint(directory, config, VocabularyPath(), 1));

  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(directory + "/model.safetensors"));
  ASSERT_OK_AND_ASSIGN(std::vector<float> table,
                       file->ReadFloat32("embeddings.position_embeddings.weight", {64, 16}));
  // Row 3, columns 4 and 5: sin and cos of 3 / 10000^(4/16).
  const double angle = 3.0 / std::pow(10000.0, 4.0 / 16.0);
  EXPECT_NEAR(table[3 * 16 + 4], std::sin(angle), 1e-7);
  EXPECT_NEAR(table[3 * 16 + 5], std::cos(angle), 1e-7);
}

}  // namespace
}  // namespace synesthesia::model
