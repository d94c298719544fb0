#include "core/engine/colorizer.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"

namespace synesthesia::engine {
namespace {

bool IsContinuation(const text::Token& token) {
  return token.text.size() > 2 && token.text[0] == '#' && token.text[1] == '#';
}

// The mean of COLOURS in OKLab, back in 8-bit sRGB. A single colour is
// returned as it is, so token and word granularity agree on one-piece words.
colour::Rgb8 MeanColour(std::span<const colour::OkLab> oklab, std::span<const colour::Rgb8> rgb) {
  if (rgb.size() == 1) return rgb.front();
  colour::OkLab sum;
  for (const colour::OkLab& c : oklab) {
    sum.l += c.l;
    sum.a += c.a;
    sum.b += c.b;
  }
  const double n = static_cast<double>(oklab.size());
  return colour::OkLabToRgb8({sum.l / n, sum.a / n, sum.b / n});
}

}  // namespace

// Colours of the real tokens of a prepared text and of [CLS] and [SEP].
struct Colorizer::TokenColours {
  std::vector<colour::Rgb8> rgb;
  std::vector<colour::OkLab> oklab;
  colour::Rgb8 cls;
  colour::Rgb8 sep;
};

absl::StatusOr<std::unique_ptr<Colorizer>> Colorizer::Create(ColorizerOptions options) {
  if (options.model_directory.empty()) {
    return absl::InvalidArgumentError("no model directory given");
  }
  if (options.max_text_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_text_bytes must be positive, got ", options.max_text_bytes));
  }
  if (options.max_batch_tokens <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_tokens must be positive, got ", options.max_batch_tokens));
  }
  if (options.window_overlap < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window_overlap must not be negative, got ", options.window_overlap));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model,
                   model::Model::Load(options.model_directory, options.model));
  if (model->config().max_position_embeddings < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model ", options.model_directory, " has max_position_embeddings ",
        model->config().max_position_embeddings, "; at least 3 are needed for [CLS], a token and [SEP]"));
  }
  ASSIGN_OR_RETURN(projection::Projections projections,
                   projection::LoadProjections(options.model_directory, model->config().dim));
  return std::unique_ptr<Colorizer>(
      new Colorizer(std::move(options), std::move(model), std::move(projections)));
}

Colorizer::Colorizer(ColorizerOptions options, std::unique_ptr<model::Model> model,
                     projection::Projections projections)
    : options_(std::move(options)), model_(std::move(model)), projections_(std::move(projections)) {
  if (projections_.semantic.has_value()) semantic_.emplace(*projections_.semantic);
}

bool Colorizer::HasProjection(projection::Kind kind) const {
  return kind == projection::Kind::kPca || projections_.Has(kind);
}

std::vector<projection::Kind> Colorizer::AvailableProjections() const {
  std::vector<projection::Kind> kinds;
  for (projection::Kind kind :
       {projection::Kind::kPca, projection::Kind::kBasis, projection::Kind::kSemantic}) {
    if (HasProjection(kind)) kinds.push_back(kind);
  }
  return kinds;
}

int64_t Colorizer::window_capacity() const { return model_->config().max_position_embeddings - 2; }

