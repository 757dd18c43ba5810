"""A corpus of old-style letters, each with what must survive its import and what must not.

Every letter is written as its author's tools wrote it in the 2000s — Word HTML, layout
tables, ``<font>`` soup, ``<br><br>`` paragraphs, saved Subscribe.Ru archive pages — with the
A.S.Consult chrome (newsletter.yaml of the repository) around the article, and stored in
the charset it was sent in (``encoding``; ``declared`` says whether a meta tag names it).
``sentences``: every sentence of the article; ``items``: list items outside tables as
(text, number or None); ``cells``: every table cell's text (a cell's list items each on
their own); ``chrome``: strings of the chrome that must not reach the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent / "corpus"

#: chrome strings of the sample newsletter that no imported body may contain
CHROME = ("Отправляет email-рассылки", "Все выпуски", "Деловая библиотека", "Как пройти в "
          "библиотеку", "Рассылки Subscribe.Ru", "Консалтинг", "Вы получили это письмо",
          "Отписаться", "A.S.Consult: Александр Соломатин", "В избранное",
          "Академия бизнес-тренеров: школа АСов", "param.url_unsub",
          "param.issue_archive_url", "Подписан адрес", "Код этой рассылки")

_MENU_TABLE = """
<table width="100%" bgcolor="#003399"><tr>
<td><a href="https://www.asconsult.ru/"><font color=white>Главная</font></a></td>
<td><a href="https://www.asconsult.ru/about/"><font color=white>A.S.Consult</font></a></td>
<td><a href="https://www.asconsult.ru/treningi/"><font color=white>Тренинги</font></a></td>
<td><a href="https://www.asconsult.ru/e-learning/"><font color=white>E-learning</font></a></td>
<td><a href="https://www.asconsult.ru/konsalting/"><font color=white>Консалтинг</font></a></td>
<td><a href="https://www.asconsult.ru/kontakty/"><font color=white>Контакты</font></a></td>
</tr></table>"""

_SERIES_LIST = """
<b>Рассылки Subscribe.Ru</b><br>
<a href="https://www.asconsult.ru/rassylki/azbuka-prodazhnogo-menedzhera/">Азбука "продажного" менеджера: тренинг - своими силами!</a><br>
<a href="https://www.asconsult.ru/rassylki/upravlyay-ka/">Управляй-ка: e-тренинг ключевых навыков менеджера</a><br>
<a href="https://www.asconsult.ru/rassylki/akademiya-biznes-trenerov/">Академия бизнес-тренеров: школа АСов тренерского мастерства</a><br>"""

_LIBRARY = """
<p><font color="#CC0000"><b>Внимание!</b></font></p>
<p>Благодаря активности читателей рассылки,<br>начала пополняться наша &lt;&lt;Деловая Библиотека&gt;&gt;.</p>
<p>Деловая библиотека A.S.Consult - это взаимообмен любой интересной бизнес-информацией
на тему продаж, управления, личностного роста и пр.<br>
Вы можете не только скачивать материалы, но и добавлять их. Будем полезными друг другу!</p>
<p><a href="https://www.asconsult.ru/library/">Как пройти в библиотеку?</a></p>"""

_SIGNATURE = """<p><b>A.S.Consult: Александр Соломатин, Консультант</b><br>
<a href="https://www.asconsult.ru/">www.asconsult.ru</a><br>
<a href="mailto:as-consult@yandex.ru">as-consult@yandex.ru</a></p>"""

_SUBSCRIBE_FOOTER = """<table width="100%"><tr><td><font size=1>
Подписан адрес: reader@example.ru<br>
Код этой рассылки: business.asconsult.upravlyayka<br>
<a href="http://subscribe.ru/member/quick?action=unsub">Отписаться</a> |
<a href="http://subscribe.ru/member/quick?action=favorites">В избранное</a>
</font></td></tr></table>"""


@dataclass(frozen=True)
class CorpusLetter:
    name: str
    html: str
    encoding: str
    declared: bool
    sentences: tuple[str, ...]
    items: tuple[tuple[str, int | None], ...] = ()
    cells: tuple[str, ...] = ()
    chrome: tuple[str, ...] = CHROME
    date: str = "2008-04-12"  # the letter's own date where it shows one, else --date
    tags: tuple[str, ...] = ()  # Sendsay tags that must survive byte for byte
    headings: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (link text, URL)
    files: dict[str, bytes] = field(default_factory=dict)  # beside the page (page_files/)

    def data(self) -> bytes:
        return self.html.encode(self.encoding)


WORD_KOI8 = CorpusLetter(
    name="word-koi8.html", encoding="koi8_r", declared=False, date="2007-11-05",
    html="""<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head><title>Мотивация без денег</title>
