"""Language of a comment: ``mr``, ``hi``, ``en`` or ``mixed``.

The rule, in the order it is applied:

1. No letters at all (only emojis, numbers): ``mr``, the corporation's reply language.
2. Count English words (a list of common English words), romanised Marathi/Hindi marker
   words (``ahe``, ``zala``, ``hai``, ``kya`` ...) and Devanagari words.
3. **mixed** when there are at least 2 English words and they are a substantial share of the
   recognised words: at least 20 % of (Devanagari + English + romanised) when the comment has
   Devanagari, at least 40 % of (English + romanised) when it is all Latin script.  A stray
   "road" or "please" in a Marathi sentence does not make it mixed.
4. Otherwise, Latin-only text without any romanised marker is ``en``.
5. Otherwise Marathi vs Hindi by marker words in either script (आहे, नाही, झाला, मध्ये,
   ``ahe``, ``zala`` vs है, नहीं, क्या, में, ``hai``, ``kya``), plus ळ (Marathi only) and
   the nukta letters ड़/ढ़ (Hindi only).  A tie goes to ``mr``: this is Pune.

Romanised Marathi or Hindi without much English is ``mr`` / ``hi``: the language, not the
script, decides how the reply should be written.
"""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import DEVANAGARI, fold_token, light_fold, script_of, tokenize

__all__ = ["LANGUAGES", "detect_language", "ENGLISH_WORDS", "is_common_word"]

LANGUAGES = ("mr", "hi", "en", "mixed")

# Devanagari markers are compared after fold_token (ी->ि, ू->ु, ळ->ल ...).
_MR_DEVA = {
    fold_token(w)
    for w in (
        "आहे आहेत नाही नाहीत आणि झाला झाली झाले झालेत झालं करा पाहिजे मध्ये कधी कुठे होते होता होती येथे इथे "
        "खूप तरी पण आम्ही आमच्या आमचा आमची आमचे तुम्ही येत जात आले आली आला करावे करावी करून केले केली केला "
        "काय कसे कशी कसा किती त्या त्यांनी असे अजून लवकर सगळा सगळे कृपया येते येतो येतात आहोत माझ्या माझा "
        "माझी तसेच त्यामुळे कोणी काही मिळत मिळाला मिळाली सुरू चालू नव्हे"
    ).split()
}
_HI_DEVA = {
    fold_token(w)
    for w in (
        "है हैं नहीं और क्या हुआ हुई हुए करो चाहिए में की के को से भी हो था थी थे रहा रही रहे गया गई गए "
        "कब कहां कहाँ क्यों कोई बहुत यहां यहाँ वहां लिए किया करें करते कैसे कितने कौन मेरा मेरी हमारे "
        "हमारा आप इस उस यह वह ने वाले वाला वाली कर दो जा जाता आ रहा पर तक ही"
    ).split()
}
_MR_ROMAN = {
    light_fold(w)
    for w in (
        "ahe aahe ahet aahet zala zali zale jhala jhali jhale zalet kara pahije madhe madhye kadhi kuthe khup "
        "ani aani hota hoti hote hotil ajun ajoon amhi amchya amcha amchi tumhi kay kasa kase kashi kiti var "
        "sathi sagla sagli lavkar honar karave karavi ghya pathva kela keli kele ghari gharat divas yetoy "
        "hotoy nahit aali aala ala ali yet la cha chi che chya pan kahi tari mule aamhi karaycha karayche "
        "karaychi hot"
    ).split()
}
_HI_ROMAN = {
    light_fold(w)
    for w in (
        "hai hain kya kab kahan kyu kyun kyon hua hui huye karo karein karen chahiye mein ki ke ko se bhi ho "
        "tha thi raha rahi rahe gaya gayi gaye koi bahut yaha yahan wala wali wale kuch nahin hamare hamara "
        "mera meri aap tak ye yeh woh kaise kitne kaun aate aata aati aayi aaya hoti hota sunta karta karte "
        "jaldi do"
    ).split()
}
# Shared by both languages: they show the text is romanised Indic but not which language.
_SHARED_ROMAN = {"nahi", "nai", "nhi", "na", "to", "hi"}