absl::Status Colorizer::ValidateOptions(const ColorizeOptions& options) const {
  if (!HasProjection(options.projection)) {
    std::vector<std::string> names;
    for (projection::Kind kind : AvailableProjections()) {
      names.emplace_back(projection::KindName(kind));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "projection '", std::string(projection::KindName(options.projection)), "' is not available for model '",
        model_->name(), "' (it has: ", absl::StrJoin(names, ", "),
        "); choose one of those or fit it with synesthesia-train fit"));
  }
  if (!std::isfinite(options.min_contrast) ||
      (options.min_contrast != 0 && (options.min_contrast < 1 || options.min_contrast > 21))) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_contrast ", options.min_contrast,
                     " is out of range; use 0 (off) or a WCAG ratio in [1, 21]"));
  }
  if (options.min_contrast > 0 && !options.background.has_value()) {
    return absl::InvalidArgumentError(
        "min_contrast needs a background colour; set background to \"#rrggbb\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<PreparedText> Colorizer::Prepare(std::string_view text,
                                                const ColorizeOptions& options) const {
  return PrepareWithContext(text, 0, 0, 0, 0, options);
}

absl::StatusOr<PreparedText> Colorizer::PrepareWithContext(
    std::string_view text, int64_t first_coloured_byte, int64_t max_context_tokens,
    int64_t byte_offset, int64_t code_point_offset, const ColorizeOptions& options) const {
  const absl::Time start = absl::Now();
  RETURN_IF_ERROR(ValidateOptions(options));
  const int64_t total_bytes = byte_offset + static_cast<int64_t>(text.size());
  if (total_bytes > options_.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text is ", total_bytes, " bytes, over the limit of ", options_.max_text_bytes,
        " bytes; split it into smaller texts"));
  }

  ASSIGN_OR_RETURN(std::vector<text::Token> tokens, model_->tokenizer().Tokenize(text));
  PreparedText prepared;
  prepared.options = options;
  prepared.byte_offset = byte_offset;
  prepared.code_point_offset = code_point_offset;
  prepared.tokens.reserve(tokens.size());
  for (text::Token& token : tokens) {
    if (!token.special) prepared.tokens.push_back(std::move(token));
  }

  // Tokens that start before FIRST_COLOURED_BYTE are context.
  int64_t first_coloured = 0;
  while (first_coloured < static_cast<int64_t>(prepared.tokens.size()) &&
         prepared.tokens[static_cast<size_t>(first_coloured)].byte_start < first_coloured_byte) {
    ++first_coloured;
  }

  // Keep at most MAX_CONTEXT_TOKENS of context, cutting at a word start so
  // that the kept text tokenizes exactly as it did inside the longer text.
  int64_t cut = 0;
  if (first_coloured > max_context_tokens) {
    cut = first_coloured - max_context_tokens;
    while (cut < first_coloured && IsContinuation(prepared.tokens[static_cast<size_t>(cut)])) ++cut;
  }
  int64_t cut_bytes = 0;
  int64_t cut_code_points = 0;
  if (cut > 0) {
    const text::Token& first_kept = prepared.tokens[static_cast<size_t>(cut)];
    cut_bytes = cut < static_cast<int64_t>(prepared.tokens.size()) ? first_kept.byte_start
                                                                   : static_cast<int64_t>(text.size());
    cut_code_points = first_kept.start;
    prepared.tokens.erase(prepared.tokens.begin(), prepared.tokens.begin() + cut);
    for (text::Token& token : prepared.tokens) {
      token.byte_start -= cut_bytes;
      token.byte_end -= cut_bytes;
      token.start -= cut_code_points;
      token.end -= cut_code_points;
    }
  }
  prepared.text = std::string(text.substr(static_cast<size_t>(cut_bytes)));
  prepared.byte_offset += cut_bytes;
  prepared.code_point_offset += cut_code_points;
  prepared.first_coloured_token = first_coloured - cut;

  PlanEncoderInput(prepared);
  prepared.tokenize_time = absl::Now() - start;
  return prepared;
}

void Colorizer::PlanEncoderInput(PreparedText& prepared) const {
  const int64_t token_count = static_cast<int64_t>(prepared.tokens.size());
  const bool has_coloured_tokens = prepared.first_coloured_token < token_count;
  // Nothing to encode when no token gets a colour, unless [CLS] and [SEP]
  // were asked for.
  if (!has_coloured_tokens && !prepared.options.include_special_tokens) return;

  const int64_t capacity = window_capacity();
  const int64_t overlap = std::min(options_.window_overlap, capacity / 2);
  prepared.plan = PlanWindows(token_count, capacity, overlap);

  const text::Tokenizer& tokenizer = model_->tokenizer();
  for (const WindowPlan::Window& window : prepared.plan.windows) {
    std::vector<int32_t> ids;
    ids.reserve(static_cast<size_t>(window.end - window.begin + 2));
    ids.push_back(tokenizer.cls_id());
    for (int64_t i = window.begin; i < window.end; ++i) {
      ids.push_back(prepared.tokens[static_cast<size_t>(i)].id);
    }
    ids.push_back(tokenizer.sep_id());
    prepared.window_ids.push_back(std::move(ids));
  }
}

