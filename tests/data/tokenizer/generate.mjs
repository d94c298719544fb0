// Writes the tokenizer conformance fixtures in this folder by running the real
// Hugging Face tokenizers library (Rust, through the npm package
// @anush008/tokenizers@0.6.0, which wraps tokenizers 0.22.2).
//
// Usage:
//   mkdir -p /tmp/hftok && cd /tmp/hftok && npm init -y &&
//     npm install @anush008/tokenizers@0.6.0
//   node tests/data/tokenizer/generate.mjs /tmp/hftok [REFERENCE_TOKENIZER_JSON]
//
// The first argument is the folder where the npm package is installed. The
// tokenizer is built from tests/data/vocab/bert-base-uncased-vocab.txt with the
// bert-base-uncased configuration below. When REFERENCE_TOKENIZER_JSON is
// given, the script first checks that the built configuration equals that
// file, which shows that the fixtures come from the published tokenizer.
//
// Outputs (all offsets are half-open [start, end)):
//   conformance.json  curated and random strings with ids, tokens, special
//                     flags, code-point offsets and UTF-8 byte offsets.
//   codepoints.json   for every Unicode scalar value, what BertNormalizer makes
//                     of it alone and whether BertPreTokenizer splits on it.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [npmDir, referenceJsonPath] = process.argv.slice(2);
if (!npmDir) {
  console.error("usage: node generate.mjs NPM_DIR [REFERENCE_TOKENIZER_JSON]");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const hf = require("@anush008/tokenizers");
const packageVersion = require("@anush008/tokenizers/package.json").version;

const here = path.dirname(fileURLToPath(import.meta.url));
const vocabPath = path.join(here, "..", "vocab", "bert-base-uncased-vocab.txt");

// ---------------------------------------------------------------------------
// Tokenizer configurations.

function loadVocab() {
  const lines = fs.readFileSync(vocabPath, "utf8").split("\n");
  assert.equal(lines.pop(), "", "vocab.txt must end with a newline");
  const vocab = {};
  lines.forEach((entry, id) => {
    assert(!(entry in vocab), `duplicate vocabulary entry ${entry}`);
    vocab[entry] = id;
  });
  return vocab;
}

const SPECIAL_TOKENS = [["[PAD]", 0], ["[UNK]", 100], ["[CLS]", 101], ["[SEP]", 102], ["[MASK]", 103]];

// Builds the bert-base-uncased tokenizer.json, field for field, with OPTIONS
// applied. `lowercase` sets BertNormalizer's lowercase, and strip_accents
// stays null so that it follows lowercase. `maxInputCharsPerWord` sets the
// WordPiece limit. `matchSpecialTokens: false` removes the added tokens, so
// that "[MASK]" in the text is ordinary text.
function tokenizerConfig(vocab, options = {}) {
  const lowercase = options.lowercase ?? true;
  const matchSpecialTokens = options.matchSpecialTokens ?? true;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: matchSpecialTokens
      ? SPECIAL_TOKENS.map(([content, id]) => ({
          id, content, single_word: false, lstrip: false, rstrip: false,
          normalized: false, special: true,
        }))
      : [],
    normalizer: {
      type: "BertNormalizer", clean_text: true, handle_chinese_chars: true,
      strip_accents: null, lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: ["[SEP]", 102], cls: ["[CLS]", 101] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
      max_input_chars_per_word: options.maxInputCharsPerWord ?? 100, vocab,
    },
  };
}

const vocab = loadVocab();
if (referenceJsonPath) {
  const reference = JSON.parse(fs.readFileSync(referenceJsonPath, "utf8"));
  assert.deepStrictEqual(tokenizerConfig(vocab), reference,
                         "built configuration differs from the reference tokenizer.json");
  console.log(`configuration equals ${referenceJsonPath}`);
}

const tokenizers = new Map();
function tokenizerFor(options) {
  const key = JSON.stringify(options);
  if (!tokenizers.has(key)) {
    tokenizers.set(key, hf.Tokenizer.fromString(JSON.stringify(tokenizerConfig(vocab, options))));
  }
  return tokenizers.get(key);
}