ENGLISH_WORDS = frozenset(
    (
        # the most frequent English words (function words, common verbs, adjectives, time words)
        "a about above across after again against ago all almost also always am an and another any anyone "
        "anything are around as ask asked at away back bad be became because become been before being below "
        "best better between big both bring but by call called came can can't cannot case come coming could "
        "day days did didn't do does doesn't doing don't done down during each early easy either else even "
        "ever every everyone everything everywhere far few find first for found from full further gave get "
        "gets getting give given go goes going gone good got great had has hasn't have haven't having he "
        "help her here high him his how however i if in inside into is isn't it its it's just keep kind "
        "kindly know last late later least left less let like little long look looking looks lot low made "
        "make makes making many may maybe me mean might more most much must my near need needed needs never "
        "new next nice night no nobody none nor not nothing now of off often old on once one only open or "
        "other others our out outside over own part people place please poor possible put quickly quite "
        "rather really right said same saw say says see seen send sent should show side since small so some "
        "someone something soon start started still stop such sure take taken tell than thank thanks that "
        "the their them then there these they thing things think this those though through till time times "
        "to today together told too took total tried try two under until up upon us use used using very "
        "want wanted was wasn't way we week weeks well went were what when where whether which while who "
        "whole whom whose why will with within without won't work working works would wrong yes yesterday "
        "yet you your morning evening tomorrow month months year years hour hours minutes monday tuesday "
        "wednesday thursday friday saturday sunday happy sorry dear sir madam hello hi ok okay "
        # everyday civic vocabulary
        "road roads street lane area areas locality society building house houses home flat flats office "
        "officer officers ward department city corporation municipal public government staff team service "
        "services water supply garbage waste light lights lamp pole wire tree trees branch park garden dog "
        "dogs animal animals school schools teacher teachers student students fire smoke flood rain traffic "
        "signal parking bridge project tax property bill payment paid pay online portal website app login "
        "link number complaint complaints problem problems issue issues broken dirty clean smell dangerous "
        "accident pending delay urgent illegal construction permission certificate birth death voter list "
        "election hospital doctor drainage drain sewage overflow footpath pothole encroachment shop shops "
        "market owner owners action request response reply update details contact document documents "
        "process application apply received waiting safe unsafe risk emergency help rescue warning bus car "
        "cars bike vehicle vehicles kids children women senior citizens family resident residents "
        "collection collected cleaning maintenance repair fixed damage damaged missing blocked cover main "
        "line leak tanker tap pressure level near opposite behind front corner junction station bridge "
        "river canal ground plot site"
    ).split()
)
_ENGLISH_LIGHT = frozenset(light_fold(w) for w in ENGLISH_WORDS)
_ENGLISH_FOLDED = frozenset(fold_token(w) for w in ENGLISH_WORDS if w.isalpha())
_MARKERS_FOLDED = frozenset(_MR_DEVA | _HI_DEVA | {fold_token(w) for w in _MR_ROMAN | _HI_ROMAN})

# Plural/inflected English (mosquitoes, dustbins, working): strip a common ending and retry.
_ENGLISH_ENDINGS = ("ing", "ed", "es", "s")


def _is_english(raw: str) -> bool:
    word = raw.lower()
    if word in ENGLISH_WORDS:
        return True
    for ending in _ENGLISH_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3 and word[: -len(ending)] in ENGLISH_WORDS:
            return True
    return False


def is_common_word(folded: str) -> bool:
    """True for a folded token that is an everyday English word or a Marathi/Hindi marker word.

    Fuzzy keyword matching skips these, so "later" is never read as a typo for "water".
    """
    return folded in _ENGLISH_FOLDED or folded in _MARKERS_FOLDED


# Marathi writes postpositions onto the noun (कचऱ्याचा, शाळेत); Hindi keeps them apart.
_MR_SUFFIXES = ("चा", "चि", "चे", "च्या", "मध्ये")
# The nukta and the letters made with it (ड़ ढ़ क़ ज़ फ़): Hindi only.
_HI_NUKTA_CHARS = ("\u093c", "\u095c", "\u095d", "\u0958", "\u095b", "\u095e")


@dataclass
class _Tally:
    """What ``detect_language`` counts in a comment: words by kind, and Marathi vs Hindi evidence."""

    devanagari: int = 0
    english: int = 0
    roman: int = 0  # romanised Marathi/Hindi marker words
    mr_score: float = 0.0
    hi_score: float = 0.0

    def add_devanagari(self, token: str) -> None:
        """Count a Devanagari word and its Marathi/Hindi markers."""
        self.devanagari += 1
        folded = fold_token(token)
        if folded in _MR_DEVA:
            self.mr_score += 1
        if folded in _HI_DEVA:
            self.hi_score += 1
        if len(folded) > 3 and folded.endswith(_MR_SUFFIXES) and folded[-3:-2] != "्":
            self.mr_score += 0.5

    def add_latin(self, token: str) -> None:
        """Count a Latin-script word: English, romanised Marathi or Hindi, or romanised either."""
        light = light_fold(token)
        if _is_english(token):
            self.english += 1
        elif light in _MR_ROMAN:
            self.roman += 1
            self.mr_score += 1
        elif light in _HI_ROMAN:
            self.roman += 1
            self.hi_score += 1
        elif light in _SHARED_ROMAN:
            self.roman += 1

    def add_letters(self, text: str) -> None:
        """Letters only one of the languages uses: ळ (Marathi), the nukta letters (Hindi)."""
        if "ळ" in text:
            self.mr_score += 1
        if any(ch in text for ch in _HI_NUKTA_CHARS):
            self.hi_score += 1

    def is_mixed(self) -> bool:
        """At least 2 English words that are a substantial share of the recognised words (rule 3)."""
        if self.devanagari:
            return self.english >= 2 and self.english >= 0.2 * (self.devanagari + self.english + self.roman)
        return self.english >= 2 and self.english >= 0.4 * (self.english + self.roman)


def _tally(tokens: list[str], text: str) -> _Tally:
    tally = _Tally()
    for token in tokens:
        if script_of(token) == DEVANAGARI:
            tally.add_devanagari(token)
        else:
            tally.add_latin(token)
    tally.add_letters(text)
    return tally


def detect_language(text: str) -> str:
    """Return ``mr``, ``hi``, ``en`` or ``mixed`` for a comment (rules in the module docstring)."""
    tokens = [token for token in tokenize(text) if len(token) > 1 or token in ("I", "i")]
    if not tokens:
        return "mr"
    tally = _tally(tokens, text)
    if not tally.devanagari and tally.roman == 0:
        return "en"
    if tally.is_mixed():
        return "mixed"
    return "hi" if tally.hi_score > tally.mr_score else "mr"
