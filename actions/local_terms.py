"""Amounts and dates as Spanish and Chinese debtors write them: number words ("quinientos", "五百块"),
weekdays and relative days ("el viernes", "下周五", "fin de mes", "月底"), and dates ("15 de marzo", "3月15日").

English and digits are left to actions/payment_terms.py; these run first and answer None when they find nothing.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional, Tuple

from dateutil.relativedelta import relativedelta

# --- Chinese numbers -----------------------------------------------------------------------------------

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMBER = re.compile(r"[零〇一二两兩三四五六七八九十百千万萬\d.,]+")
CN_MONEY = re.compile(r"([零〇一二两兩三四五六七八九十百千万萬\d][零〇一二两兩三四五六七八九十百千万萬\d.,]*)\s*"
                      r"(块钱|块|塊|元|圆|美元|美金|英镑|欧元|港元|刀|镑)")


def chinese_number(text: str) -> Optional[Decimal]:
    """'五百' -> 500, '一千二百五十' -> 1250, '两千五' -> 2500, '1,250.5' -> 1250.5, '3万' -> 30000."""
    text = text.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    mixed = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万萬])", text)
    if mixed:
        return Decimal(mixed.group(1)) * {**CN_UNITS, "万": 10000, "萬": 10000}[mixed.group(2)]
    total, section, digit, last_unit = 0, 0, None, 1
    for char in text:
        if char in CN_DIGITS:
            digit = CN_DIGITS[char]
        elif char in CN_UNITS:
            section += (1 if digit is None else digit) * CN_UNITS[char]
            last_unit, digit = CN_UNITS[char], None
        elif char in "万萬":
            total += (section + (digit or 0)) * 10000
            section, digit, last_unit = 0, None, 10000
        else:
            return None
    if digit is not None:  # "两千五" is 2500: a trailing digit counts one unit below the last
        section += digit * (last_unit // 10 if last_unit >= 100 and not text.endswith(("零", "〇")) else 1)
    value = total + section
    return Decimal(value) if value else None


# --- Spanish numbers -----------------------------------------------------------------------------------

ES_UNITS = {"cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
            "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
            "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18,
            "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiún": 21, "veintidós": 22, "veintidos": 22,
            "veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26,
            "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30,
            "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
            "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
            "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500,
            "seiscientos": 600, "seiscientas": 600, "setecientos": 700, "setecientas": 700,
            "ochocientos": 800, "ochocientas": 800, "novecientos": 900, "novecientas": 900}
ES_WORD = "|".join(sorted(ES_UNITS, key=len, reverse=True))
ES_NUMBER = re.compile(rf"\b(?:(?:{ES_WORD}|mil|y)\s+)*(?:{ES_WORD}|mil)\b", re.I)
ES_CURRENCY = r"(?:euros?|dólares?|dolares?|pesos?|libras?|€|\$|usd|eur|gbp|lucas|pavos|bolas)"
ES_MONEY = re.compile(rf"(?:{ES_CURRENCY}\s*)?(\d[\d.,]*|(?:(?:{ES_WORD}|mil|y)\s+)*(?:{ES_WORD}|mil))"
                      rf"\s*(?:{ES_CURRENCY})", re.I)


def spanish_number(text: str) -> Optional[Decimal]:
    """'quinientos' -> 500, 'mil doscientos cincuenta' -> 1250, 'dos mil' -> 2000, '1.250,50' -> 1250.50."""
    text = text.strip().lower()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?", text):
        return Decimal(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+(?:\.\d{1,2})?", text):
        return Decimal(text)
    total, current = 0, 0
    for word in text.split():
        if word == "y":
            continue
        if word == "mil":
            total += (current or 1) * 1000
            current = 0
        elif word in ES_UNITS:
            current += ES_UNITS[word]
        else:
            return None
    value = total + current
    return Decimal(value) if value else None


def local_amount(text: str) -> Optional[Decimal]:
    """An amount written the Chinese or Spanish way, or None."""
    if not text:
        return None
    found = CN_MONEY.search(text)
    if found:
        value = chinese_number(found.group(1))
        if value:
            return value.quantize(Decimal("0.01"))
    found = ES_MONEY.search(text)
    if found:
        value = spanish_number(found.group(1))
        if value:
            return value.quantize(Decimal("0.01"))
    words = ES_NUMBER.search(text)
    if words and not re.search(r"\b(?:mes|meses|semanas?|días?|dias?|cuotas?|plazos?|pagos?)\b",
                               text[words.end():words.end() + 12], re.I):
        value = spanish_number(words.group(0))
        if value and value >= 20:
            return value.quantize(Decimal("0.01"))
    for number in CN_NUMBER.finditer(text):
        if re.search(r"[百千万萬]", number.group(0)) and not re.match(r"\s*(?:个月|期|天|号|日|月)",
                                                                    text[number.end():]):
            value = chinese_number(number.group(0))
            if value:
                return value.quantize(Decimal("0.01"))
    return None


def local_months(text: str) -> Optional[int]:
    """'en 3 meses', 'seis cuotas', '分6期', '三个月' -> a whole number of months."""
    if not text:
        return None
    found = re.search(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:个月|個月|期)", text)
    if found:
        value = chinese_number(found.group(1))
        return int(value) if value else None
    found = re.search(rf"\b(\d{{1,2}}|{ES_WORD})\s+(?:meses|mes|cuotas?|plazos?|pagos|mensualidades)\b", text, re.I)
    if found:
        value = spanish_number(found.group(1))
        return int(value) if value else None
    return None


# --- dates -----------------------------------------------------------------------------------------------

ES_WEEKDAYS = {"lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4,
               "sábado": 5, "sabado": 5, "domingo": 6}
ES_MONTHS = {m: i for i, m in enumerate(["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                                         "septiembre", "octubre", "noviembre", "diciembre"], start=1)}
ES_MONTHS["setiembre"] = 9
CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _next_weekday(today: date, weekday: int, skip_week: bool = False) -> date:
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days + (7 if skip_week else 0))


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _future(today: date, month: int, day: int, year: Optional[int] = None) -> Optional[date]:
    for candidate_year in ([year] if year else [today.year, today.year + 1]):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _day_of_month(today: date, day: int) -> Optional[date]:
    for offset in (0, 1, 2):
        start = today.replace(day=1) + relativedelta(months=offset)
        if day <= calendar.monthrange(start.year, start.month)[1] and start.replace(day=day) >= today:
            return start.replace(day=day)
    return None


def chinese_full_date(text: str) -> Optional[Tuple[int, int, int]]:
    """'1980年4月12日' / '1980年4月12号' -> (1980, 4, 12)."""
    found = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?", text or "")
    return (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else None


def local_date(text: str, today: date) -> Optional[date]:
    """A payment date written the Chinese or Spanish way, never before ``today``; None when there is none."""
    if not text:
        return None
    lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
    return _chinese_date(lowered, today) or _spanish_date(lowered, today)


def _chinese_date(text: str, today: date) -> Optional[date]:
    full = chinese_full_date(text)
    if full:
        return _future(today, full[1], full[2], full[0])
    found = re.search(r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号號]", text)
    if found:
        return _future(today, int(chinese_number(found.group(1)) or 0), int(chinese_number(found.group(2)) or 0))
    if re.search(r"今天|今日|马上|立刻|现在", text):
        return today
    if re.search(r"大后天", text):
        return today + timedelta(days=3)
    if re.search(r"后天|後天", text):
        return today + timedelta(days=2)
    if re.search(r"明天|明日", text):
        return today + timedelta(days=1)
    weekday = re.search(r"(下下|下个?|这个?|本)?\s*(?:周|星期|礼拜|禮拜)([一二三四五六日天])", text)
    if weekday:
        target = CN_WEEKDAYS[weekday.group(2)]
        prefix = weekday.group(1) or ""
        if prefix.startswith("下下"):
            return _next_weekday(today, target) + timedelta(days=14 if target > today.weekday() else 7)
        if prefix.startswith("下"):
            monday = today + timedelta(days=7 - today.weekday())
            return monday + timedelta(days=target)
        return _next_weekday(today, target)
    if re.search(r"下个?月底|下月底", text):
        return _end_of_month(today + relativedelta(months=1))
    if re.search(r"月底|月末", text):
        return _end_of_month(today)
    if re.search(r"下个?月初|下月初", text):
        return today.replace(day=1) + relativedelta(months=1)
    if re.search(r"下(个)?(周|星期|礼拜)", text):
        return today + timedelta(days=7)
    counted = re.search(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(天|周|个星期|个月)(?:以?后|之后|内)", text)
    if counted:
        count = int(chinese_number(counted.group(1)) or 0)
        unit = counted.group(2)
        return today + (timedelta(days=count) if unit == "天" else timedelta(weeks=count) if unit != "个月"
                        else relativedelta(months=count))
    day = re.search(r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[号號](?!码)", text)
    if day:
        value = int(chinese_number(day.group(1)) or 0)
        return _day_of_month(today, value) if 1 <= value <= 31 else None
    return None


def _spanish_date(text: str, today: date) -> Optional[date]:
    months = "|".join(ES_MONTHS)
    found = re.search(rf"\b(\d{{1,2}})\s+de\s+({months})(?:\s+(?:de|del)\s+(\d{{4}}))?\b", text)
    if found:
        return _future(today, ES_MONTHS[found.group(2)], int(found.group(1)),
                       int(found.group(3)) if found.group(3) else None)
    if re.search(r"\b(hoy|ahora mismo|ahorita|ya mismo|en este momento)\b", text):
        return today
    if re.search(r"\bpasado\s+mañana\b", text):
        return today + timedelta(days=2)
    if re.search(r"\b(mañana|manana)\b", text) and not re.search(r"\b(esta|por la|de la)\s+mañana\b", text):
        return today + timedelta(days=1)
    weekday = re.search(r"\b(" + "|".join(ES_WEEKDAYS) + r")\b(\s+(?:que viene|de la (?:semana )?(?:que viene|"
                        r"próxima|proxima)))?", text)
    if weekday:
        following = bool(weekday.group(2)) or bool(re.search(r"\b(?:próximo|proximo)\s+" + weekday.group(1), text))
        target = ES_WEEKDAYS[weekday.group(1)]
        if following and re.search(r"semana", weekday.group(2) or ""):
            return today + timedelta(days=7 - today.weekday() + target)
        return _next_weekday(today, target)
    if re.search(r"\bfin(al)? de(l)? (?:próximo |proximo )?mes que viene\b|\bfin(al)? del? (?:próximo|proximo) mes\b",
                 text):
        return _end_of_month(today + relativedelta(months=1))
    if re.search(r"\bfin(al)? de(l)? mes\b|\bfinales de mes\b", text):
        return _end_of_month(today)
    if re.search(r"\b(principios|inicio|comienzos) del? (?:próximo|proximo|siguiente) mes\b|\b(principios|inicio) "
                 r"del mes que viene\b", text):
        return today.replace(day=1) + relativedelta(months=1)
    if re.search(r"\b(la semana que viene|la (?:próxima|proxima) semana)\b", text):
        return today + timedelta(days=7)
    counted = re.search(rf"\ben\s+(\d{{1,2}}|{ES_WORD})\s+(días|dias|semanas?|mes(?:es)?)\b", text)
    if counted:
        count = int(spanish_number(counted.group(1)) or 0)
        unit = counted.group(2)
        return today + (timedelta(days=count) if unit.startswith("d") else timedelta(weeks=count)
                        if unit.startswith("s") else relativedelta(months=count))
    day = re.search(r"\bel(?: día| dia)?\s+(\d{1,2})\b(?!\s*(?:de|/|\.|-)\s*\w)", text)
    if day and 1 <= int(day.group(1)) <= 31:
        return _day_of_month(today, int(day.group(1)))
    return None