// ---------------------------------------------------------------------------
// Offsets. The library reports offsets in Unicode code points (Rust chars),
// not UTF-16 units; byte offsets are derived by UTF-8-encoding the text.

function codePointToByteOffsets(text) {
  const offsets = [0];
  let bytes = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character, "utf8");
    offsets.push(bytes);
  }
  return offsets;
}

async function encode(text, options = {}) {
  const { addSpecialTokens = true, ...tokenizerOptions } = options;
  const encoding = await tokenizerFor(tokenizerOptions).encode(text, null, { addSpecialTokens });
  const byteOffsets = codePointToByteOffsets(text);
  const codePoints = byteOffsets.length - 1;
  const offsets = encoding.getOffsets();
  for (const [start, end] of offsets) {
    const where = `offset [${start}, ${end}) in ${JSON.stringify(text)}`;
    assert(0 <= start, where);
    assert(start <= end, where);
    assert(end <= codePoints, where);
  }
  return {
    ids: encoding.getIds(),
    tokens: encoding.getTokens(),
    special: encoding.getSpecialTokensMask().map((flag) => flag === 1),
    offsets,
    byte_offsets: offsets.map(([start, end]) => [byteOffsets[start], byteOffsets[end]]),
  };
}

// An emoji is one code point but two UTF-16 units: "hi" must start at 2.
{
  const probe = await encode("\u{1F600} hi");
  assert.deepStrictEqual(probe.offsets, [[0, 0], [0, 1], [2, 4], [0, 0]]);
  assert.deepStrictEqual(probe.byte_offsets, [[0, 0], [0, 4], [5, 7], [0, 0]]);
}

// ---------------------------------------------------------------------------
// Curated strings, by group.

const repeat = (text, count) => text.repeat(count);
const cp = (...values) => String.fromCodePoint(...values);

