// BERT uncased WordPiece tokenization with exact source offsets.
//
// Tokenizer reproduces Hugging Face tokenizers' BertWordPiece pipeline for the
// bert-base-uncased vocabulary, token for token and offset for offset:
//   0. Special tokens written in the text ([MASK], [SEP], ...) become those
//      tokens before normalization (see TokenizerOptions::match_special_tokens).
//   1. BertNormalizer: drop NUL, U+FFFD and control characters; turn every
//      whitespace character into a space; put spaces around CJK ideographs;
//      then NFD, drop nonspacing marks (Mn) and lowercase, in that order.
//   2. BertPreTokenizer: split on whitespace, and split off every punctuation
//      character (ASCII symbol ranges and Unicode categories P*).
//   3. WordPiece: greedy longest match with "##" continuations. A word longer
//      than `max_input_chars_per_word` normalized code points, or one with a
//      part that matches no entry, becomes a single [UNK].
//   4. [CLS] ... [SEP] around the sequence.
// Unicode data comes from utf8proc; bert_unicode.h says where Hugging Face's
// older tables differ and how the tokenizer follows them. The conformance
// tests compare it with the real library (tests/data/tokenizer).
//
// Every token carries its span in the original text both in Unicode code
// points and in UTF-8 bytes, so callers can slice the text they received.
// Several tokens can share one code point, for example the jamo pieces of a
// decomposed Hangul syllable.
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
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/text/piece_trie.h"
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
  // Strips accents and lowercases (NFD, drop Mn, then lowercase), as an
  // uncased vocabulary expects. Default: true.
  bool lowercase = true;
  // Words longer than this many code points after normalization become
  // [UNK]; must be >= 0. Default: 100.
  int max_input_chars_per_word = 100;
  // Adds [CLS] at the start and [SEP] at the end. Default: true.
  bool add_special_tokens = true;
  // Reads [PAD], [UNK], [CLS], [SEP] and [MASK] written in the text (exact,
  // case-sensitive, where the vocabulary has them) as those single tokens,
  // as Hugging Face does with the special tokens of bert-base-uncased. Such a
  // token has its own span and special == false. When false, the text
  // "[MASK]" gives "[", "mask", "]". Default: true.
  bool match_special_tokens = true;
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

  friend class TokenizeRun;

  Vocabulary vocabulary_;
  TokenizerOptions options_;
  int32_t cls_id_ = 0;
  int32_t sep_id_ = 0;
  int32_t pad_id_ = 0;
  int32_t unk_id_ = 0;

  // Returns the id and length in bytes of the longest vocabulary piece at
  // byte BEGIN of the normalized WORD, "##" entries when BEGIN > 0, or
  // {-1, 0} when none matches.
  std::pair<int32_t, size_t> LongestPiece(std::string_view word, size_t begin) const;

  // Every vocabulary entry, for the first piece of a word.
  internal::PieceTrie word_start_pieces_;
  // The "##" entries without their "##", for the later pieces. Whole words
  // are looked up in a hash map first: most words are one entry.
  internal::PieceTrie continuation_pieces_;
  absl::flat_hash_map<std::string, int32_t> continuation_ids_;
  // The special tokens that match_special_tokens finds in the text, with ids.
  std::vector<std::pair<std::string, int32_t>> text_special_tokens_;
};

}  // namespace synesthesia::text

#endif  // SYNESTHESIA_CORE_TEXT_TOKENIZER_H_
