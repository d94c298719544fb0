// The colouring pipeline of one loaded model:
//
//   text ─► Prepare ─► (encoder windows) ─► Finish ─► spans
//           validate,    encoded by the       stitch hidden states,
//           tokenize,    caller: directly     project, merge words,
//           plan windows (Colorize) or        apply contrast
//                        batched (Engine)
//
// Colorize runs all of it on the calling thread, for the CLI's local mode,
// the trainer and tests; the server's Engine runs the same Prepare and Finish
// around its batch scheduler. Nothing else re-implements a step.
#ifndef SYNESTHESIA_CORE_ENGINE_COLORIZER_H_
#define SYNESTHESIA_CORE_ENGINE_COLORIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/engine/colorize_types.h"
#include "core/engine/windows.h"
#include "core/model/model.h"
#include "core/projection/projection.h"
#include "core/text/tokenizer.h"
#include "core/util/matrix.h"

namespace synesthesia::engine {

struct ColorizerOptions {
  // The model directory to load. Required.
  std::string model_directory;
  model::ModelOptions model;
  // Longest accepted text, in bytes. Default: 1 MiB.
  int64_t max_text_bytes = int64_t{1} << 20;
  // Tokens shared by consecutive encoder windows of a long text. Default: 128
  // (clamped below the window's capacity for models with few positions).
  int64_t window_overlap = 128;
  // Maximum tokens, padding included, in one forward pass of Colorize. A
  // longer text is encoded in several passes, so that its memory stays
  // bounded. The server's scheduler applies its own limit. Default: 2048.
  int64_t max_batch_tokens = 2048;
};

// A text ready for the encoder, and what Finish needs to turn the encoder's
// output into spans.
struct PreparedText {
  // The text being coloured (for streams: the part from the context start).
  std::string text;
  // Offsets of `text` within the whole text, added to every span.
  int64_t byte_offset = 0;
  int64_t code_point_offset = 0;
  // The real tokens of `text`, [CLS] and [SEP] excluded.
  std::vector<text::Token> tokens;
  // Tokens before this index are context only and get no span.
  int64_t first_coloured_token = 0;
  // Encoder input: one id sequence per window, [CLS] and [SEP] included.
  std::vector<std::vector<int32_t>> window_ids;
  WindowPlan plan;
  ColorizeOptions options;
  absl::Duration tokenize_time;
};

// Thread-safe: every method is const; the model is immutable after Create.
class Colorizer {
 public:
  // Loads the model directory and its projections. Fails with the loader's
  // status (naming the file at fault) or INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<Colorizer>> Create(ColorizerOptions options);

  // Colours TEXT on the calling thread, encoding its windows in forward
  // passes of at most max_batch_tokens tokens.
  absl::StatusOr<ColorizeResult> Colorize(std::string_view text,
                                          const ColorizeOptions& options) const;

  // Validates TEXT and OPTIONS, tokenizes and plans windows. INVALID_ARGUMENT
  // for invalid UTF-8 (naming the byte offset), text over max_text_bytes, a
  // projection the model lacks or contrast settings out of range.
  absl::StatusOr<PreparedText> Prepare(std::string_view text,
                                       const ColorizeOptions& options) const;

  // Prepares the tokens of TEXT from FIRST_COLOURED_BYTE on, with at most
  // MAX_CONTEXT_TOKENS tokens of the text before it as context (cut at a
  // word start). TEXT starts BYTE_OFFSET bytes and CODE_POINT_OFFSET code
  // points into a longer message; the result's offsets say where its text
  // starts after the cut. For streams.
  absl::StatusOr<PreparedText> PrepareWithContext(std::string_view text,
                                                  int64_t first_coloured_byte,
                                                  int64_t max_context_tokens,
                                                  int64_t byte_offset,
                                                  int64_t code_point_offset,
                                                  const ColorizeOptions& options) const;

  // Turns the encoder's output for PREPARED.window_ids (one [length, dim]
  // matrix per window, in order) into spans. INTERNAL when the shapes do not
  // match the plan.
  absl::StatusOr<ColorizeResult> Finish(const PreparedText& prepared,
                                        const std::vector<RowMatrixXf>& window_states) const;

  // Checks OPTIONS against this model: INVALID_ARGUMENT naming a projection
  // the model lacks, or a contrast ratio outside [1, 21] or without a
  // background.
  absl::Status ValidateOptions(const ColorizeOptions& options) const;

  const model::Model& model() const { return *model_; }
  const projection::Projections& projections() const { return projections_; }
  bool HasProjection(projection::Kind kind) const;
  // The projections this model has, pca first.
  std::vector<projection::Kind> AvailableProjections() const;
  const ColorizerOptions& options() const { return options_; }
  // Tokens of one encoder window without [CLS] and [SEP].
  int64_t window_capacity() const;

 private:
  Colorizer(ColorizerOptions options, std::unique_ptr<model::Model> model,
            projection::Projections projections);

  // Fills the windows of PREPARED from its tokens.
  void PlanEncoderInput(PreparedText& prepared) const;
  // Encodes WINDOWS in order, in passes of at most max_batch_tokens tokens.
  absl::StatusOr<std::vector<RowMatrixXf>> EncodeWindows(
      const std::vector<std::vector<int32_t>>& windows) const;
  // One colour per real token (and per special when requested).
  struct TokenColours;
  absl::StatusOr<TokenColours> ProjectTokens(const PreparedText& prepared,
                                            const RowMatrixXf& hidden,
                                            const RowMatrixXf& specials) const;

  ColorizerOptions options_;
  std::unique_ptr<model::Model> model_;
  projection::Projections projections_;
  // projections_.semantic laid out for serving, when the model has one.
  std::optional<projection::PreparedSemanticHead> semantic_;
};

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_COLORIZER_H_