const curated = {
  english: [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Colours carry meaning: red for danger, green for safety.",
    "It's a well-known fact that we'll need don't-care values.",
    "She said, \"Wait...\" and then left -- without a word.",
    "unaffable tokenization is surprisingly straightforward",
    "Supercalifragilisticexpialidocious!",
    "The U.S.A. and the U.K. signed on 3/4/2021.",
    "Mr. O'Neill's dog's bone (the big one) [apparently] {really}.",
    "questions? answers! semicolons; colons: commas, dots.",
    "a",
    "A",
    "I",
    "ALL CAPS SENTENCE HERE",
    "mIxEd CaSe WoRdS",
    "   leading and trailing spaces   ",
    "multiple     internal     spaces",
    "line one\nline two\r\nline three\rline four",
    "tabs\tbetween\twords",
    "hyphenated-compound-word and snake_case_name and camelCaseName",
    "antidisestablishmentarianism",
    "The year 1999 was followed by 2000.",
  ],
  numbers: [
    "3.14159 2.71828 1.41421",
    "1,000,000 and 1.000.000",
    "$100 €50 £30 ¥1000 ₹20 ₿0.5",
    "50% off, 100°C, -40°F, 6'2\"",
    "+1 (555) 123-4567",
    "2024-01-15T10:30:00Z",
    "0x1F600 0b1010 1e-9 6.02e23",
    "１２３４５ full-width digits",
    "Roman Ⅻ and ⅷ numerals",
    "superscripts x² y³ and subscripts H₂O",
    "fractions ½ ¼ ⅞",
    "circled ① ② ⑩",
    "٠١٢٣٤٥٦٧٨٩ Arabic-Indic digits",
    "०१२३ Devanagari digits",
    repeat("9", 150),
  ],
  urls_and_code: [
    "https://www.example.com/path/to/page?query=value&other=42#section",
    "http://localhost:8080/api/v1/colorize",
    "mailto:someone@example.org",
    "user.name+tag@sub.domain.co.uk",
    "/usr/local/bin/synesthesia --port=50051",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "std::vector<std::string> names;",
    "#hashtag @mention $variable %percent ^caret &and *star",
    "`code` ~tilde~ |pipe| \\backslash\\",
    "<html><body>Hello</body></html>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "ftp://files.example.net/pub/README.txt",
    "www.example.com",
  ],
  latin_accents: [
    "Héllo wörld",
    "café naïve résumé fiancée",
    "Ångström Øresund Æsir",
    "Straße Fußball STRASSE",
    "ẞ capital sharp s",
    "¿Dónde está el baño? ¡Olé!",
    "São Paulo, Portugal, coração",
    "Łódź Kraków Gdańsk źdźbło",
    "Příliš žluťoučký kůň úpěl ďábelské ódy",
    "Tiếng Việt có nhiều dấu thanh",
    "İstanbul ılık ıspanak İİ",
    "Þingvellir Reykjavík ðæ",
    "Crème brûlée à la française",
    "e\u0301 composed from e and U+0301",
    "a\u0300\u0301\u0302\u0303\u0304 stacked marks",
    "ǅungla ǈubljana ǋjegoš titlecase digraphs",
    "Kelvin \u212A and Ohm \u2126 and Angstrom \u212B signs",
    "ﬁnance ﬂow ﬀ ligatures",
    "ŒUVRE œuvre",
    "Ĳssel ĳs",
  ],
  greek_cyrillic_and_more: [
    "Καλημέρα κόσμε",
    "ΟΔΥΣΣΕΥΣ Ὀδυσσεύς",
    "σίσυφος ΣΊΣΥΦΟΣ final sigma ς",
    "ἄνθρωπος ᾠδή ῥήτωρ",
    "Привет, мир!",
    "Ёлка ёжик ЙОД йод",
    "Україна їжак ґанок",
    "Беларусь ў",
    "Српски ћирилица џ",
    "Բարեւ աշխարհ",
    "გამარჯობა მსოფლიო",
    "ᏣᎳᎩ Cherokee ꭰꭱ",
    "Ⰰⰰ Glagolitic",
    "𐐀𐐨 Deseret",
  ],
  rtl: [
    "שָׁלוֹם עוֹלָם",
    "שלום עולם",
    "مرحبا بالعالم",
    "مَرْحَبًا بِالْعَالَمِ",
    "كتــــاب with tatweel",
    "هل أنت بخير؟ نعم، شكرا؛",
    "می‌خواهم with zero-width non-joiner",
    "اردو زبان",
    "\u200Fright-to-left mark\u200E and left-to-right mark",
    "\u202Aembedding\u202C \u2066isolate\u2069",
  ],
  indic_and_southeast_asian: [
    "नमस्ते दुनिया",
    "हिन्दी भाषा में क्षत्रिय",
    "ওহে বিশ্ব বাংলা",
    "வணக்கம் உலகம்",
    "హలో ప్రపంచం",
    "ಕನ್ನಡ ಭಾಷೆ",
    "മലയാളം ഭാഷ",
    "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ",
    "નમસ્તે ગુજરાતી",
    "ආයුබෝවන් ලෝකය",
    "สวัสดีชาวโลก ภาษาไทย",
    "ສະບາຍດີ ພາສາລາວ",
    "សួស្តី​ពិភពលោក",
    "မင်္ဂလာပါ ကမ္ဘာ",
    "བཀྲ་ཤིས་བདེ་ལེགས།",
    "Xin chào thế giới",
    "ᜃᜓᜋᜓᜐ᜔ᜆ Baybayin with pamudpod U+1734",
  ],
  cjk: [
    "你好，世界！",
    "我爱北京天安门。",
    "繁體中文與簡體中文",
    "こんにちは世界",
    "カタカナとひらがなと漢字",
    "ｶﾀｶﾅ ﾃﾞﾊﾞｲｽ halfwidth katakana",
    "ガギグゲゴ パピプペポ voiced kana",
    "안녕하세요 세계",
    "한국어 텍스트와 English mixed",
    "「引用」『二重』【括弧】〈山〉《書》",
    "日本語、句読点。",
    "中文\u3000全角空格",
    "𠀀𠀁𠀂 CJK extension B",
    "\u{2A700}\u{2B740}\u{2B820}\u{2B920}\u{2CEB0}\u{30000} later CJK extensions",
    "豈更車 CJK compatibility ideographs",
    "\u{2F800}\u{2F801} compatibility supplement",
    "㐀㐁 extension A",
    "ＦＵＬＬＷＩＤＴＨ ｌａｔｉｎ ！？",
    "ﾊﾝｶｸ halfwidth forms ｡｢｣",
    "⺀⼀ radicals",
    "〆 〇 々 ideographic marks",
    "abc中文def",
    "数字123和字母abc混合",
  ],
  emoji: [
    "😀",
    "I love 🍕 and 🍣!",
    "👍🏽 thumbs up with skin tone",
    "👨‍👩‍👧‍👦 family ZWJ sequence",
    "👩🏾‍💻 woman technologist",
    "🏳️‍🌈 rainbow flag",
    "🇺🇸🇯🇵🇩🇪 flags",
    "1️⃣ #️⃣ keycaps",
    "❤️ ❤ heart with and without VS16",
    "🥰 🤩 🥳 newer emoji",
    "🫠 🫡 🫶 Unicode 14 emoji",
    "🩷 🫎 Unicode 15 emoji",
    "hi😀there",
    "😀😀😀😀",
    "☀️☁️☂️ weather",
    "©️ ®️ ™️ symbols",
    "🧑‍🤝‍🧑 people holding hands",
    "😀\u200D\u200D😀 double joiner",
  ],
  combining_marks: [
    "\u0301 leading combining acute",
    "\u0301\u0301\u0301",
    "Z\u0351\u036B\u0343\u036A\u0302\u036B\u033D\u034F\u0334\u0319\u0324\u031E\u0349\u035A\u032F\u031E\u0320\u034DA\u036B\u0357\u0334\u0362\u0335\u031C\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030E\u0305\u035B\u0341\u0334\u033B\u0348\u034D\u0354\u0339O\u0342\u030C\u030C\u0358\u0328\u0335\u0339\u033B\u031D\u0333",
    "α\u0345 iota subscript",
    "a\u20DD enclosing circle",
    "a\u034Fb combining grapheme joiner",
    "x\u{1D16D}\u{1D165}y canonical reordering",
    " \u{1D16D}\u{1D165}",
    "\u{1D15E}\u{1D15F} musical notes",
    "q\u0323\u0307 dot below and above",
    "\u302E\u{1D165} reordering of kept marks",
    "ṩ ḍ̇ ǭ precomposed",
    "n\u0303 a\u0308 o\u030A",
    "\uFE0F\uFE0E variation selectors alone",
    "a\u{E0100}b variation selector supplement",
    "\u0F71\u0F72 Tibetan vowel signs",
  ],
  control_and_format: [
    "\u0000",
    "a\u0000b",
    "\u0000hello\u0000",
    "bell\u0007 backspace\u0008 escape\u001B[31mred\u001B[0m",
    "delete\u007F character",
    "next line\u0085here",
    "C1 \u0080\u0081\u009F controls",
    "replacement \uFFFD character",
    "\uFFFD\uFFFD\uFFFD",
    "soft\u00ADhyphen co\u00ADoperate",
    "zero\u200Bwidth space",
    "zero\u200Cwidth non\u200Djoiner",
    "\uFEFFbyte order mark",
    "word\u2060joiner",
    "\u061Carabic letter mark",
    "interlinear \uFFF9anno\uFFFAtation\uFFFB",
    "tag \u{E0001}\u{E0041}\u{E007F} characters",
    "private \uE000 use \uF8FF area",
    "\u{F0000}\u{10FFFD} supplementary private use",
    "noncharacters \uFFFE \uFFFF \uFDD0 \u{1FFFF} \u{10FFFF}",
    "unassigned \u0378 \u0ECF \u{2FFFF} \u{E0080}",
    "file\u001Cgroup\u001Drecord\u001Eunit\u001Fseparators",
    "vertical\u000Btab form\u000Cfeed",
    "mongolian\u180Evowel separator",
    "shorthand\u{1BCA0}format",
  ],
  unicode_spaces: [
    "a\u0009b\u000Ac\u000Bd\u000Ce\u000Df",
    "a\u0020b\u0085c\u00A0d",
    "a\u1680b\u180Ec",
    "a\u2000b\u2001c\u2002d\u2003e\u2004f\u2005g",
    "a\u2006b\u2007c\u2008d\u2009e\u200Af",
    "a\u2028b\u2029c",
    "a\u202Fb\u205Fc\u3000d",
    "non\u00A0breaking\u00A0space",
    "figure\u2007space 1\u2007000",
    "thin\u2009space and hair\u200Aspace",
    "\u3000\u3000ideographic\u3000spaces\u3000",
    "\u00A0\u2000\u3000",
    "a\u200Bb\u2060c\uFEFFd non-space zero widths",
  ],
  long_words: [
    repeat("a", 100),
    repeat("a", 101),
    repeat("ab", 50) + " " + repeat("ab", 51),
    repeat("é", 100),
    repeat("é", 101),
    repeat("e\u0301", 100),
    repeat("e\u0301", 101),
    repeat("한", 33),
    repeat("한", 34),
    repeat("\u{1F600}", 101),
    repeat("x", 99) + "\u0000y",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    repeat("pneumonoultramicroscopicsilicovolcanoconiosis", 3),
    "https://example.com/" + repeat("verylongpathsegment", 8),
    repeat("token", 20) + " short " + repeat("token", 21),
    repeat("ﬃ", 100),
    repeat("İ", 100),
    repeat("İ", 101),
  ],
  empty_and_whitespace: [
    "",
    " ",
    "     ",
    "\t",
    "\n",
    "\r\n",
    " \t\n\r ",
    "\u3000",
    "\u00A0",
    "\u2028\u2029",
    "\u0000\u0000",
    "\u200B",
    "\uFFFD",
    "\u0301",
    "!",
    "!!!",
    "...",
    "#",
    "##",
    "##ing",
  ],
  special_tokens: [
    "[CLS] hello [SEP]",
    "hello [MASK] world",
    "[MASK]",
    "[mask]",
    "[UNK]",
    "[PAD][PAD]",
    "x[SEP]y",
    "[[MASK]]",
    "[MASK",
    "MASK]",
    "[MA\u0301SK]",
    "[unused0] [unused993]",
    "[ MASK ]",
    "a [SEP] b [CLS] c [UNK] d [PAD] e [MASK] f",
  ],
  override_characters: [
    "a\u166Db Canadian syllabics chi sign",
    "a\u{111C9}b Sharada sandhi mark",
    "a\u1734b Hanunoo pamudpod",
    "a\u1885b\u1886c Mongolian baluda",
    "a\uA9BDb Javanese keret",
    "a\u0890b\u0891c Arabic pound and piastre marks",
    "a\u08D4b Arabic small high word ar-rub",
    "a\u2E43b\u2E4Fc\u2E5Dd supplemental punctuation",
    "a\u061Db Arabic end of text mark",
    "a\u{11938}b Dives Akuru",
    "\u1C89\uA7CB\uA7DC recent capitals",
    "\u{10D50}\u{10D65} Garay capitals",
    "\u{16EA0}\u{16EB8} Beria Erfe capitals",
    "a\u0ECEb Lao yamakkan",
    "a\u{11B00}b Devanagari extended-A",
    "a\u{13439}b Egyptian hieroglyph format",
    "a\u{1E4EC}b Nag Mundari",
  ],
  normalization_edges: [
    "a\u037Eb Greek question mark",
    "a\u0387b Greek ano teleia",
    "a\u226Eb not less-than",
    "a\u2260b not equal",
    "a\u1FEFb Greek varia",
    "\u2126\u212A\u212B",
    "\u00C5 vs A\u030A",
    "\u1E9E\u00DF",
    "\u0130\u0131",
    "\u03A3\u03C3\u03C2",
    "\u1F88\u1FBC\u1FB3",
    "\u0345\u0399",
    "\u01C4\u01C5\u01C6",
    "\u2160\u2170\u24B6\u24D0",
    "\u{1D407}\u{1D41E}\u{1D425}\u{1D425}\u{1D428} math bold",
    "\u{1F130}\u{1F150} squared and circled capitals",
    "\uAC00\uD7A3 Hangul syllables",
    "\u1100\u1161\u11A8 conjoining jamo",
    "\u3131\u314F compatibility jamo",
  ],
  mixed: [
    "Hello 世界! Привет мир! مرحبا 😀",
    "The café served 寿司 and 🍣 for €15.",
    "Tokyo (東京) is Japan's capital; Seoul (서울) is Korea's.",
    "α-β-γ testing: naïve Σ-sum = 42",
    "Mixed\u00A0spaces\u2003and\u3000tabs\tand\u200Bzero widths",
    "RT @user: Check https://t.co/abc123 #NLP 🚀🚀",
    "Ünïcödé\u0000with\u0007controls\u00ADand\uFFFDreplacement",
    "עברית English العربية Русский 中文 日本語 한국어 हिन्दी ไทย",
    "E=mc² ∑∫∂√∞≈≠≤≥ ±×÷",
    "→ ← ↑ ↓ ⇒ ⇔ arrows",
    "•bullet ·middle dot ‣triangular",
    "“curly quotes” ‘single’ «guillemets» „German“",
    "em—dash en–dash ‐hyphen ‒figure ―bar",
    "…ellipsis ‰permille ′prime ″double",
    "§ ¶ † ‡ ※ ‼ ⁉",
    "½-price “deal” — today only!",
    "¡¿ inverted punctuation",
    "a/b\\c|d",
    "x_y-z.w,v;u:t",
    "(nested (parentheses (deep)))",
  ],
};

