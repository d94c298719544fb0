#include "core/model/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/model/config.h"
#include "core/model/distilbert_module.h"
#include "core/model/random_checkpoint.h"
#include "core/model/threads.h"
#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/model/checkpoint_testing.h"

namespace synesthesia::model {
namespace {

using ::synesthesia::model::testing::ReadAllTensors;
using ::synesthesia::model::testing::ReferenceDistilBert;
using ::synesthesia::model::testing::RoundTrip;
using ::synesthesia::model::testing::SinusoidalTableForTest;
using ::synesthesia::model::testing::WriteWithDType;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kTolerance = 1e-4;
constexpr int kInputCount = 5;

std::string TinyPath(const std::string& file) { return TestDataPath("distilbert-tiny/" + file); }

// Values Hugging Face transformers computed for the tiny model.
class Expected {
 public:
  Expected() {
    auto file = SafetensorsFile::Open(TinyPath("expected.safetensors"));
    EXPECT_TRUE(file.ok()) << file.status();
    file_ = *std::move(file);
  }

  std::vector<int32_t> Ids(const std::string& name) const {
    TensorView view = *file_->Get(name);
    std::vector<int32_t> ids(static_cast<size_t>(view.element_count()));
    for (size_t i = 0; i < ids.size(); ++i) {
      int64_t id = 0;
      std::memcpy(&id, view.data + 8 * i, sizeof(id));
      ids[i] = static_cast<int32_t>(id);
    }
    return ids;
  }

  std::vector<float> Values(const std::string& name) const { return *file_->ReadFloat32(name); }

  std::vector<int64_t> Shape(const std::string& name) const { return file_->Get(name)->shape; }

 private:
  std::unique_ptr<SafetensorsFile> file_;
};

// Compares ACTUAL, [rows, dim], with the first ROWS rows of EXPECTED laid out
// as [*, dim] starting at OFFSET.
void ExpectRowsNear(const RowMatrixXf& actual, const std::vector<float>& expected, size_t offset,
                    double tolerance) {
  double worst = 0;
  for (int64_t i = 0; i < actual.rows(); ++i) {
    for (int64_t j = 0; j < actual.cols(); ++j) {
      const double difference =
          std::abs(actual(i, j) - expected[offset + static_cast<size_t>(i * actual.cols() + j)]);
      worst = std::max(worst, difference);
    }
  }
  EXPECT_LE(worst, tolerance);
}

void ExpectMatricesNear(const RowMatrixXf& actual, const RowMatrixXd& expected, double tolerance) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.cols(), expected.cols());
  EXPECT_LE((actual.cast<double>() - expected).cwiseAbs().maxCoeff(), tolerance);
}

std::map<std::string, std::vector<float>> WeightMap(const std::vector<Float32Tensor>& tensors) {
  std::map<std::string, std::vector<float>> weights;
  for (const Float32Tensor& tensor : tensors) weights[tensor.name] = tensor.values;
  return weights;
}

class EncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(config_, DistilBertConfig::Load(TinyPath("config.json")));
    ASSERT_OK_AND_ASSIGN(weights_, SafetensorsFile::Open(TinyPath("model.safetensors")));
    ASSERT_OK_AND_ASSIGN(encoder_, DistilBertEncoder::Create(config_, *weights_));
    ASSERT_OK_AND_ASSIGN(tensors_, ReadAllTensors(*weights_));
  }

  // Builds an encoder from TENSORS written to a scratch file with DTYPE.
  absl::StatusOr<std::unique_ptr<DistilBertEncoder>> EncoderFrom(
      const std::vector<Float32Tensor>& tensors, DType dtype, const DistilBertConfig& config,
      const std::string& scratch) {
    const std::string path = ScratchDirectory(scratch) + "/model.safetensors";
    WriteWithDType(path, tensors, dtype);
    absl::StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::Open(path);
    if (!file.ok()) return file.status();
    files_.push_back(*std::move(file));
    return DistilBertEncoder::Create(config, *files_.back());
  }

  DistilBertConfig config_;
  std::unique_ptr<SafetensorsFile> weights_;
  std::unique_ptr<DistilBertEncoder> encoder_;
  std::vector<Float32Tensor> tensors_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  Expected expected_;
};

