#include "core/model/config.h"

#include <filesystem>
#include <fstream>
#include <string>

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

TEST(DistilBertConfig, LoadsTinyConfig) {
  ASSERT_OK_AND_ASSIGN(DistilBertConfig config,
                       DistilBertConfig::Load(TestDataPath("distilbert-tiny/config.json")));

  EXPECT_EQ(config.vocab_size, 30522);
  EXPECT_EQ(config.dim, 32);
  EXPECT_EQ(config.n_layers, 2);
  EXPECT_EQ(config.n_heads, 4);
  EXPECT_EQ(config.hidden_dim, 64);
  EXPECT_EQ(config.max_position_embeddings, 512);
  EXPECT_EQ(config.activation, Activation::kGelu);
  EXPECT_FALSE(config.sinusoidal_pos_embds);
  EXPECT_EQ(config.pad_token_id, 0);
}

TEST(DistilBertConfig, MissingFieldsKeepDefaults) {
  ASSERT_OK_AND_ASSIGN(DistilBertConfig config,
                       DistilBertConfig::FromJson(R"({"dim": 64, "n_heads": 2})"));

  EXPECT_EQ(config.dim, 64);
  EXPECT_EQ(config.n_heads, 2);
  EXPECT_EQ(config.vocab_size, 30522);
  EXPECT_EQ(config.hidden_dim, 3072);
}

TEST(DistilBertConfig, ReadsReluAndSinusoidal) {
  ASSERT_OK_AND_ASSIGN(
      DistilBertConfig config,
      DistilBertConfig::FromJson(R"({"activation": "relu", "sinusoidal_pos_embds": true,
                                     "pad_token_id": null})"));

  EXPECT_EQ(config.activation, Activation::kRelu);
  EXPECT_TRUE(config.sinusoidal_pos_embds);
  EXPECT_EQ(config.pad_token_id, 0);
}

TEST(DistilBertConfig, ToJsonRoundTrips) {
  DistilBertConfig config;
  config.vocab_size = 100;
  config.dim = 48;
  config.n_layers = 3;
  config.n_heads = 6;
  config.hidden_dim = 96;
  config.max_position_embeddings = 64;
  config.activation = Activation::kRelu;
  config.sinusoidal_pos_embds = true;
  config.pad_token_id = 7;

  ASSERT_OK_AND_ASSIGN(DistilBertConfig parsed, DistilBertConfig::FromJson(config.ToJson()));

  EXPECT_EQ(parsed.vocab_size, 100);
  EXPECT_EQ(parsed.dim, 48);
  EXPECT_EQ(parsed.n_layers, 3);
  EXPECT_EQ(parsed.n_heads, 6);
  EXPECT_EQ(parsed.hidden_dim, 96);
  EXPECT_EQ(parsed.max_position_embeddings, 64);
  EXPECT_EQ(parsed.activation, Activation::kRelu);
  EXPECT_TRUE(parsed.sinusoidal_pos_embds);
  EXPECT_EQ(parsed.pad_token_id, 7);
  EXPECT_THAT(config.ToJson(), HasSubstr("\"model_type\": \"distilbert\""));
}

struct BadConfig {
  std::string json;
  std::string message;
};

TEST(DistilBertConfig, RejectsBadValuesNamingFileAndField) {
  const BadConfig cases[] = {
      {R"({"dim": 32, "n_heads": 5})", "field 'n_heads' (5) must divide field 'dim' (32)"},
      {R"({"dim": -768})", "field 'dim' is -768"},
      {R"({"n_layers": 0})", "field 'n_layers' is 0"},
      {R"({"vocab_size": -1})", "field 'vocab_size' is -1"},
      {R"({"hidden_dim": 100000})", "field 'hidden_dim' is 100000"},
      {R"({"vocab_size": 2000000})", "field 'vocab_size' is 2000000"},
      {R"({"max_position_embeddings": -5})", "field 'max_position_embeddings' is -5"},
      {R"({"dim": "768"})", "field 'dim' must be an integer, got \"768\""},
      {R"({"dim": 768.0})", "field 'dim' must be an integer, got 768.0"},
      {R"({"n_heads": true})", "field 'n_heads' must be an integer"},
      {R"({"n_layers": 18446744073709551615})", "field 'n_layers' is out of range"},
      {R"({"activation": "swish"})", "field 'activation' is \"swish\""},
      {R"({"activation": 1})", "field 'activation' must be a string"},
      {R"({"sinusoidal_pos_embds": "yes"})", "field 'sinusoidal_pos_embds' must be true or false"},
      {R"({"model_type": "bert"})", "field 'model_type' must be \"distilbert\", got \"bert\""},
      {R"({"pad_token_id": 30522})", "field 'pad_token_id' is 30522"},
      {R"({"dim": 32,)", "invalid JSON at byte 12"},
      {R"({"vocab_size": 3e0522})", "invalid JSON: [json.exception.out_of_range.406] number overflow"},
      {R"([1, 2])", "not a JSON object"},
  };
  for (const BadConfig& bad : cases) {
    SCOPED_TRACE(bad.json);

    EXPECT_THAT(DistilBertConfig::FromJson(bad.json, "models/x/config.json"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("models/x/config.json"), HasSubstr(bad.message))));
  }
}

TEST(DistilBertConfig, LoadMissingFileIsNotFound) {
  const std::string path = ScratchDirectory("config-missing") + "/config.json";

  EXPECT_THAT(DistilBertConfig::Load(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(DistilBertConfig, LoadDirectoryIsInvalidArgument) {
  const std::string path = ScratchDirectory("config-directory") + "/config.json";
  std::filesystem::create_directory(path);

  EXPECT_THAT(DistilBertConfig::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("not a regular file"))));
}

TEST(DistilBertConfig, LoadNamesFileOnError) {
  const std::string path = ScratchDirectory("config-bad") + "/config.json";
  std::ofstream(path) << R"({"model_type": "distilbert", "n_heads": 7})";

  EXPECT_THAT(DistilBertConfig::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("n_heads"))));
}

TEST(DistilBertConfig, ParameterCountOfDistilBertBase) {
  // transformers reports 66,362,880 parameters for DistilBertModel with the
  // distilbert-base-uncased configuration.
  EXPECT_EQ(DistilBertConfig().ParameterCount(), 66'362'880);
}

TEST(DistilBertConfig, ParameterCountMatchesTinyCheckpoint) {
  ASSERT_OK_AND_ASSIGN(DistilBertConfig config,
                       DistilBertConfig::Load(TestDataPath("distilbert-tiny/config.json")));
  ASSERT_OK_AND_ASSIGN(auto file,
                       SafetensorsFile::Open(TestDataPath("distilbert-tiny/model.safetensors")));
  int64_t total = 0;
  for (const std::string& name : file->Names()) total += file->Get(name)->element_count();

  EXPECT_EQ(config.ParameterCount(), total);
}

TEST(DistilBertConfig, ForwardFlopsCountsMatrixProducts) {
  DistilBertConfig config;
  config.dim = 4;
  config.n_heads = 2;
  config.hidden_dim = 8;
  config.n_layers = 3;
  // Per layer and sequence of 5 tokens: q, k, v, out are 5x4x4 multiply-adds
  // each (320), lin1 and lin2 5x4x8 each (320), scores and context 5x5x4
  // each (200): 840 multiply-adds, 1,680 flops.
  EXPECT_DOUBLE_EQ(config.ForwardFlops(2, 5), 2 * 3 * 1680.0);
}

}  // namespace
}  // namespace synesthesia::model