// Option variants: each entry is [options, strings].
const variants = [
  [{ lowercase: false }, [
    "Hello, World!",
    "Héllo wörld CAFÉ",
    "ǅungla İstanbul",
    "Ω Ω Å Å",
    "你好 World",
    "a\u0301 e\u0301",
    "soft\u00ADhyphen\u0000null",
    "[MASK] and [mask]",
    "hello world",
  ]],
  [{ addSpecialTokens: false }, [
    "Hello, world!",
    "",
    "   ",
    "[MASK] token",
    "日本語",
  ]],
  [{ maxInputCharsPerWord: 5 }, [
    "hello world",
    "hello worlds",
    "abcde abcdef",
    "ééééé éééééé",
    "한 한한",
    "unbelievable things",
  ]],
  [{ matchSpecialTokens: false }, [
    "hello [MASK] world",
    "[CLS] x [SEP]",
    "[UNK][PAD]",
  ]],
];

// ---------------------------------------------------------------------------
// Random strings from a fixed seed, mixing the pools below.

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pools = [
  ["the ", "colour ", "token", "##", "ing", "un", "able", "world", "Hello", "NLP", "42", "3.5"],
  Array.from(".,;:!?'\"()[]{}<>-_/\\@#$%^&*+=|~`"),
  Array.from(" \t\n\r\u00A0\u2003\u3000\u2028"),
  Array.from("àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÉÎÕÜßæøœ"),
  Array.from("αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΣΩάέήίόύώ"),
  Array.from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЯ"),
  Array.from("你好世界中文字漢語日本語東京北京"),
  Array.from("ひらがなカタカナｶﾀｶﾅ"),
  Array.from("한국어안녕하세요"),
  Array.from("مرحباשלוםनमस्तेสวัสดี"),
  ["😀", "👍🏽", "👨‍👩‍👧", "🇺🇸", "❤️", "🥰", "🫠", "1️⃣"],
  Array.from("\u0300\u0301\u0308\u0327\u0345\u05B7\u064E\u093C\u0E48\u20DD\uFE0F"),
  Array.from("\u0000\u0007\u001B\u007F\u0085\u00AD\u200B\u200C\u200D\uFEFF\uFFFD\uE000"),
  Array.from("ＡＢＣａｂｃ１２３！？"),
  ["[MASK]", "[SEP]", "[CLS]", "[UNK]", "[PAD]", "[mask]"],
];

