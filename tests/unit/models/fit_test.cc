#include "models/training/fit.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/projection/projection.h"
#include "models/training/name_colours.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;

std::string ModelsPath(const std::string& relative) {
  return std::string(SYNESTHESIA_MODELS_DIR) + "/" + relative;
}

TEST(FitLinearHead, RecoversExactLinearMap) {
  // targets = features * W^T + b with a known W and b, no noise.
  RowMatrixXf features(6, 2);
  features << 1, 0, 0, 1, 1, 1, 2, -1, -1, 3, 0.5, 0.25;
  RowMatrixXf weight(3, 2);
  weight << 0.5, -0.25, 0.1, 0.2, -0.3, 0.05;
  const Eigen::Vector3f bias(0.6f, -0.02f, 0.03f);
  RowMatrixXf targets = (features * weight.transpose()).rowwise() + bias.transpose();

  ASSERT_OK_AND_ASSIGN(projection::SemanticHead head,
                       FitLinearHead(features, targets, Eigen::VectorXf::Ones(6), 1e-9));

  EXPECT_EQ(head.hidden_weight.size(), 0);
  ASSERT_EQ(head.output_weight.rows(), 3);
  ASSERT_EQ(head.output_weight.cols(), 2);
  EXPECT_TRUE(head.output_weight.isApprox(weight, 1e-4f)) << head.output_weight;
  EXPECT_TRUE(head.output_bias.isApprox(bias, 1e-4f)) << head.output_bias;
}

TEST(FitLinearHead, ZeroWeightRowsDoNotCount) {
  RowMatrixXf features(4, 1);
  features << 0, 1, 2, 3;
  RowMatrixXf targets(4, 3);
  // The last row is an outlier with weight zero; the rest lie on y = x.
  targets << 0, 0, 0, 1, 1, 1, 2, 2, 2, 100, 100, 100;
  Eigen::VectorXf weights(4);
  weights << 1, 1, 1, 0;

  ASSERT_OK_AND_ASSIGN(projection::SemanticHead head,
                       FitLinearHead(features, targets, weights, 1e-9));

  EXPECT_NEAR(head.output_weight(0, 0), 1.0f, 1e-4f);
  EXPECT_NEAR(head.output_bias(0), 0.0f, 1e-4f);
}

TEST(FitLinearHead, LargerPenaltyShrinksWeights) {
  RowMatrixXf features(3, 1);
  features << -1, 0, 1;
  RowMatrixXf targets(3, 3);
  targets << -1, -1, -1, 0, 0, 0, 1, 1, 1;

  ASSERT_OK_AND_ASSIGN(projection::SemanticHead small,
                       FitLinearHead(features, targets, Eigen::VectorXf::Ones(3), 1e-6));
  ASSERT_OK_AND_ASSIGN(projection::SemanticHead large,
                       FitLinearHead(features, targets, Eigen::VectorXf::Ones(3), 1.0));

  EXPECT_NEAR(small.output_weight(0, 0), 1.0f, 1e-4f);
  // Gram diagonal mean is 2/3, so the penalty is 2/3 and the slope halves.
  EXPECT_NEAR(large.output_weight(0, 0), 0.5f, 1e-4f);
}

