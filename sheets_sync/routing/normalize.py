"""Folding of Devanagari and Latin text so that spelling variants compare equal.

Citizens type the same word many ways: कचरा / कचऱ्याचा, पानी / पाणी, paani / pani,
कूड़ा / कुडा.  Keywords and comment text both go through :func:`fold_token`, so matching
happens in one folded space and a rule author never has to list every variant.

Nothing here knows about departments; :mod:`sheets_sync.routing.classify` builds on it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "DEVANAGARI",
    "LATIN",
    "fold_token",
    "fold_phrase",
    "tokenize",
    "folded_tokens",
    "script_of",
    "keyword_stems",
    "is_inflection",
    "edit_distance",
    "light_fold",
]

DEVANAGARI = "deva"
LATIN = "latn"

NUKTA = "\u093c"
VIRAMA = "\u094d"

# Devanagari letters and combining marks, but not the danda (।॥), the Devanagari digits or
# the abbreviation sign: those separate words.  ZWJ/ZWNJ stay inside a token because they
# are how the eyelash ra (ऱ्) and half forms are typed on many phones.
_TOKEN_RE = re.compile(r"[\u0900-\u0963\u0971-\u097f\ua8e0-\ua8ff\u200c\u200d]+|[A-Za-z]+")

# Vowel signs and vowels that people use interchangeably when typing fast, folded to one
# form: long/short i and u, chandrabindu/anusvara, the English-borrowing candra vowels.
_DEVA_TRANSLATE = str.maketrans(
    {
        "\u0940": "\u093f",  # ी -> ि
        "\u0942": "\u0941",  # ू -> ु
        "\u0901": "\u0902",  # ँ -> ं
        "\u0945": "\u0947",  # ॅ -> े
        "\u0949": "\u094b",  # ॉ -> ो
        "\u0946": "\u0947",  # ॆ -> े
        "\u094a": "\u094b",  # ॊ -> ो
        "\u0908": "\u0907",  # ई -> इ
        "\u090a": "\u0909",  # ऊ -> उ
        "\u090d": "\u090f",  # ऍ -> ए
        "\u0911": "\u0913",  # ऑ -> ओ
        "\u0972": "\u0905",  # ॲ -> अ
        "\u0933": "\u0932",  # ळ -> ल  (Hindi keyboards have no ळ: नल / नळ)
        "\u200c": None,
        "\u200d": None,
    }
)

# A nasal consonant with a virama before another consonant is written as an anusvara just
# as often (पम्प / पंप, गन्दा / गंदा); fold to the anusvara.
_HALF_NASAL_RE = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d(?=[\u0915-\u092e])")

# Romanisation variants, applied in order before doubled letters are collapsed.  Aspirates
# (kh, gh, dh ...) are deliberately NOT folded: "khadde" -> "kade" would collide with the
# Marathi postposition "kade"; listing both spellings in the rules is safer.
_LATIN_FOLDS = (
    ("ee", "i"),
    ("oo", "u"),
    ("chh", "ch"),
    ("ph", "f"),
    ("sh", "s"),
    ("w", "v"),
    ("z", "j"),
    ("q", "k"),
)
_REPEAT_RE = re.compile(r"(.)\1+")


def script_of(token: str) -> str:
    """Return ``"deva"`` for a Devanagari token, ``"latn"`` otherwise."""
    first = token[:1]
    if first and ("\u0900" <= first <= "\u097f" or "\ua8e0" <= first <= "\ua8ff" or first in "\u200c\u200d"):
        return DEVANAGARI
    return LATIN


@lru_cache(maxsize=65536)
def fold_token(token: str) -> str:
    """Fold one token (a word) to the form used for matching.

    Devanagari: NFC, nukta removed (ड़ -> ड, ऱ -> र), matra and vowel variants folded,
    ळ -> ल, half nasals -> anusvara.  Latin: lower-cased, common romanisation variants
    folded (ee->i, oo->u, sh->s, w->v, z->j, ph->f) and repeated letters collapsed
    (``paaani`` -> ``pani``).
    """
    if not token:
        return token
    if script_of(token) == DEVANAGARI:
        # NFD splits precomposed nukta letters (क़, ऱ, ड़) into base + nukta; drop the nukta.
        text = unicodedata.normalize("NFD", token).replace(NUKTA, "")
        text = unicodedata.normalize("NFC", text).translate(_DEVA_TRANSLATE)
        return _HALF_NASAL_RE.sub("\u0902", text)
    text = token.lower()
    for old, new in _LATIN_FOLDS:
        text = text.replace(old, new)
    return _REPEAT_RE.sub(r"\1", text)


def light_fold(token: str) -> str:
    """Lower-case and collapse repeated letters only (``Aahe`` -> ``ahe``); for marker lists."""
    return _REPEAT_RE.sub(r"\1", token.lower())


def tokenize(text: str) -> list[str]:
    """Split text into word tokens (Devanagari or Latin runs), NFC-normalised.

    Emojis, digits, punctuation, hashtags' ``#`` and mentions' ``@`` all separate words; a
    token never mixes scripts, so ``PMCचा`` gives ``PMC`` and ``चा``.
    """
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text))


def folded_tokens(text: str) -> list[str]:
    """Tokenize and fold every token of ``text``."""
    return [fold_token(token) for token in tokenize(text)]


def fold_phrase(phrase: str) -> tuple[str, ...]:
    """Fold a keyword that may have several words: ``"Property Tax"`` -> ``("property", "tax")``."""
    return tuple(folded_tokens(phrase))


# --- inflection -----------------------------------------------------------------------------
# A token is an inflected form of a keyword when it is  stem + oblique vowel + postposition,
# where the stem is the keyword with its final vowel sign dropped.  Marathi attaches
# postpositions to the noun and turns a final -ā into -yā (कचरा -> कचऱ्याचा, रस्ता ->
# रस्त्यावर, पाणी -> पाण्याची); Hindi and English mostly add plural endings (गड्ढों, potholes).
# Only listed endings count, so दिवा (lamp) does not match दिवस (day).

_DEVA_VOWEL_SIGNS = set("\u093e\u093f\u0940\u0941\u0942\u0947\u0948\u094b\u094c\u0902")
_LATIN_VOWELS = set("aeiou")

_DEVA_OBLIQUE = ["्यां", "्या", "्ये", "्यो", "ियां", "ियों", "िया", "ां", "ों", "ें", "ा", "ि", "ी", "ु", "े", "ो", "ं"]
_DEVA_POST = (
    "चा ची चे च्या चं ला ना ने नी त ात मध्ये मधे मधील मधून वर वरील वरून कडे कडून साठी पासून पर्यंत पेक्षा "
    "मुळे बाबत विषयी तील तून ही च सुद्धा"
).split()
_DEVA_EMPHASIS = ["ही", "च", "सुद्धा"]

_LATIN_OBLIQUE = ["yan", "ya", "ye", "an", "a", "e", "i", "o", "u"]
_LATIN_POST = (
    "cha chi che chya la na ne ni t at madhe madhye var kade sathi pasun s es ed ing ings er ers ly n"
).split()


def _alternation(items: list[str]) -> str:
    folded = {fold_token(item) if item[0].isalpha() else item for item in items}
    return "|".join(re.escape(item) for item in sorted(folded, key=len, reverse=True))


def _fold_sign(sign: str) -> str:
    # Vowel signs alone are not tokens fold_token recognises; fold them with the same table.
    return sign.translate(_DEVA_TRANSLATE)


_DEVA_INFLECTION_RE = re.compile(
    "(?:{})?(?:{})?(?:{})?".format(
        "|".join(re.escape(s) for s in sorted({_fold_sign(s) for s in _DEVA_OBLIQUE}, key=len, reverse=True)),
        _alternation(_DEVA_POST),
        _alternation(_DEVA_EMPHASIS),
    )
)
_LATIN_INFLECTION_RE = re.compile(
    "(?:{})?(?:{})?".format(
        "|".join(sorted(_LATIN_OBLIQUE, key=len, reverse=True)),
        _alternation(_LATIN_POST),
    )
)

MIN_STEM = {DEVANAGARI: 2, LATIN: 3}


def keyword_stems(folded_keyword: str) -> tuple[str, ...]:
    """Stems under which inflected forms of a folded single-word keyword are looked up.

    The keyword itself (``नळ`` -> ``नळाला``) and, when it ends in a vowel, the keyword
    without it (``कचरा`` -> ``कचर`` -> ``कचऱ्याचा``).  Stems shorter than
    :data:`MIN_STEM` are dropped: they would match too much.
    """
    script = script_of(folded_keyword)
    stems = [folded_keyword]
    last = folded_keyword[-1:]
    if (script == DEVANAGARI and last in _DEVA_VOWEL_SIGNS) or (script == LATIN and last in _LATIN_VOWELS):
        stems.append(folded_keyword[:-1])
    return tuple(stem for stem in stems if len(stem) >= MIN_STEM[script])


def is_inflection(remainder: str, script: str) -> bool:
    """True when ``remainder`` (what follows a stem in a token) is a known inflectional ending."""
    if not remainder:
        return False
    pattern = _DEVA_INFLECTION_RE if script == DEVANAGARI else _LATIN_INFLECTION_RE
    return pattern.fullmatch(remainder) is not None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (restricted Damerau-Levenshtein) distance, capped at ``limit + 1``.

    Stops early once every cell of a row exceeds ``limit``, which keeps fuzzy matching cheap.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)