function randomString(random) {
  const parts = [];
  const length = 1 + Math.floor(random() * 30);
  for (let i = 0; i < length; ++i) {
    if (random() < 0.08) {
      // Any scalar value, assigned or not.
      let value = Math.floor(random() * 0x110000);
      if (value >= 0xd800 && value <= 0xdfff) value -= 0x800;
      parts.push(cp(value));
    } else {
      const pool = pools[Math.floor(random() * pools.length)];
      parts.push(pool[Math.floor(random() * pool.length)]);
    }
  }
  return parts.join("");
}

// ---------------------------------------------------------------------------
// Conformance fixture.

const cases = [];
for (const [group, texts] of Object.entries(curated)) {
  for (const text of texts) cases.push({ group, text, ...(await encode(text)) });
}
for (const [options, texts] of variants) {
  for (const text of texts) {
    cases.push({ group: "options", options, text, ...(await encode(text, options)) });
  }
}
const texts = new Set();
for (const entry of cases) {
  const key = JSON.stringify([entry.options ?? {}, entry.text]);
  assert(!texts.has(key), `duplicate case ${key}`);
  texts.add(key);
}
const random = mulberry32(20240607);
for (let added = 0; added < 300;) {
  const text = randomString(random);
  const key = JSON.stringify([{}, text]);
  if (texts.has(key)) continue;
  texts.add(key);
  cases.push({ group: "random", text, ...(await encode(text)) });
  ++added;
}

