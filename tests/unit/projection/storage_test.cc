#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/model/safetensors.h"
#include "core/projection/projection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::projection {
namespace {

namespace fs = std::filesystem;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kDim = 8;

Basis MakeBasis(int64_t dim) {
  Basis basis;
  basis.mean = Eigen::VectorXf::LinSpaced(dim, -1.0f, 1.0f);
  basis.axes = RowMatrixXf::Zero(3, dim);
  basis.axes(0, 0) = 1.0f;
  basis.axes(1, 1) = 0.6f;
  basis.axes(1, 2) = 0.8f;
  basis.axes(2, dim - 1) = -1.0f;
  basis.low = {-2.5f, -1.0f, 0.125f};
  basis.high = {2.5f, 3.0f, 0.75f};
  return basis;
}

SemanticHead MakeHiddenLayerHead(int64_t dim, int64_t hidden_size) {
  SemanticHead head;
  head.hidden_weight = RowMatrixXf::Random(hidden_size, dim);
  head.hidden_bias = Eigen::VectorXf::Random(hidden_size);
  head.output_weight = RowMatrixXf::Random(3, hidden_size);
  head.output_bias = Eigen::VectorXf::Random(3);
  return head;
}

SemanticHead MakeLinearHead(int64_t dim) {
  SemanticHead head;
  head.output_weight = RowMatrixXf::Random(3, dim);
  head.output_bias = Eigen::VectorXf::Random(3);
  return head;
}

Projections MakeProjections() {
  Projections projections;
  projections.name = "test-projections";
  projections.basis = MakeBasis(kDim);
  projections.semantic = MakeHiddenLayerHead(kDim, 5);
  projections.provenance = {{"created_by", "storage_test"},
                            {"basis.corpus", "a few sentences"},
                            {"semantic.trained_on", "colour names"}};
  return projections;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A valid basis.safetensors for kDim, written without SaveProjections, with
// tensor NAME replaced by VALUES and SHAPE when NAME is not empty, or left
// out when SHAPE is empty.
void WriteBasisFile(const std::string& path, const std::string& name = "",
                    std::vector<int64_t> shape = {}, std::vector<float> values = {}) {
  const Basis basis = MakeBasis(kDim);
  std::vector<model::Float32Tensor> tensors = {
      {"basis.mean", {kDim}, {basis.mean.data(), basis.mean.data() + kDim}},
      {"basis.axes", {3, kDim}, {basis.axes.data(), basis.axes.data() + 3 * kDim}},
      {"basis.low", {3}, {basis.low.begin(), basis.low.end()}},
      {"basis.high", {3}, {basis.high.begin(), basis.high.end()}},
  };
  std::vector<model::Float32Tensor> kept;
  for (model::Float32Tensor& tensor : tensors) {
    if (tensor.name != name) {
      kept.push_back(std::move(tensor));
    } else if (!shape.empty()) {
      kept.push_back({name, shape, values});
    }
  }
  ASSERT_OK(model::WriteSafetensors(path, kept));
}

void ExpectBasisEqual(const Basis& actual, const Basis& expected) {
  EXPECT_EQ(actual.mean, expected.mean);
  EXPECT_EQ(actual.axes, expected.axes);
  EXPECT_EQ(actual.low, expected.low);
  EXPECT_EQ(actual.high, expected.high);
}

void ExpectHeadEqual(const SemanticHead& actual, const SemanticHead& expected) {
  EXPECT_EQ(actual.hidden_weight, expected.hidden_weight);
  EXPECT_EQ(actual.hidden_bias, expected.hidden_bias);
  EXPECT_EQ(actual.output_weight, expected.output_weight);
  EXPECT_EQ(actual.output_bias, expected.output_bias);
}

TEST(SaveProjections, RoundTripsBasisHeadAndProvenance) {
  const std::string directory = ScratchDirectory("storage-round-trip");
  const Projections saved = MakeProjections();
  ASSERT_OK(SaveProjections(directory, saved));

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_EQ(loaded.name, "test-projections");
  ASSERT_TRUE(loaded.basis.has_value());
  ExpectBasisEqual(*loaded.basis, *saved.basis);
  ASSERT_TRUE(loaded.semantic.has_value());
  ExpectHeadEqual(*loaded.semantic, *saved.semantic);
  EXPECT_THAT(loaded.provenance, ElementsAre(Pair("created_by", "storage_test"),
                                             Pair("basis.corpus", "a few sentences"),
                                             Pair("semantic.trained_on", "colour names")));
}

TEST(SaveProjections, RoundTripsLinearHeadAlone) {
  const std::string directory = ScratchDirectory("storage-linear");
  Projections saved;
  saved.semantic = MakeLinearHead(kDim);
  ASSERT_OK(SaveProjections(directory, saved));

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_FALSE(loaded.basis.has_value());
  ASSERT_TRUE(loaded.semantic.has_value());
  ExpectHeadEqual(*loaded.semantic, *saved.semantic);
  EXPECT_EQ(loaded.semantic->hidden_weight.size(), 0);
  EXPECT_FALSE(fs::exists(fs::path(directory) / "basis.safetensors"));
  // Without a hidden layer there is no activation to name.
  const auto manifest = nlohmann::json::parse(ReadText(directory + "/synesthesia.json"));
  EXPECT_FALSE(manifest["semantic"].contains("activation"));
}

TEST(SaveProjections, WritesTheDocumentedManifest) {
  const std::string directory = ScratchDirectory("storage-manifest");
  ASSERT_OK(SaveProjections(directory, MakeProjections()));

  const auto manifest = nlohmann::json::parse(ReadText(directory + "/synesthesia.json"));
  EXPECT_EQ(manifest["format"], "synesthesia-projections");
  EXPECT_EQ(manifest["version"], 1);
  EXPECT_EQ(manifest["name"], "test-projections");
  EXPECT_EQ(manifest["created_by"], "storage_test");
  EXPECT_EQ(manifest["basis"]["file"], "basis.safetensors");
  EXPECT_EQ(manifest["basis"]["corpus"], "a few sentences");
  EXPECT_EQ(manifest["semantic"]["file"], "semantic.safetensors");
  EXPECT_EQ(manifest["semantic"]["activation"], "gelu");
  EXPECT_EQ(manifest["semantic"]["trained_on"], "colour names");

  ASSERT_OK_AND_ASSIGN(const auto basis,
                       model::SafetensorsFile::Open(directory + "/basis.safetensors"));
  EXPECT_THAT(basis->Names(), ::testing::UnorderedElementsAre("basis.mean", "basis.axes",
                                                              "basis.low", "basis.high"));
  ASSERT_OK_AND_ASSIGN(const auto semantic,
                       model::SafetensorsFile::Open(directory + "/semantic.safetensors"));
  EXPECT_THAT(semantic->Names(),
              ::testing::UnorderedElementsAre("semantic.hidden.weight", "semantic.hidden.bias",
                                              "semantic.output.weight", "semantic.output.bias"));
}

TEST(SaveProjections, ReplacesAnEarlierSaveAndRemovesStaleFiles) {
  const std::string directory = ScratchDirectory("storage-replace");
  ASSERT_OK(SaveProjections(directory, MakeProjections()));

  Projections second;
  second.name = "second";
  second.basis = MakeBasis(kDim);
  second.basis->low = {-9.0f, -9.0f, -9.0f};
  ASSERT_OK(SaveProjections(directory, second));

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_EQ(loaded.name, "second");
  ASSERT_TRUE(loaded.basis.has_value());
  EXPECT_EQ(loaded.basis->low[0], -9.0f);
  EXPECT_FALSE(loaded.semantic.has_value());
  EXPECT_TRUE(loaded.provenance.empty());
  EXPECT_FALSE(fs::exists(fs::path(directory) / "semantic.safetensors"));
}

TEST(SaveProjections, KeepsUnplacedSectionProvenanceAtTopLevel) {
  const std::string directory = ScratchDirectory("storage-top-level");
  Projections saved;
  saved.provenance = {{"basis.corpus", "kept although no basis was fitted"}};
  ASSERT_OK(SaveProjections(directory, saved));

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_FALSE(loaded.basis.has_value());
  EXPECT_THAT(loaded.provenance,
              ElementsAre(Pair("basis.corpus", "kept although no basis was fitted")));
}

TEST(SaveProjections, RejectsReservedOrRepeatedProvenanceKeys) {
  for (const std::string key : {"name", "format", "version", "basis", "semantic", "basis.file",
                                "semantic.file", "semantic.activation", "", "basis.",
                                "created_by"}) {
    Projections projections = MakeProjections();
    // "created_by" is already present, so adding it again repeats it.
    projections.provenance.emplace_back(key, "value");
    EXPECT_THAT(SaveProjections(ScratchDirectory("storage-reserved"), projections),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("provenance key")))
        << key;
  }
}

TEST(SaveProjections, RejectsShapesThatDoNotChain) {
  Projections bad_basis;
  bad_basis.basis = MakeBasis(kDim);
  bad_basis.basis->axes = RowMatrixXf::Zero(2, kDim);
  EXPECT_THAT(SaveProjections(ScratchDirectory("storage-bad-basis"), bad_basis),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot save a basis")));

  Projections bad_head;
  bad_head.semantic = MakeHiddenLayerHead(kDim, 5);
  bad_head.semantic->output_weight = RowMatrixXf::Zero(3, 4);
  EXPECT_THAT(SaveProjections(ScratchDirectory("storage-bad-head"), bad_head),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("do not chain")));
}

TEST(LoadProjections, DirectoryWithoutManifestIsEmpty) {
  const std::string directory = ScratchDirectory("storage-empty");
  WriteText(directory + "/config.json", "{}");

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_TRUE(loaded.name.empty());
  EXPECT_FALSE(loaded.basis.has_value());
  EXPECT_FALSE(loaded.semantic.has_value());
  EXPECT_TRUE(loaded.provenance.empty());
  EXPECT_TRUE(loaded.Has(Kind::kPca));
}

TEST(LoadProjections, MissingDirectoryIsNotFound) {
  const std::string directory = ScratchDirectory("storage-missing") + "/absent";
  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(directory)));
}