absl::StatusOr<ColorizeResult> Colorizer::Colorize(std::string_view text,
                                                   const ColorizeOptions& options) const {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(PreparedText prepared, Prepare(text, options));

  std::vector<RowMatrixXf> states;
  absl::Duration inference;
  if (!prepared.window_ids.empty()) {
    const absl::Time encode_start = absl::Now();
    ASSIGN_OR_RETURN(states, EncodeWindows(prepared.window_ids));
    inference = absl::Now() - encode_start;
  }

  ASSIGN_OR_RETURN(ColorizeResult result, Finish(prepared, states));
  result.timing.inference = inference;
  result.timing.total = absl::Now() - start;
  return result;
}

absl::StatusOr<std::vector<RowMatrixXf>> Colorizer::EncodeWindows(
    const std::vector<std::vector<int32_t>>& windows) const {
  // One pass over every window of a long text would hold the attention
  // scores of all of them at once. For a 900 kB text with synesthesia-mini
  // that was 2.7 GB, and page faults took nearly half the time.
  std::vector<RowMatrixXf> states;
  states.reserve(windows.size());
  size_t begin = 0;
  while (begin < windows.size()) {
    std::vector<std::span<const int32_t>> batch = {windows[begin]};
    int64_t longest = static_cast<int64_t>(windows[begin].size());
    size_t end = begin + 1;
    while (end < windows.size()) {
      const int64_t new_longest = std::max(longest, static_cast<int64_t>(windows[end].size()));
      if (new_longest * static_cast<int64_t>(batch.size() + 1) > options_.max_batch_tokens) break;
      batch.emplace_back(windows[end]);
      longest = new_longest;
      ++end;
    }
    ASSIGN_OR_RETURN(std::vector<RowMatrixXf> encoded, model_->encoder().Encode(batch));
    for (RowMatrixXf& window_states : encoded) states.push_back(std::move(window_states));
    begin = end;
  }
  return states;
}

absl::StatusOr<Colorizer::TokenColours> Colorizer::ProjectTokens(const PreparedText& prepared,
                                                                const RowMatrixXf& hidden,
                                                                const RowMatrixXf& specials) const {
  TokenColours colours;
  switch (prepared.options.projection) {
    case projection::Kind::kPca: {
      // [CLS] and [SEP] are left out of the fit, as in the notebook, and
      // coloured with the real tokens' components.
      projection::PcaResult pca = projection::PcaColoursWithOthers(hidden, specials);
      colours.rgb = std::move(pca.colours);
      colours.cls = pca.others[0];
      colours.sep = pca.others[1];
      break;
    }
    case projection::Kind::kBasis: {
      colours.rgb = projections_.basis->Apply(hidden);
      std::vector<colour::Rgb8> special_rgb = projections_.basis->Apply(specials);
      colours.cls = special_rgb[0];
      colours.sep = special_rgb[1];
      break;
    }
    case projection::Kind::kSemantic: {
      colours.oklab = semantic_->Apply(hidden);
      colours.rgb.reserve(colours.oklab.size());
      for (const colour::OkLab& c : colours.oklab) colours.rgb.push_back(colour::OkLabToRgb8(c));
      std::vector<colour::OkLab> special_oklab = semantic_->Apply(specials);
      colours.cls = colour::OkLabToRgb8(special_oklab[0]);
      colours.sep = colour::OkLabToRgb8(special_oklab[1]);
      break;
    }
  }
  if (colours.oklab.empty()) {
    colours.oklab.reserve(colours.rgb.size());
    for (const colour::Rgb8& c : colours.rgb) colours.oklab.push_back(colour::Rgb8ToOkLab(c));
  }
  return colours;
}

