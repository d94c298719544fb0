#include "tests/testing/model_fixtures.h"

#include <filesystem>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "core/model/random_checkpoint.h"
#include "core/projection/projection.h"
#include "core/util/status_macros.h"
#include "tests/testing/paths.h"

namespace synesthesia::testing {
namespace {

constexpr const char* kCorpus[] = {
    "Red green brown blue orange white black purple.",
    "The ocean at midnight is deep and quiet.",
    "A banana, a lemon and a lime sat in a yellow bowl.",
    "Snow fell on the coal-black road while the fire burned crimson.",
    "Colours name feelings: grey days, golden hours, blue moods.",
};

// Fits a basis to the hidden states of kCorpus and adds a fixed linear head.
absl::Status AddProjections(const std::string& directory) {
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model, model::Model::Load(directory));
  const int64_t dim = model->config().dim;

  std::vector<RowMatrixXf> states;
  int64_t rows = 0;
  for (const char* text : kCorpus) {
    ASSIGN_OR_RETURN(std::vector<text::Token> tokens, model->tokenizer().Tokenize(text));
    std::vector<int32_t> ids;
    for (const text::Token& token : tokens) ids.push_back(token.id);
    ASSIGN_OR_RETURN(std::vector<RowMatrixXf> encoded,
                     model->encoder().Encode({std::span<const int32_t>(ids)}));
    rows += encoded[0].rows();
    states.push_back(std::move(encoded[0]));
  }
  RowMatrixXf corpus(rows, dim);
  int64_t row = 0;
  for (const RowMatrixXf& state : states) {
    corpus.middleRows(row, state.rows()) = state;
    row += state.rows();
  }

  projection::Projections projections;
  projections.name = "tiny-with-projections";
  ASSIGN_OR_RETURN(projections.basis, projection::Basis::Fit(corpus));
  projection::SemanticHead head;
  head.output_weight = RowMatrixXf::Zero(3, dim);
  for (int64_t j = 0; j < dim; ++j) {
    head.output_weight(0, j) = 0.01f;
    head.output_weight(1, j) = (j % 2 == 0 ? 0.02f : -0.02f);
    head.output_weight(2, j) = (j % 3 == 0 ? 0.03f : -0.01f);
  }
  head.output_bias = Eigen::Vector3f(0.6f, 0.0f, 0.0f);
  projections.semantic = head;
  return projection::SaveProjections(directory, projections);
}

}  // namespace

absl::StatusOr<std::string> MakeTinyModelWithProjections(const std::string& name) {
  const std::string directory = ScratchDirectory(name);
  std::filesystem::copy(TestDataPath("distilbert-tiny"), directory,
                        std::filesystem::copy_options::recursive |
                            std::filesystem::copy_options::overwrite_existing);
  RETURN_IF_ERROR(AddProjections(directory));
  return directory;
}

absl::StatusOr<std::string> MakeShortWindowModel(const std::string& name, int64_t max_positions) {
  const std::string directory = ScratchDirectory(name);
  model::DistilBertConfig config;
  config.dim = 32;
  config.n_layers = 2;
  config.n_heads = 4;
  config.hidden_dim = 64;
  config.max_position_embeddings = max_positions;
  RETURN_IF_ERROR(model::WriteRandomCheckpoint(
      directory, config, TestDataPath("distilbert-tiny/vocab.txt"), /*seed=*/7));
  RETURN_IF_ERROR(AddProjections(directory));
  return directory;
}

}  // namespace synesthesia::testing