TEST_F(EncoderTest, EmbeddingsMatchTransformers) {
  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::string prefix = "single." + std::to_string(i);
    const std::vector<int32_t> ids = expected_.Ids(prefix + ".input_ids");

    ASSERT_OK_AND_ASSIGN(RowMatrixXf embedded, encoder_->Embed(ids));

    ASSERT_EQ(embedded.rows(), static_cast<int64_t>(ids.size()));
    ASSERT_EQ(embedded.cols(), 32);
    ExpectRowsNear(embedded, expected_.Values(prefix + ".embeddings"), 0, kTolerance);
  }
}

TEST_F(EncoderTest, SingleSequencesMatchTransformers) {
  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::string prefix = "single." + std::to_string(i);
    const std::vector<int32_t> ids = expected_.Ids(prefix + ".input_ids");

    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder_->Encode({ids}));

    ASSERT_EQ(outputs.size(), 1u);
    ASSERT_EQ(outputs[0].rows(), static_cast<int64_t>(ids.size()));
    ExpectRowsNear(outputs[0], expected_.Values(prefix + ".last_hidden_state"), 0, kTolerance);
  }
}

TEST_F(EncoderTest, PaddedBatchMatchesTransformers) {
  const std::vector<int64_t> shape = expected_.Shape("batch.input_ids");
  ASSERT_EQ(shape.size(), 2u);
  const std::vector<int32_t> padded_ids = expected_.Ids("batch.input_ids");
  const std::vector<int32_t> mask = expected_.Ids("batch.attention_mask");
  std::vector<std::vector<int32_t>> sequences(static_cast<size_t>(shape[0]));
  for (int64_t i = 0; i < shape[0]; ++i) {
    for (int64_t j = 0; j < shape[1]; ++j) {
      if (mask[i * shape[1] + j] != 0) sequences[i].push_back(padded_ids[i * shape[1] + j]);
    }
  }
  std::vector<std::span<const int32_t>> batch(sequences.begin(), sequences.end());

  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder_->Encode(batch));

  ASSERT_EQ(outputs.size(), sequences.size());
  const std::vector<float> expected = expected_.Values("batch.last_hidden_state");
  for (size_t i = 0; i < sequences.size(); ++i) {
    SCOPED_TRACE("sequence " + std::to_string(i));
    EXPECT_EQ(sequences[i], expected_.Ids("single." + std::to_string(i) + ".input_ids"));
    ASSERT_EQ(outputs[i].rows(), static_cast<int64_t>(sequences[i].size()));
    ExpectRowsNear(outputs[i], expected, i * static_cast<size_t>(shape[1] * 32), kTolerance);
  }
}

TEST_F(EncoderTest, OutputIndependentOfBatch) {
  std::vector<std::vector<int32_t>> sequences;
  for (int i = 0; i < kInputCount; ++i) {
    sequences.push_back(expected_.Ids("single." + std::to_string(i) + ".input_ids"));
  }
  std::vector<std::span<const int32_t>> forward(sequences.begin(), sequences.end());
  std::vector<std::span<const int32_t>> reversed(sequences.rbegin(), sequences.rend());

  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> forward_outputs, encoder_->Encode(forward));
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> reversed_outputs, encoder_->Encode(reversed));

  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("sequence " + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> alone, encoder_->Encode({forward[i]}));
    const RowMatrixXf& in_reversed = reversed_outputs[kInputCount - 1 - i];
    EXPECT_LE((alone[0] - forward_outputs[i]).cwiseAbs().maxCoeff(), 1e-5);
    EXPECT_LE((alone[0] - in_reversed).cwiseAbs().maxCoeff(), 1e-5);
  }
}

TEST_F(EncoderTest, ReferenceForwardMatchesTransformers) {
  // Validates the test's own reference implementation, which the ReLU and
  // sinusoidal tests rely on.
  ReferenceDistilBert reference(config_, WeightMap(tensors_));
  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::string prefix = "single." + std::to_string(i);
    const std::vector<int32_t> ids = expected_.Ids(prefix + ".input_ids");

    ExpectRowsNear(reference.Forward(ids).cast<float>(),
                   expected_.Values(prefix + ".last_hidden_state"), 0, kTolerance);
  }
}

