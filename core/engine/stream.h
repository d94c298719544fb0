// One message of a ColorizeStream: text arrives in deltas, words are
// coloured once they are complete.
//
// A word is complete when the character after it ends it (whitespace,
// punctuation or a CJK ideograph, exactly where the tokenizer's
// pre-tokenizer splits) or when the message is final. Each batch of newly
// complete words is prepared with up to `context_tokens` tokens of the
// message before them as context, so the encoder's work per delta is bounded
// however long the message grows. Spans are handed out once and never
// revised.
#ifndef SYNESTHESIA_CORE_ENGINE_STREAM_H_
#define SYNESTHESIA_CORE_ENGINE_STREAM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/engine/colorize_types.h"
#include "core/engine/colorizer.h"

namespace synesthesia::engine {

struct StreamOptions {
  // Tokens of the message before the new words that the encoder sees as
  // context. Default: 64.
  int64_t context_tokens = 64;
};

// Not thread-safe: one owner (a stream's reactor) calls it in delta order.
class StreamMessage {
 public:
  // COLORIZER must outlive the message. OPTIONS must have passed
  // Colorizer::ValidateOptions.
  StreamMessage(const Colorizer& colorizer, ColorizeOptions options, StreamOptions stream_options);

  // Appends DELTA. Bytes of a UTF-8 sequence split between deltas wait for
  // the rest. With FINAL the message is complete and its last word is
  // included. Returns the prepared work for the words completed by this
  // delta, or nullopt when none completed. INVALID_ARGUMENT for invalid UTF-8
  // (the byte offset counts from the start of the message), a message over
  // the colorizer's max_text_bytes, or a delta after the message was final.
  absl::StatusOr<std::optional<PreparedText>> Append(std::string_view delta, bool final);

  bool final() const { return final_; }
  const ColorizeOptions& options() const { return options_; }
  // Bytes of valid text received so far.
  int64_t size_bytes() const { return static_cast<int64_t>(text_.size()); }

 private:
  // Finds the word boundaries in the text received since the last call.
  void ScanForBoundaries();

  const Colorizer& colorizer_;
  const ColorizeOptions options_;
  const StreamOptions stream_options_;

  std::string text_;
  // The tail of the last delta that starts a UTF-8 sequence not yet complete.
  std::string held_bytes_;
  bool final_ = false;
  // Text before this offset has been handed out for colouring.
  int64_t coloured_end_byte_ = 0;
  // Text before scanned_end_byte_ has been searched for word boundaries;
  // every word before last_boundary_end_ is complete.
  int64_t scanned_end_byte_ = 0;
  int64_t last_boundary_end_ = 0;
  // Where the context of the next delta may start at the earliest.
  int64_t context_start_byte_ = 0;
  int64_t context_start_code_point_ = 0;
};

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_STREAM_H_
