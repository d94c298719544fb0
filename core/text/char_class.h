// Character classes of the BERT normalizer and pre-tokenizer, shared by the
// tokenizer and by the stream's word-completion rule so the two never
// disagree on where a word ends.
#ifndef SYNESTHESIA_CORE_TEXT_CHAR_CLASS_H_
#define SYNESTHESIA_CORE_TEXT_CHAR_CLASS_H_

namespace synesthesia::text {

// True when the pre-tokenizer ends a word at the end of C, so that a text
// ending with C has no incomplete last word: C is whitespace, punctuation
// (ASCII symbol ranges and Unicode P*) or a CJK ideograph after
// normalization, exactly where the tokenizer splits words.
bool EndsPreToken(char32_t c);

}  // namespace synesthesia::text

#endif  // SYNESTHESIA_CORE_TEXT_CHAR_CLASS_H_