TEST(LoadProjections, MissingTensorFileIsNotFound) {
  const std::string directory = ScratchDirectory("storage-missing-file");
  ASSERT_OK(SaveProjections(directory, MakeProjections()));
  fs::remove(fs::path(directory) / "semantic.safetensors");

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("semantic.safetensors")));
}

TEST(LoadProjections, WrongWidthNamesFileAndTensor) {
  const std::string directory = ScratchDirectory("storage-width");
  ASSERT_OK(SaveProjections(directory, MakeProjections()));

  EXPECT_THAT(LoadProjections(directory, kDim + 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("basis.safetensors"), HasSubstr("'basis.mean'"),
                             HasSubstr("[8]"), HasSubstr("[9]"))));
}

TEST(LoadProjections, WrongHeadWidthNamesFileAndTensor) {
  const std::string directory = ScratchDirectory("storage-head-width");
  Projections projections;
  projections.semantic = MakeHiddenLayerHead(kDim, 5);
  ASSERT_OK(SaveProjections(directory, projections));

  EXPECT_THAT(LoadProjections(directory, 16),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("semantic.safetensors"),
                             HasSubstr("'semantic.hidden.weight'"), HasSubstr("[5, 8]"))));
}

TEST(LoadProjections, RejectsNonPositiveDim) {
  EXPECT_THAT(LoadProjections(ScratchDirectory("storage-dim"), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hidden size")));
}

// Manifests written by hand, each with one fault. Only basis.safetensors
// exists, and it is valid.
TEST(LoadProjections, RejectsCorruptManifests) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "invalid JSON at byte"},
      {R"({"version": 3e0522})", "invalid JSON: [json.exception.out_of_range.406]"},
      {"[1, 2]", "not a JSON object"},
      {std::string(2 << 20, ' '), "more than the manifest limit"},
      {R"({"version": 1})", "\"format\""},
      {R"({"format": "other", "version": 1})", "\"format\""},
      {R"({"format": "synesthesia-projections"})", "\"version\" is missing"},
      {R"({"format": "synesthesia-projections", "version": 2})", "\"version\" is 2"},
      {R"({"format": "synesthesia-projections", "version": "1"})", "\"version\""},
      {R"({"format": "synesthesia-projections", "version": 1, "name": 3})", "\"name\""},
      {R"({"format": "synesthesia-projections", "version": 1, "basis": []})", "\"basis\""},
      {R"({"format": "synesthesia-projections", "version": 1, "basis": {}})", "\"basis.file\""},
      {R"({"format": "synesthesia-projections", "version": 1,
           "basis": {"file": "../basis.safetensors"}})",
       "file name inside the model directory"},
      {R"({"format": "synesthesia-projections", "version": 1,
           "basis": {"file": "basis.safetensors", "corpus": 12}})",
       "\"basis.corpus\" must be a string"},
      {R"({"format": "synesthesia-projections", "version": 1, "trained": true})",
       "\"trained\" must be a string"},
      {R"({"format": "synesthesia-projections", "version": 1,
           "semantic": {"file": "semantic.safetensors", "activation": "relu"}})",
       "only \"gelu\""},
  };
  for (const auto& [manifest, message] : cases) {
    const std::string directory = ScratchDirectory("storage-corrupt");
    WriteBasisFile(directory + "/basis.safetensors");
    WriteText(directory + "/synesthesia.json", manifest);
    EXPECT_THAT(LoadProjections(directory, kDim),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("synesthesia.json"), HasSubstr(message))))
        << manifest;
  }
}