TEST_F(EncoderTest, PrefixedCheckpointMatches) {
  std::vector<Float32Tensor> prefixed;
  for (const Float32Tensor& tensor : tensors_) {
    prefixed.push_back({"distilbert." + tensor.name, tensor.shape, tensor.values});
  }
  // Head tensors of DistilBertForMaskedLM and ForSequenceClassification, with
  // deliberately odd shapes: the encoder must not read them.
  for (const char* head : {"vocab_transform.weight", "vocab_transform.bias",
                           "vocab_layer_norm.weight", "vocab_layer_norm.bias",
                           "vocab_projector.weight", "vocab_projector.bias",
                           "pre_classifier.weight", "pre_classifier.bias", "classifier.weight",
                           "classifier.bias"}) {
    prefixed.push_back({head, {3}, {1.0f, 2.0f, 3.0f}});
  }
  ASSERT_OK_AND_ASSIGN(auto encoder, EncoderFrom(prefixed, DType::kF32, config_, "prefixed"));

  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::string prefix = "single." + std::to_string(i);
    const std::vector<int32_t> ids = expected_.Ids(prefix + ".input_ids");
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder->Encode({ids}));
    ExpectRowsNear(outputs[0], expected_.Values(prefix + ".last_hidden_state"), 0, kTolerance);
  }
}

TEST_F(EncoderTest, HalfPrecisionCheckpointsRoundTrip) {
  const std::vector<int32_t> ids = expected_.Ids("single.4.input_ids");
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    SCOPED_TRACE(std::string(DTypeName(dtype)));
    // The same weights rounded by libtorch and stored as float32.
    std::vector<Float32Tensor> rounded = tensors_;
    for (Float32Tensor& tensor : rounded) tensor.values = RoundTrip(tensor.values, dtype);

    ASSERT_OK_AND_ASSIGN(auto half_encoder,
                         EncoderFrom(tensors_, dtype, config_, "half-" + std::string(DTypeName(dtype))));
    ASSERT_OK_AND_ASSIGN(auto float_encoder, EncoderFrom(rounded, DType::kF32, config_,
                                                         "rounded-" + std::string(DTypeName(dtype))));

    for (const Float32Tensor& tensor : rounded) {
      ASSERT_OK_AND_ASSIGN(std::vector<float> decoded, files_[0]->ReadFloat32(tensor.name));
      EXPECT_EQ(decoded, tensor.values) << tensor.name;
    }
    ASSERT_OK_AND_ASSIGN(auto half_outputs, half_encoder->Encode({ids}));
    ASSERT_OK_AND_ASSIGN(auto float_outputs, float_encoder->Encode({ids}));
    EXPECT_EQ(half_outputs[0], float_outputs[0]);
    files_.clear();
  }
}

TEST_F(EncoderTest, ReluConfigMatchesReference) {
  DistilBertConfig relu = config_;
  relu.activation = Activation::kRelu;
  ASSERT_OK_AND_ASSIGN(auto encoder, DistilBertEncoder::Create(relu, *weights_));
  ReferenceDistilBert reference(relu, WeightMap(tensors_));

  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::vector<int32_t> ids = expected_.Ids("single." + std::to_string(i) + ".input_ids");
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder->Encode({ids}));
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> gelu_outputs, encoder_->Encode({ids}));

    ExpectMatricesNear(outputs[0], reference.Forward(ids), kTolerance);
    // The activation must change something, or the test proves nothing.
    EXPECT_GT((outputs[0] - gelu_outputs[0]).cwiseAbs().maxCoeff(), 1e-3);
  }
}

TEST_F(EncoderTest, SinusoidalConfigUsesFormula) {
  DistilBertConfig sinusoidal = config_;
  sinusoidal.sinusoidal_pos_embds = true;
  ASSERT_OK_AND_ASSIGN(auto encoder, DistilBertEncoder::Create(sinusoidal, *weights_));
  const std::vector<double> table = SinusoidalTableForTest(config_.max_position_embeddings, config_.dim);
  std::map<std::string, std::vector<float>> weights = WeightMap(tensors_);
  ReferenceDistilBert reference(sinusoidal, weights, table);

  // Embeddings by hand: layer norm of word embedding plus table row.
  const std::vector<int32_t> ids = expected_.Ids("single.4.input_ids");
  ASSERT_OK_AND_ASSIGN(RowMatrixXf embedded, encoder->Embed(ids));
  const std::vector<float>& words = weights["embeddings.word_embeddings.weight"];
  const std::vector<float>& gamma = weights["embeddings.LayerNorm.weight"];
  const std::vector<float>& beta = weights["embeddings.LayerNorm.bias"];
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<double> sum(32);
    double mean = 0;
    for (int j = 0; j < 32; ++j) {
      sum[j] = words[ids[i] * 32 + j] + table[i * 32 + j];
      mean += sum[j] / 32;
    }
    double variance = 0;
    for (int j = 0; j < 32; ++j) variance += (sum[j] - mean) * (sum[j] - mean) / 32;
    for (int j = 0; j < 32; ++j) {
      const double expected = (sum[j] - mean) / std::sqrt(variance + 1e-12) * gamma[j] + beta[j];
      EXPECT_NEAR(embedded(static_cast<int64_t>(i), j), expected, kTolerance)
          << "position " << i << " column " << j;
    }
  }

  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::vector<int32_t> input = expected_.Ids("single." + std::to_string(i) + ".input_ids");
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder->Encode({input}));
    ExpectMatricesNear(outputs[0], reference.Forward(input), kTolerance);
  }
}