<!--[if gte mso 9]><xml><o:DocumentProperties><o:Author>Соломатин</o:Author></o:DocumentProperties></xml><![endif]-->
<style><!-- p.MsoNormal {margin:0cm; font-size:12.0pt;} --></style></head>
<body lang=RU style='tab-interval:35.4pt'>
<div class=Section1>
<p class=MsoNormal><span style='font-size:9.0pt'>Выпуск N 12 от 05.11.2007<o:p></o:p></span></p>
<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:16.0pt;color:navy'>Управляй-ка: e-тренинг ключевых навыков менеджера<o:p></o:p></span></b></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal>Добрый день, уважаемые подписчики!<o:p></o:p></p>
<p class=MsoNormal>Сегодня мы поговорим о нематериальной мотивации. Это тема, которую часто недооценивают.<o:p></o:p></p>
<p class=MsoNormal><b><span style='font-size:14.0pt'>Три главных инструмента<o:p></o:p></span></b></p>
<p class=MsoNormal>Вот что работает лучше всего:<o:p></o:p></p>
<p class=MsoListParagraph style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>Признание заслуг при коллегах<o:p></o:p></p>
<p class=MsoListParagraph style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>Интересные задачи<o:p></o:p></p>
<p class=MsoListParagraph style='margin-left:72.0pt;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span style='font-family:"Courier New"'><span style='mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>Проекты на стыке отделов<o:p></o:p></p>
<p class=MsoListParagraph style='margin-left:72.0pt;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span style='font-family:"Courier New"'><span style='mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>Наставничество над новичками<o:p></o:p></p>
<p class=MsoListParagraph style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>Гибкий график<o:p></o:p></p>
<p class=MsoNormal>А порядок внедрения такой:<o:p></o:p></p>
<p class=MsoNormal style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>1.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>Опросите сотрудников<o:p></o:p></p>
<p class=MsoNormal style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>2.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>Выберите два инструмента<o:p></o:p></p>
<p class=MsoNormal style='margin-left:36.0pt;text-indent:-18.0pt;mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>3.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>Через месяц оцените результат<o:p></o:p></p>
<p class=MsoNormal><i>Помните: мотивация - это процесс, а не событие.</i> Удачи вам!<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
""" + _SIGNATURE + _SUBSCRIBE_FOOTER + """
</div></body></html>""",
    sentences=("Добрый день, уважаемые подписчики!",
               "Сегодня мы поговорим о нематериальной мотивации.",
               "Это тема, которую часто недооценивают.", "Вот что работает лучше всего:",
               "А порядок внедрения такой:", "Помните: мотивация - это процесс, а не событие.",
               "Удачи вам!"),
    items=(("Признание заслуг при коллегах", None), ("Интересные задачи", None),
           ("Проекты на стыке отделов", None), ("Наставничество над новичками", None),
           ("Гибкий график", None), ("Опросите сотрудников", 1),
           ("Выберите два инструмента", 2), ("Через месяц оцените результат", 3)),
    headings=("Три главных инструмента",),
)

LAYOUT_CP1251 = CorpusLetter(
    name="layout-cp1251.html", encoding="cp1251", declared=True, date="2009-02-16",
    html="""<HTML><HEAD>
