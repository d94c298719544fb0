// F16 storage of safetensors files, which keeps the embedded model small.
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/model/distilbert_module.h"
#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::model {
namespace {

using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;

std::string ScratchFile(const std::string& name) {
  const std::string directory = ScratchDirectory("f16-weights");
  std::filesystem::create_directories(directory);
  return directory + "/" + name;
}

DistilBertConfig SmallConfig() {
  DistilBertConfig config;
  config.vocab_size = 64;
  config.dim = 16;
  config.n_layers = 1;
  config.n_heads = 2;
  config.hidden_dim = 32;
  config.max_position_embeddings = 16;
  return config;
}

TEST(SafetensorsF16, StoresHalvesThatReadBackRounded) {
  const std::string path = ScratchFile("values.safetensors");
  // 1/3 is not a half-precision value; 65504 is the largest finite one.
  const std::vector<float> values = {0.0f, 1.0f, -2.5f, 1.0f / 3.0f, 65504.0f, 1e-5f};
  ASSERT_OK(WriteSafetensors(path, {{"t", {2, 3}, values, DType::kF16}}));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(path));
  ASSERT_OK_AND_ASSIGN(TensorView view, file->Get("t"));
  EXPECT_EQ(view.dtype, DType::kF16);
  EXPECT_EQ(view.byte_size, 12);
  ASSERT_OK_AND_ASSIGN(std::vector<float> read, file->ReadFloat32("t", {2, 3}));
  EXPECT_EQ(read[0], 0.0f);
  EXPECT_EQ(read[1], 1.0f);
  EXPECT_EQ(read[2], -2.5f);
  // Nearest half to 1/3 is 0.333251953125 (10 mantissa bits).
  EXPECT_EQ(read[3], 0.333251953125f);
  EXPECT_EQ(read[4], 65504.0f);
  EXPECT_NEAR(read[5], 1e-5f, 1e-7f);
}

TEST(SafetensorsF16, RejectsIntegerStorage) {
  const std::string path = ScratchFile("integer.safetensors");
  EXPECT_THAT(WriteSafetensors(path, {{"t", {1}, {1.0f}, DType::kI32}}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("I32")));
}

TEST(SafetensorsF16, ModuleRoundTripsAtHalfSize) {
  torch::manual_seed(7);
  DistilBertModule original(SmallConfig());
  const std::string f32_path = ScratchFile("module-f32.safetensors");
  const std::string f16_path = ScratchFile("module-f16.safetensors");
  ASSERT_OK(SaveDistilBertWeights(*original, f32_path));
  ASSERT_OK(SaveDistilBertWeights(*original, f16_path, "", DType::kF16));

  const auto f32_size = std::filesystem::file_size(f32_path);
  const auto f16_size = std::filesystem::file_size(f16_path);
  EXPECT_LT(f16_size, f32_size * 6 / 10);

  DistilBertModule loaded(SmallConfig());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(f16_path));
  ASSERT_OK(LoadDistilBertWeights(*file, *loaded));
  const auto expected = original->named_parameters();
  for (const auto& item : loaded->named_parameters()) {
    const torch::Tensor& want = expected[item.key()];
    // Half precision keeps 11 significant bits: relative error <= 2^-11.
    EXPECT_TRUE(torch::allclose(item.value(), want, /*rtol=*/1e-3, /*atol=*/1e-6)) << item.key();
  }
}

}  // namespace
}  // namespace synesthesia::model
