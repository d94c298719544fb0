#include "models/training/name_colours.h"

#include <algorithm>
#include <span>

#include "absl/status/status.h"
#include "core/util/status_macros.h"

namespace synesthesia::training {

absl::StatusOr<std::vector<RowMatrixXf>> EncodeTexts(const model::Model& model,
                                                     const std::vector<std::string>& texts,
                                                     int64_t batch_size) {
  if (batch_size < 1) return absl::InvalidArgumentError("batch_size must be at least 1");
  const text::Tokenizer& tokenizer = model.tokenizer();
  const int64_t max_real_tokens = model.config().max_position_embeddings - 2;

  std::vector<RowMatrixXf> states;
  states.reserve(texts.size());
  for (size_t begin = 0; begin < texts.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(texts.size(), begin + static_cast<size_t>(batch_size));

    std::vector<std::vector<int32_t>> sequences;
    for (size_t i = begin; i < end; ++i) {
      ASSIGN_OR_RETURN(std::vector<text::Token> tokens, tokenizer.Tokenize(texts[i]));
      // Tokenize returns [CLS] pieces... [SEP]; keep the ends, cut the middle.
      std::vector<int32_t> ids;
      const int64_t real = static_cast<int64_t>(tokens.size()) - 2;
      const int64_t kept = std::min(real, max_real_tokens);
      ids.push_back(tokenizer.cls_id());
      for (int64_t t = 1; t <= kept; ++t) ids.push_back(tokens[static_cast<size_t>(t)].id);
      ids.push_back(tokenizer.sep_id());
      sequences.push_back(std::move(ids));
    }

    std::vector<std::span<const int32_t>> batch(sequences.begin(), sequences.end());
    ASSIGN_OR_RETURN(std::vector<RowMatrixXf> encoded, model.encoder().Encode(batch));
    for (const RowMatrixXf& hidden : encoded) {
      states.push_back(hidden.middleRows(1, hidden.rows() - 2));
    }
  }
  return states;
}

colour::OkLab MeanOkLab(const std::vector<colour::OkLab>& colours) {
  colour::OkLab sum;
  if (colours.empty()) return sum;
  for (const colour::OkLab& c : colours) {
    sum.l += c.l;
    sum.a += c.a;
    sum.b += c.b;
  }
  const double n = static_cast<double>(colours.size());
  return {sum.l / n, sum.a / n, sum.b / n};
}

absl::StatusOr<std::vector<colour::OkLab>> PredictTextColours(
    const model::Model& model, const projection::SemanticHead& head,
    const std::vector<std::string>& texts) {
  if (head.dim() != model.config().dim) {
    return absl::InvalidArgumentError("the semantic head's width differs from the model's dim");
  }
  ASSIGN_OR_RETURN(std::vector<RowMatrixXf> states, EncodeTexts(model, texts));
  std::vector<colour::OkLab> colours;
  colours.reserve(states.size());
  for (const RowMatrixXf& hidden : states) colours.push_back(MeanOkLab(head.Apply(hidden)));
  return colours;
}

}  // namespace synesthesia::training
