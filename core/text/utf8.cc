#include "core/text/utf8.h"

#include <cstring>
#include <string>

#include "absl/strings/str_format.h"

namespace synesthesia::text {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The number of bytes of a sequence that starts with LEAD, or 0 when LEAD
// cannot start one (a continuation byte, 0xC0, 0xC1 or 0xF5..0xFF).
int SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;
}

// The valid range of the byte after LEAD. It is narrower than 0x80..0xBF
// after E0 (overlong), ED (surrogates), F0 (overlong) and F4 (> U+10FFFF).
void SecondByteRange(unsigned char lead, unsigned char* low, unsigned char* high) {
  *low = 0x80;
  *high = 0xBF;
  if (lead == 0xE0) *low = 0xA0;
  if (lead == 0xED) *high = 0x9F;
  if (lead == 0xF0) *low = 0x90;
  if (lead == 0xF4) *high = 0x8F;
}

absl::Status InvalidAt(size_t offset, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrFormat("invalid UTF-8 at byte %d: %s", offset, reason));
}

// Explains why the sequence of LENGTH bytes at OFFSET, whose lead byte is
// valid, is not.
absl::Status DescribeBadSequence(std::string_view text, size_t offset, int length, size_t base) {
  const auto lead = static_cast<unsigned char>(text[offset]);
  for (int i = 1; i < length; ++i) {
    if (offset + i >= text.size()) {
      return InvalidAt(base + offset, absl::StrFormat("truncated %d-byte sequence at end of input", length));
    }
    const auto byte = static_cast<unsigned char>(text[offset + i]);
    if (!IsContinuation(byte)) {
      return InvalidAt(base + offset, absl::StrFormat(
                                   "truncated %d-byte sequence: byte 0x%02X at byte %d is not a "
                                   "continuation byte",
                                   length, byte, base + offset + i));
    }
    if (i > 1) continue;
    unsigned char low;
    unsigned char high;
    SecondByteRange(lead, &low, &high);
    if (byte < low) return InvalidAt(base + offset, absl::StrFormat("overlong %d-byte encoding", length));
    if (byte > high && lead == 0xED) {
      return InvalidAt(base + offset, "encoded UTF-16 surrogate (U+D800..U+DFFF)");
    }
    if (byte > high) return InvalidAt(base + offset, "code point above U+10FFFF");
  }
  return InvalidAt(base + offset, "invalid sequence");
}

}  // namespace

absl::Status ValidateUtf8(std::string_view text) { return ValidateUtf8(text, 0); }

absl::Status ValidateUtf8(std::string_view text, int64_t base_offset) {
  const auto base = static_cast<size_t>(base_offset);
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    // ASCII fast path: eight bytes at a time while none has the high bit.
    if (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, bytes + i, sizeof(word));
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }

    const int length = SequenceLength(lead);
    if (length == 0) {
      if (IsContinuation(lead)) {
        return InvalidAt(base + i, absl::StrFormat("unexpected continuation byte 0x%02X", lead));
      }
      if (lead < 0xC2) {
        return InvalidAt(base + i, absl::StrFormat("overlong 2-byte encoding (lead byte 0x%02X)", lead));
      }
      return InvalidAt(base + i, absl::StrFormat("byte 0x%02X never appears in UTF-8", lead));
    }
    if (i + length > size) return DescribeBadSequence(text, i, length, base);
    unsigned char low;
    unsigned char high;
    SecondByteRange(lead, &low, &high);
    bool valid = bytes[i + 1] >= low && bytes[i + 1] <= high;
    for (int k = 2; k < length; ++k) valid = valid && IsContinuation(bytes[i + k]);
    if (!valid) return DescribeBadSequence(text, i, length, base);
    i += length;
  }
  return absl::OkStatus();
}

std::vector<CodePoint> DecodeUtf8(std::string_view text) {
  std::vector<CodePoint> code_points;
  code_points.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = bytes[i];
    const int length = SequenceLength(lead);
    char32_t value;
    switch (length) {
      case 2:
        value = ((lead & 0x1Fu) << 6) | (bytes[i + 1] & 0x3Fu);
        break;
      case 3:
        value = ((lead & 0x0Fu) << 12) | ((bytes[i + 1] & 0x3Fu) << 6) | (bytes[i + 2] & 0x3Fu);
        break;
      case 4:
        value = ((lead & 0x07u) << 18) | ((bytes[i + 1] & 0x3Fu) << 12) |
                ((bytes[i + 2] & 0x3Fu) << 6) | (bytes[i + 3] & 0x3Fu);
        break;
      default:
        // ASCII; also the lead bytes that validation rejects, decoded as one
        // byte each so that a broken precondition cannot read out of bounds.
        value = lead;
        break;
    }
    code_points.push_back({value, static_cast<int64_t>(i)});
    i += length > 1 && i + length <= text.size() ? length : 1;
  }
  return code_points;
}

size_t CompleteUtf8Prefix(std::string_view text) {
  // Only the last three bytes can belong to an unfinished sequence.
  const size_t size = text.size();
  const size_t first = size > 3 ? size - 3 : 0;
  for (size_t start = size; start > first;) {
    --start;
    const auto byte = static_cast<unsigned char>(text[start]);
    if (IsContinuation(byte)) continue;

    const int length = SequenceLength(byte);
    const size_t present = size - start;
    if (length <= 1 || present >= static_cast<size_t>(length)) return size;
    // Hold back the tail only when more bytes could still make it valid.
    if (present >= 2) {
      unsigned char low;
      unsigned char high;
      SecondByteRange(byte, &low, &high);
      const auto second = static_cast<unsigned char>(text[start + 1]);
      if (second < low || second > high) return size;
    }
    return start;
  }
  return size;
}

}  // namespace synesthesia::text
