#include "core/model/distilbert_module.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/model/checkpoint_testing.h"

namespace synesthesia::model {
namespace {

using ::synesthesia::model::testing::SinusoidalTableForTest;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::HasSubstr;

DistilBertConfig SmallConfig() {
  DistilBertConfig config;
  config.vocab_size = 50;
  config.dim = 16;
  config.n_layers = 2;
  config.n_heads = 4;
  config.hidden_dim = 24;
  config.max_position_embeddings = 20;
  return config;
}

std::set<std::string> ParameterNames(DistilBertModuleImpl& module) {
  std::set<std::string> names;
  for (const auto& item : module.named_parameters()) names.insert(item.key());
  return names;
}

TEST(DistilBertModule, ParameterNamesMatchCheckpoint) {
  ASSERT_OK_AND_ASSIGN(DistilBertConfig config,
                       DistilBertConfig::Load(TestDataPath("distilbert-tiny/config.json")));
  ASSERT_OK_AND_ASSIGN(auto file,
                       SafetensorsFile::Open(TestDataPath("distilbert-tiny/model.safetensors")));
  DistilBertModule module(config);

  const std::vector<std::string> file_names = file->Names();
  EXPECT_EQ(ParameterNames(*module), std::set<std::string>(file_names.begin(), file_names.end()));
}

TEST(DistilBertModule, SinusoidalTableMatchesFormula) {
  const std::vector<double> expected = SinusoidalTableForTest(30, 12);

  torch::Tensor table = SinusoidalPositionTable(30, 12);

  ASSERT_EQ(table.sizes(), (std::vector<int64_t>{30, 12}));
  for (int64_t i = 0; i < table.numel(); ++i) {
    EXPECT_NEAR(table.data_ptr<float>()[i], expected[i], 1e-7) << "entry " << i;
  }
}

TEST(DistilBertModule, SinusoidalTableIsFixed) {
  DistilBertConfig config = SmallConfig();
  config.sinusoidal_pos_embds = true;
  DistilBertModule module(config);

  EXPECT_FALSE(module->embeddings->position_embeddings->weight.requires_grad());
  EXPECT_TRUE(module->embeddings->word_embeddings->weight.requires_grad());
}

TEST(DistilBertModule, BackwardReachesEveryTrainableParameter) {
  DistilBertModule module(SmallConfig());
  module->train();
  torch::Tensor ids = torch::tensor({{1, 2, 3, 4}, {5, 6, 0, 0}}, torch::kInt64);
  torch::Tensor mask = torch::tensor({{1, 1, 1, 1}, {1, 1, 0, 0}}, torch::kInt64);

  torch::Tensor loss = module->forward(ids, mask).pow(2).sum();
  loss.backward();

  for (const auto& item : module->named_parameters()) {
    SCOPED_TRACE(item.key());
    ASSERT_TRUE(item.value().grad().defined());
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0);
  }
}

TEST(DistilBertModule, PaddingRowGetsNoGradient) {
  // As in transformers, the [PAD] embedding row is not trained.
  DistilBertModule module(SmallConfig());
  torch::Tensor ids = torch::tensor({{1, 0, 3}}, torch::kInt64);

  module->forward(ids).pow(2).sum().backward();

  torch::Tensor grad = module->embeddings->word_embeddings->weight.grad();
  EXPECT_EQ(grad[0].abs().sum().item<double>(), 0.0);
  EXPECT_GT(grad[1].abs().sum().item<double>(), 0.0);
}

TEST(DistilBertModule, DropoutOnlyInTraining) {
  DistilBertModuleOptions options;
  options.dropout = 0.5;
  options.attention_dropout = 0.5;
  DistilBertModule module(SmallConfig(), options);
  torch::Tensor ids = torch::tensor({{1, 2, 3, 4, 5}}, torch::kInt64);

  module->train();
  torch::Tensor first = module->forward(ids);
  torch::Tensor second = module->forward(ids);
  module->eval();
  torch::Tensor eval_first = module->forward(ids);
  torch::Tensor eval_second = module->forward(ids);

  EXPECT_FALSE(torch::equal(first, second));
  EXPECT_TRUE(torch::equal(eval_first, eval_second));
}

TEST(DistilBertModule, PaddingDoesNotChangeRealPositions) {
  DistilBertModule module(SmallConfig());
  module->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor alone = module->forward(torch::tensor({{7, 8, 9}}, torch::kInt64));

  torch::Tensor padded = module->forward(torch::tensor({{7, 8, 9, 0, 0}}, torch::kInt64),
                                         torch::tensor({{1, 1, 1, 0, 0}}, torch::kInt64));

  EXPECT_TRUE(torch::allclose(alone[0], padded[0].narrow(0, 0, 3), 1e-5, 1e-6));
}

TEST(DistilBertModule, SaveThenLoadRestoresWeights) {
  const std::string directory = ScratchDirectory("module-save");
  DistilBertModule saved(SmallConfig());
  DistilBertModule loaded(SmallConfig());
  for (const char* prefix : {"", "distilbert."}) {
    SCOPED_TRACE(prefix);
    const std::string path = directory + "/weights" + prefix + "safetensors";

    ASSERT_OK(SaveDistilBertWeights(*saved, path, prefix));
    ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
    ASSERT_OK(LoadDistilBertWeights(*file, *loaded));

    EXPECT_TRUE(file->Contains(std::string(prefix) + "transformer.layer.1.ffn.lin2.bias"));
    auto loaded_parameters = loaded->named_parameters();
    for (const auto& item : saved->named_parameters()) {
      EXPECT_TRUE(torch::equal(item.value(), loaded_parameters[item.key()])) << item.key();
    }
  }
}

TEST(DistilBertModule, LoadRejectsIntegerTensor) {
  DistilBertModule module(SmallConfig());
  const std::string path = ScratchDirectory("module-int") + "/weights.safetensors";
  ASSERT_OK(SaveDistilBertWeights(*module, path));
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  std::vector<Float32Tensor> tensors;
  for (const std::string& name : file->Names()) {
    tensors.push_back({name, file->Get(name)->shape, *file->ReadFloat32(name)});
  }
  // Rewrite one tensor as I32 by hand, keeping the rest.
  testing::WriteWithDType(path, tensors, DType::kF32);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = bytes.find(R"("embeddings.LayerNorm.bias":{)");
  ASSERT_NE(at, std::string::npos);
  const size_t dtype_at = bytes.find("\"F32\"", at);
  ASSERT_NE(dtype_at, std::string::npos);
  bytes.replace(dtype_at, 5, "\"I32\"");
  ASSERT_OK_AND_ASSIGN(auto modified, SafetensorsFile::FromBytes(bytes, "int.safetensors"));

  EXPECT_THAT(LoadDistilBertWeights(*modified, *module),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("I32")));
}

}  // namespace
}  // namespace synesthesia::model