TEST(FitLinearHead, RejectsMismatchedShapes) {
  EXPECT_THAT(FitLinearHead(RowMatrixXf::Zero(3, 2), RowMatrixXf::Zero(2, 3),
                            Eigen::VectorXf::Ones(3), 1e-3),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FitLinearHead(RowMatrixXf::Zero(3, 2), RowMatrixXf::Zero(3, 3),
                            Eigen::VectorXf::Ones(3), 0.0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FitLinearHead(RowMatrixXf::Zero(3, 2), RowMatrixXf::Zero(3, 3),
                            Eigen::VectorXf::Zero(3), 1e-3),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NeutralTarget, IsGreyAtMeanLightness) {
  const std::vector<ColourName> names = {{"a", {}, {0.2, 0.1, 0.1}}, {"b", {}, {0.8, -0.1, 0.0}}};
  const colour::OkLab neutral = NeutralTarget(names);
  EXPECT_DOUBLE_EQ(neutral.l, 0.5);
  EXPECT_EQ(neutral.a, 0.0);
  EXPECT_EQ(neutral.b, 0.0);
}

// Runs fit on a copy of the random tiny checkpoint: the projections must be
// written, load back, and fit the training names better than chance.
TEST(FitProjections, WritesProjectionsThatLoad) {
  const std::string directory = ScratchDirectory("fit-tiny");
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::filesystem::copy_file(TestDataPath(std::string("distilbert-tiny/") + file),
                               directory + "/" + file);
  }

  FitOptions options;
  options.model_directory = directory;
  options.corpus_path = ModelsPath("corpus/sentences.txt");
  options.names_path = ModelsPath("data/train.csv");
  options.held_out_path = ModelsPath("data/xkcd.csv");
  options.max_names = 300;
  ASSERT_OK_AND_ASSIGN(FitSummary summary, FitProjections(options));

  EXPECT_EQ(summary.names, 300);
  EXPECT_GT(summary.corpus_tokens, 1000);
  EXPECT_GT(summary.training_mean_ciede2000, 0.0);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<model::Model> model, model::Model::Load(directory));
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(directory, model->config().dim));
  ASSERT_TRUE(projections.basis.has_value());
  ASSERT_TRUE(projections.semantic.has_value());
  EXPECT_EQ(projections.semantic->dim(), 32);
  // Without an earlier manifest the name is the directory's base name.
  const std::string base_name = std::filesystem::path(directory).filename().string();
  EXPECT_EQ(projections.name, base_name);
  EXPECT_EQ(model->name(), base_name);
}

// Calibration must not make the calibration names worse, and the gains it
// reports must be exactly what it folded into the head.
TEST(CalibrateHead, FoldsReportedGainsIntoHead) {
  const std::string directory = ScratchDirectory("calibrate-tiny");
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::filesystem::copy_file(TestDataPath(std::string("distilbert-tiny/") + file),
                               directory + "/" + file);
  }
  FitOptions options;
  options.model_directory = directory;
  options.corpus_path = ModelsPath("corpus/sentences.txt");
  options.names_path = ModelsPath("data/train.csv");
  options.max_names = 300;
  ASSERT_OK(FitProjections(options).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<model::Model> model, model::Model::Load(directory));
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(directory, model->config().dim));
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names,
                       LoadColourNames(ModelsPath("data/train.csv")));
  names.resize(300);
  std::vector<std::string> texts;
  for (const ColourName& name : names) texts.push_back(name.name);

  // Halving the chroma makes a gain above 1 worth choosing.
  projection::SemanticHead head = *projections.semantic;
  head.output_weight.bottomRows(2) *= 0.5f;
  head.output_bias.tail(2) *= 0.5f;
  ASSERT_OK_AND_ASSIGN(std::vector<colour::OkLab> before, PredictTextColours(*model, head, texts));
  ASSERT_OK_AND_ASSIGN(HeadCalibration calibration, CalibrateHead(*model, head, names));
  ASSERT_OK_AND_ASSIGN(std::vector<colour::OkLab> after, PredictTextColours(*model, head, texts));

  EXPECT_GT(calibration.chroma_gain, 1.0);
  EXPECT_LT(calibration.mean_ciede2000_after, calibration.mean_ciede2000_before);
  for (size_t i = 0; i < texts.size(); ++i) {
    const double centre = calibration.lightness_centre;
    EXPECT_NEAR(after[i].l, centre + calibration.lightness_gain * (before[i].l - centre), 1e-4);
    EXPECT_NEAR(after[i].a, calibration.chroma_gain * before[i].a, 1e-4);
    EXPECT_NEAR(after[i].b, calibration.chroma_gain * before[i].b, 1e-4);
  }
}

TEST(CalibrateHead, RejectsNoNames) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<model::Model> model,
                       model::Model::Load(TestDataPath("distilbert-tiny")));
  projection::SemanticHead head;
  head.output_weight = RowMatrixXf::Zero(3, 32);
  head.output_bias = Eigen::VectorXf::Zero(3);
  EXPECT_THAT(CalibrateHead(*model, head, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FitProjections, MissingModelIsNotFound) {
  FitOptions options;
  options.model_directory = ScratchDirectory("fit-absent");
  options.corpus_path = ModelsPath("corpus/sentences.txt");
  options.names_path = ModelsPath("data/train.csv");
  EXPECT_THAT(FitProjections(options), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace synesthesia::training
