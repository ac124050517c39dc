"""Reply text without the quoted history and the signature, for display.

The whole text stays on the message; this only decides what an agent sees first.
Lines are read top to bottom: a reply header ("On ... wrote:") followed by quoted
lines removes just that quote (so bottom-posted replies survive); a header block of
the original ("From: ... Sent: ...", "-----Original Message-----") ends the reply.
"""

import re

_WROTE = re.compile(
    r"(?:^|[\s,，،>])(wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|"
    r"schreef|escreveu|"
    r"skrev|napisał|написал\(а\)|написал|написала|kirjoitti|yazdı|έγραψε|"
    r"كتب|写道|寫道|書きました|작성)(?:\s*[:：]?\s*$|\s.*[:：]\s*$)",
    re.IGNORECASE,
)
_WROTE_START = re.compile(
    r"^\s*(-+\s*)?(On|Am|Le|El|Il|Op|Em|Den|Dne|W dniu|В|Στις|في|於|在|\d)",
    re.IGNORECASE,
)
# "Thu, 26 Jun 2014 14:00:51 +0400 от Alexander L <abc@example.com>:" (mail.ru).
_DATE_FROM = re.compile(r"^.{0,60}\d{1,2}:\d{2}.{0,20}\s(от|from|de|von)\s.{0,80}@.{0,60}[:：]\s*$")
_SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*("
    r"original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|"
    r"message d'origine|message transféré|mensaje original|mensaje reenviado|"
    r"messaggio originale|messaggio inoltrato|oorspronkelijk bericht|doorgestuurd bericht|"
    r"mensagem original|mensagem encaminhada|исходное сообщение|пересылаемое сообщение|"
    r"původní zpráva|oryginalna wiadomość|alkuperäinen viesti|原始邮件|原始郵件|转发的邮件|"
    r"الرسالة الأصلية|رسالة معاد توجيهها|reply above this line"
    r")\s*[-_=*]*\s*$",
    re.IGNORECASE,
)
_BEGIN_FORWARD = re.compile(r"^\s*(begin forwarded message|anfang der weitergeleiteten)", re.I)
_RULE = re.compile(r"^\s*[-_]{20,}\s*$")
_FIELD = r"\s*\**\s*[:：]"
_FROM_FIELD = re.compile(
    r"^\s*\**\s*(from|von|de|van|da|от|od|från|fra|mittente|发件人|寄件者|寄件人|差出人|من)"
    + _FIELD,
    re.IGNORECASE,
)
_OTHER_FIELD = re.compile(
    r"^\s*\**\s*(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|objet|à|date|"
    r"enviado|fecha|para|asunto|inviato|oggetto|a|verzonden|aan|onderwerp|отправлено|дата|"
    r"кому|тема|发送时间|发件时间|日期|收件人|主题|抄送|寄件日期|收件者|主旨|送信日時|宛先|件名|"
    r"أرسل|أرسلت|التاريخ|إلى|الموضوع|نسخة)" + _FIELD,
    re.IGNORECASE,
)
_QUOTE = re.compile(r"^\s*>")
_SENT_FROM = re.compile(
    r"^\s*(sent from my|sent from mail for|sent from outlook|sent from yahoo|sent with|"
    r"sent via|sent from samsung|get outlook for|envoyé de mon|envoyé depuis|"
    r"von meinem .* gesendet|gesendet von meinem|enviado desde mi|enviado do meu|inviato da|"
    r"verzonden vanaf|verstuurd vanaf|отправлено с|发自我的|从我的|從我的|送信元|"
    r"أرسلت من|مرسل من)",
    re.IGNORECASE,
)
_SIGNATURE_MAX_LINES = 12


def _is_header_block(lines: list[str], start: int) -> bool:
    """Header fields of the original (From plus Sent/Date/To/Subject, in any order)
    start the quoted history."""
    if not (_FROM_FIELD.match(lines[start]) or _OTHER_FIELD.match(lines[start])):
        return False
    has_from = False
    fields = 0
    for line in lines[start : start + 7]:
        if _FROM_FIELD.match(line):
            has_from = True
            fields += 1
        elif _OTHER_FIELD.match(line):
            fields += 1
    after_rule = start > 0 and _RULE.match(lines[start - 1]) is not None
    return has_from and (fields >= 3 or (fields >= 2 and after_rule))


def _reply_header_end(lines: list[str], start: int) -> int:
    """Index after an "On <date>, <name> wrote:" header (it may wrap over 3 lines), or -1."""
    line = lines[start]
    if _DATE_FROM.match(line.strip()):
        return start + 1
    if not _WROTE_START.match(line) and not _WROTE.search(line):
        return -1
    joined = ""
    for end in range(start, min(start + 3, len(lines))):
        joined = (joined + " " + lines[end].strip()).strip()
        if len(joined) > 300:
            return -1
        if _WROTE.search(joined) and (_WROTE_START.match(joined) or len(joined) < 200):
            return end + 1
        if not lines[end].strip():
            return -1
    return -1


def _next_content(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _strip_quotes(lines: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SEPARATOR.match(line) or _BEGIN_FORWARD.match(line) or _is_header_block(lines, i):
            break
        if _RULE.match(line):
            following = _next_content(lines, i + 1)
            if following < len(lines) and _is_header_block(lines, following):
                break
        if _QUOTE.match(line):
            while i < len(lines) and (_QUOTE.match(lines[i]) or not lines[i].strip()):
                i += 1
            continue
        header_end = _reply_header_end(lines, i)
        if header_end > 0:
            following = _next_content(lines, header_end)
            if following < len(lines) and _QUOTE.match(lines[following]):
                i = following
                continue
            break  # unquoted history (Yahoo, HTML turned to text): all of it goes
        kept.append(line)
        i += 1
    return kept


def _strip_signature(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    if not content:
        return lines
    for i in content[-_SIGNATURE_MAX_LINES:]:
        if lines[i].rstrip() in {"--", "-- ", "—", "__"} and i > content[0]:
            return lines[:i]
    # Mobile and app footers sit on the last lines.
    for i in content[-2:]:
        if _SENT_FROM.match(lines[i]) and i > content[0]:
            return lines[:i]
    return lines


def strip_reply(text: str, *, keep_signature: bool = False) -> str:
    """The new text of a reply: quoted history removed and, unless keep_signature,
    the signature too. Returns the text unchanged when nothing would be left."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = _strip_quotes(lines)
    if not keep_signature:
        kept = _strip_signature(kept)
    result = "\n".join(kept).strip()
    return result if result else text.strip()
