// Character rules of Hugging Face's BertNormalizer and BertPreTokenizer, one
// code point at a time. Internal to synesthesia::text; the tokenizer and its
// tests use it.
//
// Unicode data comes from utf8proc 2.8 (Unicode 15.0). Hugging Face
// tokenizers 0.22.2 takes it from three places of different ages. The Rust
// crate unicode_categories gives control characters (Cc, Cf, Co), nonspacing
// marks (Mn) and punctuation (P*); measured, its tables match Unicode 8.0.
// unicode-normalization-alignments gives NFD. The Rust standard library,
// newer than Unicode 15.0, gives whitespace and lowercasing. Where utf8proc
// and Hugging Face disagree, this file follows Hugging Face through a
// generated override table (bert_unicode_overrides.inc, made by
// generate_bert_unicode_overrides.py). Its entries are of three kinds:
//   - characters assigned or recategorised after Unicode 8.0 (new marks,
//     format characters and punctuation): Hugging Face keeps them as
//     ordinary characters, does not decompose them and does not split on them;
//   - six older characters whose category changed since (for example U+1734
//     moved from Mn to Mc, U+166D from Po to So): the old category applies;
//   - characters unassigned in Unicode 15.0 that the Rust standard library
//     lowercases (for example the Garay capitals U+10D50..U+10D65).
// The code point fixture tests/data/tokenizer/codepoints.json checks every
// scalar value against the real library.
#ifndef SYNESTHESIA_CORE_TEXT_BERT_UNICODE_H_
#define SYNESTHESIA_CORE_TEXT_BERT_UNICODE_H_

#include <cstdint>

namespace synesthesia::text::internal {

// The maximum number of code points that one code point decomposes to here.
// Canonical decompositions in Unicode 15.0 have at most four.
inline constexpr int kMaxNormalizedLength = 8;

// One character of a normalized code point.
struct NormalizedChar {
  char32_t value = 0;
  // Canonical combining class, for the canonical ordering step of NFD. The
  // characters in the override table count as class 0, as they do in Hugging
  // Face, whose normalization tables do not know them either.
  uint8_t combining_class = 0;
  // True for nonspacing marks that accent stripping removes. They stay in the
  // sequence because a removed mark of class 0 still ends a run of combining
  // characters that canonical ordering sorts.
  bool removed = false;
};

// The result of BertNormalizer for one code point.
struct NormalizedCodePoint {
  // 0 when the clean-text step drops the code point.
  int length = 0;
  NormalizedChar chars[kMaxNormalizedLength];
  // True for CJK ideographs, which the normalizer surrounds with spaces so
  // that each becomes a word of its own.
  bool cjk = false;
};

// Applies BertNormalizer (clean_text and handle_chinese_chars on) to C alone:
// drops NUL, U+FFFD and control characters, maps whitespace to U+0020 and
// flags CJK ideographs. With LOWERCASE it also decomposes (NFD), marks
// nonspacing marks (Mn) as removed and lowercases the rest, in that order.
NormalizedCodePoint NormalizeCodePoint(char32_t c, bool lowercase);

// The tokenizer's treatment of one code point, for the common cases.
enum class CharKind : uint8_t {
  kDropped,         // removed by the clean-text step
  kRemovedMark,     // a nonspacing mark of nonzero class, removed
  kRemovedStarter,  // a nonspacing mark of class 0, removed; ends a combining run
  kWhitespace,      // ends the current word
  kPunctuation,     // a word of its own
  kCjk,             // a CJK ideograph: a word of its own
  kWord,            // one character of the current word
  kComplex,         // anything else: use NormalizeCodePoint
};

struct CharSummary {
  // The normalized character; meaningful for kPunctuation, kCjk and kWord.
  char32_t value = 0;
  CharKind kind = CharKind::kComplex;
  uint8_t combining_class = 0;
};

// Summarizes NormalizeCodePoint(C, LOWERCASE) with the pre-tokenizer's class
// of the result. Summaries of code points below U+10000 come from a table of
// 256 KiB per LOWERCASE value, which the first call builds. Thread-safe.
CharSummary SummarizeCodePoint(char32_t c, bool lowercase);

// Whitespace as BertPreTokenizer splits on it: the Unicode White_Space
// property (Rust's char::is_whitespace).
bool IsWhitespace(char32_t c);

// Punctuation as BertPreTokenizer isolates it: ASCII punctuation (all of
// !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) and Unicode categories Pc, Pd, Ps, Pe,
// Pi, Pf and Po.
bool IsPunctuation(char32_t c);

// The Unicode version of the utf8proc data that the override table was
// generated against, for example "15.0.0".
const char* OverridesUnicodeVersion();

}  // namespace synesthesia::text::internal

#endif  // SYNESTHESIA_CORE_TEXT_BERT_UNICODE_H_