absl::StatusOr<ColorizeResult> Colorizer::Finish(const PreparedText& prepared,
                                                 const std::vector<RowMatrixXf>& window_states) const {
  ColorizeResult result;
  result.projection = prepared.options.projection;
  result.timing.tokenize = prepared.tokenize_time;
  const int64_t token_count = static_cast<int64_t>(prepared.tokens.size());
  result.token_count = static_cast<int32_t>(token_count - prepared.first_coloured_token);
  if (prepared.window_ids.empty()) return result;

  // Check the encoder's output against the plan before indexing into it.
  const int64_t dim = model_->config().dim;
  if (window_states.size() != prepared.window_ids.size()) {
    return absl::InternalError(absl::StrCat("expected hidden states for ", prepared.window_ids.size(),
                                            " windows, got ", window_states.size()));
  }
  for (size_t w = 0; w < window_states.size(); ++w) {
    if (window_states[w].rows() != static_cast<int64_t>(prepared.window_ids[w].size()) ||
        window_states[w].cols() != dim) {
      return absl::InternalError(absl::StrCat("hidden states of window ", w, " have shape [",
                                              window_states[w].rows(), ", ", window_states[w].cols(),
                                              "], expected [", prepared.window_ids[w].size(), ", ",
                                              dim, "]"));
    }
  }

  // One hidden state per real token, from the window the plan chose.
  RowMatrixXf hidden(token_count, dim);
  for (int64_t i = 0; i < token_count; ++i) {
    const int32_t w = prepared.plan.window_of_token[static_cast<size_t>(i)];
    const int64_t row = i - prepared.plan.windows[static_cast<size_t>(w)].begin + 1;
    hidden.row(i) = window_states[static_cast<size_t>(w)].row(row);
  }
  RowMatrixXf specials(2, dim);
  specials.row(0) = window_states.front().row(0);
  specials.row(1) = window_states.back().row(window_states.back().rows() - 1);

  ASSIGN_OR_RETURN(TokenColours colours, ProjectTokens(prepared, hidden, specials));

  const text::Tokenizer& tokenizer = model_->tokenizer();
  auto special_span = [&](int32_t id, colour::Rgb8 rgb) {
    Span span;
    span.rgb = rgb;
    span.token_ids = {id};
    span.special = true;
    return span;
  };
  if (prepared.options.include_special_tokens) {
    result.spans.push_back(special_span(tokenizer.cls_id(), colours.cls));
  }

  // Group the coloured tokens into spans: one per token, or one per word
  // with "##" continuations joining the token before them.
  int64_t i = prepared.first_coloured_token;
  while (i < token_count) {
    int64_t end = i + 1;
    if (prepared.options.granularity == Granularity::kWord) {
      while (end < token_count && IsContinuation(prepared.tokens[static_cast<size_t>(end)])) ++end;
    }
    const text::Token& first = prepared.tokens[static_cast<size_t>(i)];
    const text::Token& last = prepared.tokens[static_cast<size_t>(end - 1)];
    Span span;
    span.text = prepared.text.substr(static_cast<size_t>(first.byte_start),
                                     static_cast<size_t>(last.byte_end - first.byte_start));
    span.start = prepared.code_point_offset + first.start;
    span.end = prepared.code_point_offset + last.end;
    span.byte_start = prepared.byte_offset + first.byte_start;
    span.byte_end = prepared.byte_offset + last.byte_end;
    for (int64_t k = i; k < end; ++k) span.token_ids.push_back(prepared.tokens[static_cast<size_t>(k)].id);
    span.rgb = MeanColour(
        std::span<const colour::OkLab>(colours.oklab).subspan(static_cast<size_t>(i),
                                                              static_cast<size_t>(end - i)),
        std::span<const colour::Rgb8>(colours.rgb).subspan(static_cast<size_t>(i),
                                                          static_cast<size_t>(end - i)));
    result.spans.push_back(std::move(span));
    i = end;
  }

  if (prepared.options.include_special_tokens) {
    result.spans.push_back(special_span(tokenizer.sep_id(), colours.sep));
  }
  if (prepared.options.min_contrast > 0) {
    for (Span& span : result.spans) {
      span.rgb = colour::EnsureContrast(span.rgb, *prepared.options.background,
                                        prepared.options.min_contrast);
    }
  }
  return result;
}

}  // namespace synesthesia::engine