<META http-equiv=Content-Type content="text/html; charset=windows-1251">
<TITLE>Как провести планерку за 15 минут</TITLE></HEAD>
<BODY bgColor=#ffffff leftMargin=0 topMargin=0>
<TABLE cellSpacing=0 cellPadding=0 width="100%" border=0>
<TR><TD colSpan=3><FONT face=Verdana size=1>Отправляет email-рассылки с помощью сервиса Sendsay
&nbsp;|&nbsp; <A href="[% param.issue_archive_url %]">Все выпуски</A></FONT></TD></TR>
<TR><TD colSpan=3>""" + _MENU_TABLE + """</TD></TR>
<TR>
<TD vAlign=top width=150 bgColor=#eeeeee><FONT face=Verdana size=2>""" + _SERIES_LIST + """</FONT></TD>
<TD vAlign=top width=10><IMG height=1 src="https://www.asconsult.ru/i/spacer.gif" width=10></TD>
<TD vAlign=top><FONT face=Verdana size=2>
<FONT size=1>16.02.2009</FONT><BR><BR>
[% IF anketa.base.firstName %]Здравствуйте, [% anketa.base.firstName %]![% ELSE %]Здравствуйте![% END %]<BR><BR>
Планерка &ndash; самый недооцененный инструмент руководителя. Ее можно провести за 15 минут, если соблюдать три правила.<BR><BR>
<B><FONT size="+1" color=#003399>Правило первое: стоя</FONT></B><BR><BR>
Когда все стоят, никто не тянет время. Проверено на десятках команд.<BR><BR>
<B><FONT size="+1" color=#003399>Правило второе: по кругу</FONT></B><BR>
Каждый отвечает на три вопроса: что сделал, что сделает, что мешает.<BR><BR>
<BLOCKQUOTE><I>Лучшая планерка &ndash; та, после которой все знают, что делать.</I></BLOCKQUOTE>
Подробнее читайте в <A href="https://www.asconsult.ru/articles/planerka.html">статье на сайте</A>.<BR><BR>
<IMG src="https://www.asconsult.ru/i/planerka.jpg" width=300 height=200 alt="Планерка в отделе продаж"><BR><BR>
С уважением,<BR>Александр Соломатин<BR><BR>
</FONT></TD></TR>
<TR><TD colSpan=3><HR>""" + _LIBRARY + """</TD></TR>
<TR><TD colSpan=3 align=center><FONT size=1><A href="[% param.url_unsub %]">Отписаться</A><BR>
Вы получили это письмо, потому что подписаны на рассылку «Управляй-ка: e-тренинг ключевых навыков менеджера» на сайте www.asconsult.ru.</FONT></TD></TR>
</TABLE></BODY></HTML>""",
    sentences=("Планерка – самый недооцененный инструмент руководителя.",
               "Ее можно провести за 15 минут, если соблюдать три правила.",
               "Когда все стоят, никто не тянет время.", "Проверено на десятках команд.",
               "Каждый отвечает на три вопроса: что сделал, что сделает, что мешает.",
               "Лучшая планерка – та, после которой все знают, что делать.",
               "Подробнее читайте в статье на сайте.", "С уважением,", "Александр Соломатин"),
    tags=("[% IF anketa.base.firstName %]", "[% anketa.base.firstName %]", "[% ELSE %]",
          "[% END %]"),
    headings=("Правило первое: стоя", "Правило второе: по кругу"),
    links=(("статье на сайте", "https://www.asconsult.ru/articles/planerka.html"),),
)

TABLE_LISTS = CorpusLetter(
    name="table-lists-utf8.html", encoding="utf-8", declared=True, date="2011-06-01",
    html="""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Управляй-ka - Матрица задач руководителя</title>
