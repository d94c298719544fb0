// UTF-8 validation and decoding shared by the tokenizer and the streaming
// word splitter.
#ifndef SYNESTHESIA_CORE_TEXT_UTF8_H_
#define SYNESTHESIA_CORE_TEXT_UTF8_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace synesthesia::text {

// Returns OK when TEXT is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF), else INVALID_ARGUMENT naming the byte offset of
// the first invalid sequence, for example
// "invalid UTF-8 at byte 17: unexpected continuation byte 0x80".
absl::Status ValidateUtf8(std::string_view text);

// The same for TEXT that starts BASE_OFFSET bytes into a longer text (a
// stream delta): offsets in the message count from the longer text's start.
absl::Status ValidateUtf8(std::string_view text, int64_t base_offset);

// One decoded code point and where it starts in the UTF-8 text.
struct CodePoint {
  char32_t value = 0;
  int64_t byte_offset = 0;
};

// Decodes TEXT, which must have passed ValidateUtf8.
std::vector<CodePoint> DecodeUtf8(std::string_view text);

// Returns the length of the longest prefix of TEXT that ends on a code point
// boundary, so that a stream can hold back a sequence split between deltas.
size_t CompleteUtf8Prefix(std::string_view text);

}  // namespace synesthesia::text

#endif  // SYNESTHESIA_CORE_TEXT_UTF8_H_