TEST(LoadProjections, ReadsHandWrittenFiles) {
  const std::string directory = ScratchDirectory("storage-hand-written");
  WriteBasisFile(directory + "/fitted.safetensors");
  WriteText(directory + "/synesthesia.json", R"({
    "version": 1, "format": "synesthesia-projections",
    "basis": {"file": "fitted.safetensors", "percentiles": "1 99"}
  })");

  ASSERT_OK_AND_ASSIGN(const Projections loaded, LoadProjections(directory, kDim));
  EXPECT_TRUE(loaded.name.empty());
  ASSERT_TRUE(loaded.basis.has_value());
  ExpectBasisEqual(*loaded.basis, MakeBasis(kDim));
  EXPECT_THAT(loaded.provenance, ElementsAre(Pair("basis.percentiles", "1 99")));
}

const char kBasisManifest[] = R"({"format": "synesthesia-projections", "version": 1,
                                  "basis": {"file": "basis.safetensors"}})";

TEST(LoadProjections, MissingTensorNamesFileAndTensor) {
  const std::string directory = ScratchDirectory("storage-missing-tensor");
  WriteBasisFile(directory + "/basis.safetensors", "basis.high");
  WriteText(directory + "/synesthesia.json", kBasisManifest);

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("basis.safetensors"), HasSubstr("'basis.high'"))));
}