<meta name="date" content="2011-06-01"></head><body>
<div style="display:none">Скрытый прехедер письма</div>
<table width="640" align="center" border="0"><tr><td>
<p>Коллеги, добрый день!</p>
<p>Ниже — матрица, которую мы обсуждали на семинаре.</p>
<table border="1" cellpadding="5">
<thead><tr><th>Задача</th><th>Кто делает</th><th>Шаги</th></tr></thead>
<tbody>
<tr><td><b>Найм</b></td><td>HR и руководитель</td><td><ol><li>Профиль должности</li><li>Интервью</li><li>Испытательный срок</li></ol></td></tr>
<tr><td>Обучение</td><td><ul><li>Наставник</li><li>Тренер</li></ul></td><td><p>Вводный курс</p><p>Практика в поле | аттестация</p></td></tr>
<tr><td colspan="2">Оценка (раз в квартал)</td><td><ul><li>KPI по продажам</li><li>Отзыв клиентов<ul><li>Опрос по телефону</li></ul></li></ul></td></tr>
</tbody></table>
<p>Порядок работы с матрицей продолжает предыдущий выпуск:</p>
<ol start="3"><li>Заполните матрицу для своего отдела</li><li>Обсудите ее с командой<ol><li>На планерке</li><li>Один на один</li></ol></li><li>Повесите на стену</li></ol>
<p>Вопросы присылайте на <a href="mailto:as-consult@yandex.ru">as-consult@yandex.ru</a> — отвечу в следующем выпуске.</p>
<p>1. Это не список, а начало предложения с цифрой.</p>
</td></tr></table>
""" + _SIGNATURE + """
<p><a href="https://www.asconsult.ru/rassylki/unsubscribe/?email=x&list=upravlyay-ka">Отписаться</a></p>
</body></html>""",
    sentences=("Коллеги, добрый день!", "Ниже — матрица, которую мы обсуждали на семинаре.",
               "Порядок работы с матрицей продолжает предыдущий выпуск:",
               "Вопросы присылайте на as-consult@yandex.ru — отвечу в следующем выпуске.",
               "1. Это не список, а начало предложения с цифрой."),
    items=(("Заполните матрицу для своего отдела", 3), ("Обсудите ее с командой", 4),
           ("На планерке", 1), ("Один на один", 2), ("Повесите на стену", 5)),
    cells=("Задача", "Кто делает", "Шаги", "Найм", "HR и руководитель", "Профиль должности",
           "Интервью", "Испытательный срок", "Обучение", "Наставник", "Тренер",
           "Вводный курс", "Практика в поле | аттестация", "Оценка (раз в квартал)",
           "KPI по продажам", "Отзыв клиентов", "Опрос по телефону"),
    chrome=(*CHROME, "Скрытый прехедер"),
)

_SAVED_IMAGE = bytes.fromhex("47494638396101000100800000ffffff00000021f90401000000002c"
                             "00000000010001000002024401003b")

SUBSCRIBE_ARCHIVE = CorpusLetter(
    name="subscribe-archive-cp1251.htm", encoding="cp1251", declared=False, date="2008-04-12",
    html="""<!-- saved from url=(0062)http://subscribe.ru/archive/business.asconsult.upravlyayka/200804/12100000.html -->
<html><head><title>Управляй-ка: e-тренинг ключевых навыков менеджера - Делегирование: с чего начать - Subscribe.Ru</title></head>
<body>
<table width="100%"><tr><td><a href="http://subscribe.ru/"><img src="page_files/logo.gif" alt=""></a></td>
<td><font size=2>Рассылки Subscribe.Ru</font></td></tr></table>
<table width="100%" cellpadding=10><tr><td>
<font face="Arial" size="2">
<b>Выпуск № 45 от 12.04.2008</b><br><br>
<font size="4"><b>Делегирование: с чего начать</b></font><br><br>
Многие руководители боятся делегировать. Причина проста: кажется, что быстрее сделать самому.<br><br>
Начните с малого &mdash; передайте одну повторяющуюся задачу.<br><br>
<img src="page_files/schema.gif" alt="Схема делегирования" width="400" height="300"><br><br>
Ошибки, которых стоит избегать:<br>
<ul type=square><li>Делегировать без сроков</li><li>Забирать задачу обратно</li></ul>
Хорошей недели!<br>
</font>
</td></tr></table>
""" + _SUBSCRIBE_FOOTER + """
</body></html>""",
    sentences=("Многие руководители боятся делегировать.",
               "Причина проста: кажется, что быстрее сделать самому.",
               "Начните с малого — передайте одну повторяющуюся задачу.",
               "Ошибки, которых стоит избегать:", "Хорошей недели!"),
    items=(("Делегировать без сроков", None), ("Забирать задачу обратно", None)),
    headings=("Делегирование: с чего начать",),
    chrome=(*CHROME, "Выпуск № 45"),
    files={"page_files/schema.gif": _SAVED_IMAGE, "page_files/logo.gif": _SAVED_IMAGE},
)

BR_SOUP = CorpusLetter(
    name="br-soup-cp1251.html", encoding="cp1251", declared=True, date="2006-09-18",
    html="""<html><head><meta http-equiv="content-type" content="text/html; charset=windows-1251">