const provenance = {
  library: `@anush008/tokenizers ${packageVersion} (Hugging Face tokenizers 0.22.2)`,
  node: process.version,
  generator: "tests/data/tokenizer/generate.mjs",
  vocabulary: "tests/data/vocab/bert-base-uncased-vocab.txt",
  generated: new Date().toISOString().slice(0, 10),
};

// One case per line keeps the file reviewable in diffs.
function writeCases(file, header, items) {
  const lines = items.map((item) => "  " + JSON.stringify(item));
  const headerText = JSON.stringify(header).slice(0, -1);
  fs.writeFileSync(file, `${headerText},"cases":[\n${lines.join(",\n")}\n]}\n`);
}
writeCases(path.join(here, "conformance.json"), { provenance }, cases);
console.log(`conformance.json: ${cases.length} cases`);

// ---------------------------------------------------------------------------
// Code point fixture: BertNormalizer (lowercase on) on each scalar value
// alone, and BertPreTokenizer on "a" + value + "a" (2 pieces: the value is
// whitespace; 3 pieces: punctuation).
//
// Runs group consecutive values that behave alike:
//   "same"   the normalizer keeps the value as it is
//   "drop"   the normalizer removes it
//   "space"  it becomes " "
//   "cjk"    it becomes " " + value + " " (CJK ideograph)
// Values that map to anything else are listed in "mapped" with their result.