TEST_F(EncoderTest, SinusoidalConfigNeedsNoPositionTensor) {
  DistilBertConfig sinusoidal = config_;
  sinusoidal.sinusoidal_pos_embds = true;
  std::vector<Float32Tensor> without_positions;
  for (const Float32Tensor& tensor : tensors_) {
    if (tensor.name != "embeddings.position_embeddings.weight") without_positions.push_back(tensor);
  }

  EXPECT_OK(EncoderFrom(without_positions, DType::kF32, sinusoidal, "no-positions"));
}

TEST_F(EncoderTest, EveryMissingTensorIsAnError) {
  // Every tensor of the checkpoint matters: dropping any one must fail.
  for (size_t skip = 0; skip < tensors_.size(); ++skip) {
    SCOPED_TRACE(tensors_[skip].name);
    std::vector<Float32Tensor> partial;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      if (i != skip) partial.push_back(tensors_[i]);
    }

    EXPECT_THAT(EncoderFrom(partial, DType::kF32, config_, "missing"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("model.safetensors"), HasSubstr("missing tensor"),
                               HasSubstr("'" + tensors_[skip].name + "'"))));
    files_.clear();
  }
}

TEST_F(EncoderTest, MisshapenTensorIsAnError) {
  std::vector<Float32Tensor> misshapen = tensors_;
  for (Float32Tensor& tensor : misshapen) {
    if (tensor.name == "transformer.layer.1.ffn.lin1.weight") {
      tensor.shape = {32, 64};  // Transposed: [out, in] is [64, 32].
    }
  }

  EXPECT_THAT(EncoderFrom(misshapen, DType::kF32, config_, "misshapen"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("model.safetensors"),
                             HasSubstr("'transformer.layer.1.ffn.lin1.weight'"),
                             HasSubstr("[32, 64]"), HasSubstr("[64, 32]"))));
}

TEST_F(EncoderTest, NonFiniteWeightIsAnError) {
  std::vector<Float32Tensor> poisoned = tensors_;
  for (Float32Tensor& tensor : poisoned) {
    if (tensor.name == "transformer.layer.0.sa_layer_norm.bias") tensor.values[3] = NAN;
  }

  EXPECT_THAT(EncoderFrom(poisoned, DType::kF32, config_, "poisoned"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'transformer.layer.0.sa_layer_norm.bias'"),
                             HasSubstr("NaN"))));
}

