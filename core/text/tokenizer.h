// BERT uncased WordPiece tokenization with exact source offsets.
//
// Tokenizer reproduces Hugging Face tokenizers' BertWordPiece pipeline for the
// bert-base-uncased vocabulary, token for token and offset for offset:
//   1. BertNormalizer: drop NUL, U+FFFD and control characters; turn every
//      whitespace character into a space; put spaces around CJK ideographs;
//      lowercase; NFD and drop combining marks (Mn).
//   2. BertPreTokenizer: split on whitespace, and split off every punctuation
//      character (ASCII symbol ranges and Unicode categories P*).
//   3. WordPiece: greedy longest match with "##" continuations; a word longer
//      than `max_input_chars_per_word` code points, or one with no match,
//      becomes a single [UNK].
//   4. [CLS] ... [SEP] around the sequence.
//
// Every token carries its span in the original text both in Unicode code
// points and in UTF-8 bytes, so callers can slice the text they received.
//
// Example:
//   ASSIGN_OR_RETURN(auto vocabulary, Vocabulary::Load(dir + "/vocab.txt"));
//   ASSIGN_OR_RETURN(auto tokenizer, Tokenizer::Create(std::move(vocabulary)));
//   ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenizer->Tokenize("Héllo!"));
//   // [CLS] hello ! [SEP]; "hello" spans code points [0, 5), bytes [0, 6).
#ifndef SYNESTHESIA_CORE_TEXT_TOKENIZER_H_
#define SYNESTHESIA_CORE_TEXT_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/text/vocabulary.h"

namespace synesthesia::text {

// One token of a tokenized text.
struct Token {
  int32_t id = 0;
  // The vocabulary entry, for example "##ing" or "[CLS]".
  std::string text;
  // True for [CLS] and [SEP], which come from no part of the input.
  bool special = false;
  // Half-open span [start, end) in Unicode code points of the original text.
  // Special tokens have the empty span [0, 0), as in Hugging Face tokenizers.
  int64_t start = 0;
  int64_t end = 0;
  // The same span in UTF-8 bytes of the original text.
  int64_t byte_start = 0;
  int64_t byte_end = 0;

  friend bool operator==(const Token&, const Token&) = default;
};

struct TokenizerOptions {
  // Lowercases text and strips accents (NFD, then drop Mn). Default: true.
  bool lowercase = true;
  // Words longer than this many code points become [UNK]. Default: 100.
  int max_input_chars_per_word = 100;
  // Adds [CLS] at the start and [SEP] at the end. Default: true.
  bool add_special_tokens = true;
};

// Thread-safe: every method is const and the object is immutable after Create.
class Tokenizer {
 public:
  // Builds a tokenizer over VOCABULARY. Fails with INVALID_ARGUMENT when the
  // vocabulary lacks [UNK], [CLS], [SEP] or [PAD], or when an option is out
  // of range.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Create(
      Vocabulary vocabulary, TokenizerOptions options = {});

  // Tokenizes UTF8_TEXT. Fails with INVALID_ARGUMENT naming the byte offset
  // of the first invalid UTF-8 sequence; every other byte string succeeds.
  // Empty or whitespace-only text gives just [CLS] [SEP].
  absl::StatusOr<std::vector<Token>> Tokenize(std::string_view utf8_text) const;

  const Vocabulary& vocabulary() const { return vocabulary_; }
  const TokenizerOptions& options() const { return options_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  Tokenizer(Vocabulary vocabulary, TokenizerOptions options);

  Vocabulary vocabulary_;
  TokenizerOptions options_;
  int32_t cls_id_ = 0;
  int32_t sep_id_ = 0;
  int32_t pad_id_ = 0;
  int32_t unk_id_ = 0;
};

}  // namespace synesthesia::text

#endif  // SYNESTHESIA_CORE_TEXT_TOKENIZER_H_