const normalizer = hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
const preTokenizer = hf.bertPreTokenizer();
const runs = [];
const mapped = [];
const whitespace = [];
const punctuation = [];

function extend(list, value, tag) {
  const last = list[list.length - 1];
  if (last && last[1] === value - 1 && last[2] === tag) {
    last[1] = value;
  } else {
    list.push(tag === undefined ? [value, value] : [value, value, tag]);
  }
}

for (let value = 0; value <= 0x10ffff; ++value) {
  if (value >= 0xd800 && value <= 0xdfff) continue;
  const character = cp(value);
  const normalized = normalizer.normalizeString(character);
  let kind;
  if (normalized === character) kind = "same";
  else if (normalized === "") kind = "drop";
  else if (normalized === " ") kind = "space";
  else if (normalized === " " + character + " ") kind = "cjk";
  if (kind === undefined) {
    mapped.push([value, normalized]);
  } else {
    extend(runs, value, kind);
  }

  const pieces = preTokenizer.preTokenizeString("a" + character + "a").length;
  if (pieces === 2) extend(whitespace, value);
  else if (pieces === 3) extend(punctuation, value);
  else assert.equal(pieces, 1, `unexpected split of U+${value.toString(16)}`);
}

// One run or mapped value per line keeps the file reviewable in diffs.
const codepoints = { provenance, whitespace, punctuation, runs, mapped };
const body = Object.entries(codepoints)
  .map(([key, value]) => {
    if (!Array.isArray(value)) return `"${key}":${JSON.stringify(value)}`;
    return `"${key}":[\n${value.map((item) => JSON.stringify(item)).join(",\n")}\n]`;
  })
  .join(",\n");
fs.writeFileSync(path.join(here, "codepoints.json"), `{${body}}\n`);
console.log(`codepoints.json: ${runs.length} runs, ${mapped.length} mapped values`);