TEST(LoadProjections, RejectsNonFiniteTensor) {
  const std::string directory = ScratchDirectory("storage-nan");
  WriteBasisFile(directory + "/basis.safetensors", "basis.low", {3}, {0.0f, NAN, 0.0f});
  WriteText(directory + "/synesthesia.json", kBasisManifest);

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'basis.low'"), HasSubstr("NaN"))));
}

TEST(LoadProjections, RejectsEmptyChannelRange) {
  const std::string directory = ScratchDirectory("storage-range");
  WriteBasisFile(directory + "/basis.safetensors", "basis.high", {3}, {2.5f, -1.0f, 0.75f});
  WriteText(directory + "/synesthesia.json", kBasisManifest);

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("basis.high[1]")));
}

TEST(LoadProjections, RejectsCorruptTensorFile) {
  const std::string directory = ScratchDirectory("storage-corrupt-tensors");
  WriteText(directory + "/basis.safetensors", "this is not a safetensors file");
  WriteText(directory + "/synesthesia.json", kBasisManifest);

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("basis.safetensors")));
}

TEST(LoadProjections, RejectsHiddenWeightWithoutBias) {
  const std::string directory = ScratchDirectory("storage-hidden-bias");
  const SemanticHead head = MakeHiddenLayerHead(kDim, 5);
  ASSERT_OK(model::WriteSafetensors(
      directory + "/semantic.safetensors",
      {{"semantic.hidden.weight",
        {5, kDim},
        {head.hidden_weight.data(), head.hidden_weight.data() + 5 * kDim}},
       {"semantic.output.weight",
        {3, 5},
        {head.output_weight.data(), head.output_weight.data() + 15}},
       {"semantic.output.bias", {3}, {0.0f, 0.0f, 0.0f}}}));
  WriteText(directory + "/synesthesia.json",
            R"({"format": "synesthesia-projections", "version": 1,
                "semantic": {"file": "semantic.safetensors", "activation": "gelu"}})");

  EXPECT_THAT(LoadProjections(directory, kDim),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("semantic.safetensors"), HasSubstr("semantic.hidden.bias"))));
}

}  // namespace
}  // namespace synesthesia::projection