TEST_F(EncoderTest, InvalidConfigIsAnError) {
  DistilBertConfig bad = config_;
  bad.n_heads = 5;

  EXPECT_THAT(DistilBertEncoder::Create(bad, *weights_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n_heads")));
}

TEST_F(EncoderTest, ConfigLargerThanCheckpointIsAnError) {
  DistilBertConfig bigger = config_;
  bigger.n_layers = 3;

  EXPECT_THAT(DistilBertEncoder::Create(bigger, *weights_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'transformer.layer.2.attention.q_lin.weight'")));
}

TEST_F(EncoderTest, HugeConfigFailsBeforeAllocating) {
  // Building this module would allocate about 51 GB; the check against the
  // file must fail first.
  DistilBertConfig huge = config_;
  huge.dim = 4096;
  huge.n_heads = 4;
  huge.hidden_dim = 16384;
  huge.n_layers = 64;

  EXPECT_THAT(DistilBertEncoder::Create(huge, *weights_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'embeddings.word_embeddings.weight'"),
                             HasSubstr("[30522, 4096]"))));
}

TEST(DistilBertParameterShapes, MatchTheModule) {
  DistilBertConfig config;
  config.vocab_size = 11;
  config.dim = 8;
  config.n_heads = 2;
  config.hidden_dim = 12;
  config.n_layers = 2;
  config.max_position_embeddings = 5;
  DistilBertModule module(config);

  std::vector<std::pair<std::string, std::vector<int64_t>>> from_module;
  for (const auto& item : module->named_parameters(/*recurse=*/true)) {
    from_module.push_back(
        {item.key(), std::vector<int64_t>(item.value().sizes().begin(), item.value().sizes().end())});
  }

  EXPECT_EQ(DistilBertParameterShapes(config), from_module);
}

// The smallest cosine similarity between row i of ACTUAL and row i of
// EXPECTED ([rows, dim] starting at OFFSET), over all rows.
double MinRowCosine(const RowMatrixXf& actual, const std::vector<float>& expected, size_t offset) {
  double worst = 1;
  for (int64_t i = 0; i < actual.rows(); ++i) {
    double dot = 0;
    double actual_norm = 0;
    double expected_norm = 0;
    for (int64_t j = 0; j < actual.cols(); ++j) {
      const double a = actual(i, j);
      const double e = expected[offset + static_cast<size_t>(i * actual.cols() + j)];
      dot += a * e;
      actual_norm += a * a;
      expected_norm += e * e;
    }
    worst = std::min(worst, dot / std::sqrt(actual_norm * expected_norm));
  }
  return worst;
}

std::vector<float> Flatten(const RowMatrixXf& matrix) {
  return std::vector<float>(matrix.data(), matrix.data() + matrix.size());
}

// int8 keeps every token's hidden state within this cosine similarity of
// the float32 one.
constexpr double kInt8MinCosine = 0.99;

TEST_F(EncoderTest, Int8SingleSequencesNearTransformers) {
  EncoderOptions options;
  options.precision = Precision::kInt8Dynamic;
  ASSERT_OK_AND_ASSIGN(auto int8_encoder, DistilBertEncoder::Create(config_, *weights_, options));

  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const std::string prefix = "single." + std::to_string(i);
    const std::vector<int32_t> ids = expected_.Ids(prefix + ".input_ids");

    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, int8_encoder->Encode({ids}));

    ASSERT_EQ(outputs.size(), 1u);
    ASSERT_EQ(outputs[0].rows(), static_cast<int64_t>(ids.size()));
    const std::vector<float> expected = expected_.Values(prefix + ".last_hidden_state");
    const double cosine = MinRowCosine(outputs[0], expected, 0);
    RecordProperty("min_cosine_" + std::to_string(i), std::to_string(cosine));
    EXPECT_GE(cosine, kInt8MinCosine);
    // Quantization must change something, or the test proves nothing.
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> float_outputs, encoder_->Encode({ids}));
    EXPECT_GT((outputs[0] - float_outputs[0]).cwiseAbs().maxCoeff(), 1e-6);
  }
}

TEST_F(EncoderTest, Int8PaddedBatchNearTransformers) {
  EncoderOptions options;
  options.precision = Precision::kInt8Dynamic;
  ASSERT_OK_AND_ASSIGN(auto int8_encoder, DistilBertEncoder::Create(config_, *weights_, options));
  std::vector<std::vector<int32_t>> sequences;
  for (int i = 0; i < kInputCount; ++i) {
    sequences.push_back(expected_.Ids("single." + std::to_string(i) + ".input_ids"));
  }
  const std::vector<std::span<const int32_t>> batch(sequences.begin(), sequences.end());

  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, int8_encoder->Encode(batch));

  ASSERT_EQ(outputs.size(), sequences.size());
  for (int i = 0; i < kInputCount; ++i) {
    SCOPED_TRACE("sequence " + std::to_string(i));
    const std::vector<float> expected =
        expected_.Values("single." + std::to_string(i) + ".last_hidden_state");
    EXPECT_GE(MinRowCosine(outputs[i], expected, 0), kInt8MinCosine);
  }
}

