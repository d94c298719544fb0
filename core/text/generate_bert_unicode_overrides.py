#!/usr/bin/env python3
"""Writes bert_unicode_overrides.inc: where Hugging Face's BertNormalizer and
BertPreTokenizer treat a code point differently from what utf8proc's Unicode
data gives.

Usage (from the repository root, after tests/data/tokenizer/generate.mjs):
    python3 core/text/generate_bert_unicode_overrides.py

Inputs: tests/data/tokenizer/codepoints.json (the real library's behaviour for
every scalar value) and the system's libutf8proc, loaded through ctypes. The
rules below mirror NormalizeCodePoint, IsWhitespace and IsPunctuation in
bert_unicode.cc without overrides. Each disagreement becomes one entry of one
of these kinds:
  kOrdinary        Hugging Face keeps the code point as it is: no decomposition,
                   not a control character, mark or punctuation; an entry may
                   also carry the lowercase mapping that Hugging Face applies.
  kNonspacingMark  Hugging Face drops it as a nonspacing mark (Mn).
  kControl         Hugging Face drops it as a control character.
  kPunctuation     Hugging Face isolates it as punctuation.
Any other kind of disagreement stops the script: it needs a new rule.
"""

import ctypes
import ctypes.util
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests/data/tokenizer/codepoints.json"
OUTPUT = pathlib.Path(__file__).resolve().parent / "bert_unicode_overrides.inc"

CATEGORY_MN, CATEGORY_MC, CATEGORY_ME = 6, 7, 8
CATEGORY_PC, CATEGORY_PO = 12, 18
CATEGORY_ZS, CATEGORY_ZL, CATEGORY_ZP = 23, 24, 25
CATEGORY_CC, CATEGORY_CF, CATEGORY_CS, CATEGORY_CO = 26, 27, 28, 29
DECOMPOSE = 1 << 4

CJK_RANGES = [
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
]


def load_utf8proc():
    path = ctypes.util.find_library("utf8proc")
    if path is None:
        sys.exit("libutf8proc not found; install libutf8proc-dev")
    library = ctypes.CDLL(path)
    library.utf8proc_category.argtypes = [ctypes.c_int32]
    library.utf8proc_category.restype = ctypes.c_int
    library.utf8proc_tolower.argtypes = [ctypes.c_int32]
    library.utf8proc_tolower.restype = ctypes.c_int32
    library.utf8proc_decompose_char.argtypes = [
        ctypes.c_int32, ctypes.POINTER(ctypes.c_int32), ctypes.c_ssize_t, ctypes.c_int,
        ctypes.POINTER(ctypes.c_int)]
    library.utf8proc_decompose_char.restype = ctypes.c_ssize_t
    library.utf8proc_unicode_version.restype = ctypes.c_char_p
    library.utf8proc_version.restype = ctypes.c_char_p
    return library


class Utf8procModel:
    """The tokenizer's character rules on utf8proc data, without overrides."""

    def __init__(self, library):
        self.library = library
        self.buffer = (ctypes.c_int32 * 16)()
        self.boundclass = ctypes.c_int(0)

    def category(self, c):
        return self.library.utf8proc_category(c)

    def is_whitespace(self, c):
        return 9 <= c <= 13 or c == 0x85 or self.category(c) in (CATEGORY_ZS, CATEGORY_ZL, CATEGORY_ZP)

    def is_punctuation(self, c):
        if c < 0x80:
            return chr(c) in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        return CATEGORY_PC <= self.category(c) <= CATEGORY_PO

    def normalize(self, c):
        if c in (0, 0xFFFD):
            return ""
        if c not in (9, 10, 13) and self.category(c) in (CATEGORY_CC, CATEGORY_CF, CATEGORY_CS, CATEGORY_CO):
            return ""
        if self.is_whitespace(c):
            return " "
        self.boundclass.value = 0
        length = self.library.utf8proc_decompose_char(c, self.buffer, 16, DECOMPOSE, ctypes.byref(self.boundclass))
        assert 0 < length <= 16
        chars = [self.buffer[i] for i in range(length)]
        text = "".join(chr(self.library.utf8proc_tolower(d)) for d in chars if self.category(d) != CATEGORY_MN)
        if any(low <= c <= high for low, high in CJK_RANGES):
            return " " + text + " "
        return text


def load_fixture():
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    normalized = {}
    for first, last, kind in fixture["runs"]:
        for c in range(first, last + 1):
            normalized[c] = {"same": chr(c), "drop": "", "space": " ", "cjk": " " + chr(c) + " "}[kind]
    for c, text in fixture["mapped"]:
        normalized[c] = text
    whitespace = {c for first, last in fixture["whitespace"] for c in range(first, last + 1)}
    punctuation = {c for first, last in fixture["punctuation"] for c in range(first, last + 1)}
    return fixture["provenance"], normalized, whitespace, punctuation


def classify(c, model, hf_text, hf_whitespace, hf_punctuation):
    """Returns (kind, lowercase) for C, or None when the rules agree."""
    our_text = model.normalize(c)
    our_punctuation = model.is_punctuation(c)
    if hf_whitespace != model.is_whitespace(c):
        sys.exit(f"U+{c:04X}: whitespace differs; add a rule")
    if hf_text == our_text and hf_punctuation == our_punctuation:
        return None
    if hf_punctuation and hf_text == chr(c):
        return ("kPunctuation", 0)
    if hf_text == "" and our_text != "":
        category = model.category(c)
        return ("kNonspacingMark" if CATEGORY_MN <= category <= CATEGORY_ME else "kControl", 0)
    if not hf_punctuation and hf_text == chr(c):
        return ("kOrdinary", 0)
    if not hf_punctuation and len(hf_text) == 1 and our_text == chr(c):
        return ("kOrdinary", ord(hf_text))
    sys.exit(f"U+{c:04X}: Hugging Face gives {hf_text!r}, utf8proc rules give {our_text!r}; add a rule")


def main():
    library = load_utf8proc()
    model = Utf8procModel(library)
    provenance, normalized, whitespace, punctuation = load_fixture()

    entries = []  # [first, last, kind, lowercase]
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        result = classify(c, model, normalized[c], c in whitespace, c in punctuation)
        if result is None:
            continue
        kind, lowercase = result
        last = entries[-1] if entries else None
        if last and last[1] == c - 1 and last[2] == kind and lowercase == 0 and last[3] == 0:
            last[1] = c
        else:
            entries.append([c, c, kind, lowercase])

    unicode_version = library.utf8proc_unicode_version().decode()
    lines = [
        "// Generated by core/text/generate_bert_unicode_overrides.py; do not edit.",
        f"// Reference: {provenance['library']}, tests/data/tokenizer/codepoints.json",
        f"// generated {provenance['generated']}; utf8proc "
        f"{library.utf8proc_version().decode()} (Unicode {unicode_version}).",
        "// Each entry: first, last, kind, lowercase mapping (0: none).",
        f'#define SYNESTHESIA_BERT_OVERRIDES_UNICODE_VERSION "{unicode_version}"',
    ]
    for first, last, kind, lowercase in entries:
        lines.append(f"{{0x{first:05X}, 0x{last:05X}, OverrideKind::{kind}, 0x{lowercase:05X}}},")
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(ROOT)}: {len(entries)} entries")


if __name__ == "__main__":
    main()
