#!/usr/bin/env python3
"""Generates src/Compliance.Classifiers/Text/Resources/fold-table.txt.

The service runs with InvariantGlobalization, where string.Normalize is a no-op for non-ASCII text,
so the NFKD decompositions the matcher needs are precomputed here from Python's unicodedata and
embedded. Each line maps one code point to the code points of its fold: NFKD, lower-case, combining
marks removed, then Latin look-alikes for Cyrillic/Greek/IPA letters (a hand-kept confusables list).
Only code points whose fold differs from their plain lower-case form are written.


Usage: python3 tools/text-matcher/gen_fold_table.py > src/Compliance.Classifiers/Text/Resources/fold-table.txt
"""
import sys
import unicodedata

CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "е": "e", "з": "3", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ш": "w", "щ": "w", "ъ": "b",
    "ь": "b", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h",
    "ӏ": "l", "ɡ": "g", "ѡ": "w", "ѵ": "v",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "π": "n", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters without a decomposition, IPA and small capitals
    "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "ŋ": "n",
    "ƒ": "f", "ɑ": "a", "ǝ": "e", "ɛ": "e", "ɩ": "i", "ɪ": "i", "ʀ": "r", "ɴ": "n", "ʏ": "y",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w",
    "ᴢ": "z", "ŀ": "l", "ȷ": "j", "ɾ": "r", "ɵ": "o", "ɔ": "c",
}


def fold(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch).lower()
    out = []
    for c in decomposed:
        if unicodedata.category(c).startswith("M"):
            continue
        c = unicodedata.normalize("NFKD", CONFUSABLES.get(c, c))
        out.append(c)
    return "".join(out)


def main() -> None:
    print(f"# NFKD + lower + strip marks + confusables, Unicode {unicodedata.unidata_version}; see tools/text-matcher/gen_fold_table.py")
    for cp in list(range(0x80, 0xD800)) + list(range(0xE000, 0x30000)):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat in ("Cn", "Co", "Cs"):
            continue
        folded = fold(ch)
        if folded == ch.lower() or folded == ch:
            continue
        # Outside Latin/Greek/Cyrillic only folds that land in ASCII matter (full-width, math
        # alphanumerics, circled letters); this keeps Hangul and CJK compatibility forms out.
        if cp >= 0x2000 and not any(ord(c) < 0x80 for c in folded):
            continue
        print(f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in folded)}")


if __name__ == "__main__":
    sys.exit(main())