<title>Азбука "продажного" менеджера: тренинг - своими силами!</title></head>
<body><font face="Times New Roman">
A.S.Consult: Александр Соломатин<br>
Азбука "продажного" менеджера: тренинг - своими силами!<br>
<br>
<h1>Возражение «дорого»</h1>
Здравствуйте!<br>
<br>
&nbsp;&nbsp;&nbsp;Самое частое возражение &ndash; &laquo;дорого&raquo;. Ответ на него начинается с вопроса: &laquo;по сравнению с чем?&raquo;<br>
<br>
<font size=5><b>Три ответа на «дорого»</b></font><br>
<br>
<b>Первый:</b> сравните с ценой ошибки.<br>
<i>Второй:</i> разложите цену на срок службы.<br>
Третий: покажите, что входит в цену.<br>
<br>
<p>&nbsp;</p>
Пишите, как вы отвечаете на это возражение &ndash; лучшие ответы опубликую 25 сентября.<br>
<br>
""" + _SERIES_LIST + "<br>" + _LIBRARY + """
</font></body></html>""",
    sentences=("Здравствуйте!", "Самое частое возражение – «дорого».",
               "Ответ на него начинается с вопроса: «по сравнению с чем?»",
               "Первый: сравните с ценой ошибки.", "Второй: разложите цену на срок службы.",
               "Третий: покажите, что входит в цену.",
               "Пишите, как вы отвечаете на это возражение – лучшие ответы опубликую 25 "
               "сентября."),
    headings=("Возражение «дорого»", "Три ответа на «дорого»"),
)

SENDSAY_MODERN = CorpusLetter(
    name="sendsay-modern.html", encoding="utf-8", declared=True, date="2015-03-10",
    html="""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Весенний набор</title></head>
<body style="margin:0">
<div style="display:none;max-height:0;overflow:hidden">Набор на весенний тренинг открыт</div>
<table role="presentation" width="100%"><tr><td align="center">
<table role="presentation" width="600"><tr><td style="font-size:11px;color:#999">
<a href="[% param.issue_archive_url %]">Веб-версия</a></td></tr>
<tr><td><h2 style="color:#039">Весенний набор на тренинг</h2>
<p>[% anketa.base.firstName | ucfirst %], добрый день!</p>
<p>Открываем набор на тренинг «Переговоры с закупщиком». Мест — 12.</p>
<p><strong>Когда:</strong> 14–15 апреля. <em>Где:</em> Москва, м. Белорусская.</p>
<p><a href="https://www.asconsult.ru/treningi/peregovory/?utm_source=sendsay">Записаться на тренинг</a></p>
<p><img src="https://www.asconsult.ru/i/trening.png" alt="Участники тренинга" width="560"></p>
<p>Ваш адрес: [% anketa.member.email %]</p>
</td></tr>
<tr><td style="font-size:11px">""" + _SIGNATURE + """
<p><a href="[% param.url_unsub %]">Отписаться от рассылки</a></p></td></tr>
</table></td></tr></table>
<img src="https://sendsay.ru/open/[% param.issue.id %].gif" width="1" height="1" alt="">
</body></html>""",
    sentences=("добрый день!", "Открываем набор на тренинг «Переговоры с закупщиком».",
               "Мест — 12.", "Когда: 14–15 апреля.", "Где: Москва, м. Белорусская.",
               "Записаться на тренинг", "Ваш адрес:"),
    tags=("[% anketa.base.firstName | ucfirst %]", "[% anketa.member.email %]"),
    headings=("Весенний набор на тренинг",),
    links=(("Записаться на тренинг",
            "https://www.asconsult.ru/treningi/peregovory/?utm_source=sendsay"),),
    chrome=(*CHROME, "Веб-версия", "Набор на весенний тренинг открыт"),
)

SALES_STAGE = CorpusLetter(
    name="sales-stage.html", encoding="utf-8", declared=True, date="2010-04-12",
    html=(HERE / "sales-stage.html").read_text(encoding="utf-8"),
    sentences=(),  # checked against the seed and the shipped sample in test_sample.py
)

LETTERS = (WORD_KOI8, LAYOUT_CP1251, TABLE_LISTS, SUBSCRIBE_ARCHIVE, BR_SOUP, SENDSAY_MODERN)
