#include "core/engine/stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/text/char_class.h"
#include "core/text/utf8.h"
#include "core/util/status_macros.h"

namespace synesthesia::engine {

StreamMessage::StreamMessage(const Colorizer& colorizer, ColorizeOptions options,
                             StreamOptions stream_options)
    : colorizer_(colorizer), options_(std::move(options)), stream_options_(stream_options) {}

absl::StatusOr<std::optional<PreparedText>> StreamMessage::Append(std::string_view delta,
                                                                  bool final) {
  if (final_) {
    return absl::FailedPreconditionError("the message is already final; start a new message");
  }

  // Validate only what is new: the held-back bytes and the delta. A trailing
  // incomplete sequence waits for the next delta unless the message ends.
  std::string bytes = std::move(held_bytes_);
  held_bytes_.clear();
  bytes.append(delta);
  const size_t complete = final ? bytes.size() : text::CompleteUtf8Prefix(bytes);
  const std::string_view checked(bytes.data(), complete);
  RETURN_IF_ERROR(text::ValidateUtf8(checked, static_cast<int64_t>(text_.size())));

  const int64_t limit = colorizer_.options().max_text_bytes;
  const int64_t new_size = static_cast<int64_t>(text_.size() + bytes.size());
  if (new_size > limit) {
    return absl::InvalidArgumentError(absl::StrCat("the message has reached ", new_size,
                                                   " bytes, over the limit of ", limit,
                                                   " bytes; finish it and start a new message"));
  }
  text_.append(checked);
  held_bytes_ = bytes.substr(complete);
  ScanForBoundaries();
  final_ = final;

  const int64_t complete_end = final ? static_cast<int64_t>(text_.size()) : last_boundary_end_;
  if (complete_end <= coloured_end_byte_) return std::optional<PreparedText>();

  const std::string_view window(text_.data() + context_start_byte_,
                                static_cast<size_t>(complete_end - context_start_byte_));
  ASSIGN_OR_RETURN(PreparedText prepared,
                   colorizer_.PrepareWithContext(window, coloured_end_byte_ - context_start_byte_,
                                                 stream_options_.context_tokens, context_start_byte_,
                                                 context_start_code_point_, options_));
  context_start_byte_ = prepared.byte_offset;
  context_start_code_point_ = prepared.code_point_offset;
  coloured_end_byte_ = complete_end;
  if (prepared.window_ids.empty()) return std::optional<PreparedText>();
  return std::optional<PreparedText>(std::move(prepared));
}

void StreamMessage::ScanForBoundaries() {
  // Every byte before scanned_end_byte_ has been classified already, so
  // each delta costs time in proportion to its own length.
  std::vector<text::CodePoint> code_points = text::DecodeUtf8(
      std::string_view(text_).substr(static_cast<size_t>(scanned_end_byte_)));
  for (size_t i = 0; i < code_points.size(); ++i) {
    if (text::EndsPreToken(code_points[i].value)) {
      const int64_t next = i + 1 < code_points.size()
                               ? code_points[i + 1].byte_offset
                               : static_cast<int64_t>(text_.size()) - scanned_end_byte_;
      last_boundary_end_ = scanned_end_byte_ + next;
    }
  }
  scanned_end_byte_ = static_cast<int64_t>(text_.size());
}

}  // namespace synesthesia::engine