TEST_F(EncoderTest, Int8ConcurrentEncodesAgree) {
  EncoderOptions options;
  options.precision = Precision::kInt8Dynamic;
  ASSERT_OK_AND_ASSIGN(auto int8_encoder, DistilBertEncoder::Create(config_, *weights_, options));
  const std::vector<int32_t> ids = expected_.Ids("single.4.input_ids");
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> serial, int8_encoder->Encode({ids}));

  std::vector<std::vector<RowMatrixXf>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 10; ++repeat) {
        auto outputs = int8_encoder->Encode({ids});
        if (outputs.ok()) results[t] = *std::move(outputs);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (const std::vector<RowMatrixXf>& result : results) {
    ASSERT_EQ(result.size(), 1u);
    EXPECT_EQ(result[0], serial[0]);
  }
}

TEST_F(EncoderTest, Int8RejectsBadInputs) {
  EncoderOptions options;
  options.precision = Precision::kInt8Dynamic;
  ASSERT_OK_AND_ASSIGN(auto int8_encoder, DistilBertEncoder::Create(config_, *weights_, options));

  EXPECT_THAT(int8_encoder->Encode({std::vector<int32_t>{101, 30522, 102}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token id 30522")));
}

TEST(EncoderBaseShapeTest, Int8NearFloat32) {
  // The distilbert-base shape with random weights: the layer widths where
  // int8 matters, which the tiny reference model does not have.
  const DistilBertConfig config;
  const std::string directory = ScratchDirectory("int8-base");
  ASSERT_OK(WriteRandomCheckpoint(directory, config,
                                  TestDataPath("vocab/bert-base-uncased-vocab.txt"), 3));
  ASSERT_OK_AND_ASSIGN(auto weights, SafetensorsFile::Open(directory + "/model.safetensors"));
  ASSERT_OK_AND_ASSIGN(auto float_encoder, DistilBertEncoder::Create(config, *weights));
  EncoderOptions options;
  options.precision = Precision::kInt8Dynamic;
  ASSERT_OK_AND_ASSIGN(auto int8_encoder, DistilBertEncoder::Create(config, *weights, options));

  // Sequences of different lengths, so that attention pads.
  std::vector<std::vector<int32_t>> sequences;
  for (int length : {5, 37, 128}) {
    std::vector<int32_t> ids = {101};
    for (int i = 1; i + 1 < length; ++i) ids.push_back(1000 + (i * 7919) % 29000);
    ids.push_back(102);
    sequences.push_back(ids);
  }
  const std::vector<std::span<const int32_t>> batch(sequences.begin(), sequences.end());

  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> float_outputs, float_encoder->Encode(batch));
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> int8_outputs, int8_encoder->Encode(batch));

  ASSERT_EQ(int8_outputs.size(), float_outputs.size());
  for (size_t i = 0; i < sequences.size(); ++i) {
    SCOPED_TRACE("sequence " + std::to_string(i));
    ASSERT_EQ(int8_outputs[i].rows(), float_outputs[i].rows());
    const double cosine = MinRowCosine(int8_outputs[i], Flatten(float_outputs[i]), 0);
    RecordProperty("min_cosine_" + std::to_string(i), std::to_string(cosine));
    EXPECT_GE(cosine, kInt8MinCosine);
    EXPECT_GT((int8_outputs[i] - float_outputs[i]).cwiseAbs().maxCoeff(), 1e-6);
  }
  std::filesystem::remove_all(directory);
}

TEST(EncoderThreadsTest, NegativeCountIsAnError) {
  EXPECT_THAT(ConfigureThreads({.intra_op_threads = -1, .blas_threads = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("intra_op_threads")));
  EXPECT_THAT(ConfigureThreads({.intra_op_threads = 1, .blas_threads = -2}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blas_threads")));
}

TEST(EncoderThreadsTest, CountsAreApplied) {
  const ThreadLayout before = CurrentThreadLayout();

  ASSERT_OK(ConfigureThreads({.intra_op_threads = 2, .blas_threads = 1}));

  const ThreadLayout layout = CurrentThreadLayout();
  EXPECT_EQ(layout.intra_op_threads, 2);
  if (layout.blas_threads >= 0) {
    EXPECT_EQ(layout.blas_threads, 1);
  }
  ASSERT_OK(ConfigureThreads({.intra_op_threads = before.intra_op_threads,
                              .blas_threads = std::max(before.blas_threads, 0)}));
}

// The deployment files set OMP_NUM_THREADS from the CPU limit; an automatic
// count must follow it rather than the host's core count.
TEST(EncoderThreadsTest, AutomaticCountFollowsOmpNumThreads) {
  const ThreadLayout before = CurrentThreadLayout();
  const char* previous = std::getenv("OMP_NUM_THREADS");
  const std::string saved = previous == nullptr ? "" : previous;

  ASSERT_EQ(setenv("OMP_NUM_THREADS", "1", /*overwrite=*/1), 0);
  ASSERT_OK(ConfigureThreads({.intra_op_threads = 0, .blas_threads = 1}));
  EXPECT_EQ(CurrentThreadLayout().intra_op_threads, 1);
  // A value that is not a positive number falls back to the CPUs.
  ASSERT_EQ(setenv("OMP_NUM_THREADS", "lots", 1), 0);
  ASSERT_OK(ConfigureThreads({.intra_op_threads = 0, .blas_threads = 1}));
  EXPECT_GE(CurrentThreadLayout().intra_op_threads, 1);

  if (previous == nullptr) {
    unsetenv("OMP_NUM_THREADS");
  } else {
    setenv("OMP_NUM_THREADS", saved.c_str(), 1);
  }
  ASSERT_OK(ConfigureThreads({.intra_op_threads = before.intra_op_threads,
                              .blas_threads = std::max(before.blas_threads, 0)}));
}

TEST(EncoderThreadsTest, NarrowModelsGetOneThread) {
  DistilBertConfig narrow;
  narrow.dim = 128;
  DistilBertConfig wide;
  wide.dim = 768;

  EXPECT_EQ(ThreadsForModel(narrow, ThreadOptions()).blas_threads, 1);
  EXPECT_EQ(ThreadsForModel(narrow, ThreadOptions()).intra_op_threads, 1);
  EXPECT_EQ(ThreadsForModel(narrow, {.intra_op_threads = 0, .blas_threads = 0}).blas_threads, 1);
  EXPECT_EQ(ThreadsForModel(wide, ThreadOptions()).intra_op_threads, 0);
  EXPECT_EQ(ThreadsForModel(wide, ThreadOptions()).blas_threads, 1);
  EXPECT_EQ(ThreadsForModel(narrow, {.intra_op_threads = 2, .blas_threads = 2}).blas_threads, 2);
}

TEST_F(EncoderTest, BadInputsAreInvalidArguments) {
  const std::vector<int32_t> good = {101, 2417, 102};
  const std::vector<int32_t> empty;
  const std::vector<int32_t> negative = {101, -1, 102};
  const std::vector<int32_t> too_large = {101, 30522, 102};
  const std::vector<int32_t> too_long(513, 1996);

  EXPECT_THAT(encoder_->Encode({good, empty}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sequence 1 is empty")));
  EXPECT_THAT(encoder_->Encode({negative}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("position 1"), HasSubstr("token id -1"))));
  EXPECT_THAT(encoder_->Encode({good, too_large}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("sequence 1"), HasSubstr("token id 30522"))));
  EXPECT_THAT(encoder_->Encode({too_long}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("513 tokens"), HasSubstr("at most 512"))));
  EXPECT_THAT(encoder_->Embed(empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(encoder_->Embed(too_large),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token id 30522")));
}

TEST_F(EncoderTest, LongestSequenceIsAccepted) {
  const std::vector<int32_t> longest(512, 1996);

  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder_->Encode({longest}));

  EXPECT_EQ(outputs[0].rows(), 512);
  EXPECT_TRUE(outputs[0].allFinite());
}

TEST_F(EncoderTest, EmptyBatchGivesNoOutputs) {
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> outputs, encoder_->Encode({}));

  EXPECT_TRUE(outputs.empty());
}

TEST_F(EncoderTest, ConcurrentEncodesAgree) {
  std::vector<std::vector<int32_t>> sequences;
  for (int i = 0; i < kInputCount; ++i) {
    sequences.push_back(expected_.Ids("single." + std::to_string(i) + ".input_ids"));
  }
  const std::vector<std::span<const int32_t>> batch(sequences.begin(), sequences.end());
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> serial, encoder_->Encode(batch));

  std::vector<std::vector<RowMatrixXf>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 10; ++repeat) {
        auto outputs = encoder_->Encode(batch);
        if (outputs.ok()) results[t] = *std::move(outputs);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (const std::vector<RowMatrixXf>& result : results) {
    ASSERT_EQ(result.size(), serial.size());
    for (size_t i = 0; i < serial.size(); ++i) EXPECT_EQ(result[i], serial[i]);
  }
}

}  // namespace
}  // namespace synesthesia::model
