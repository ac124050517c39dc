"""Load N realistic tickets into a Deskline database, for benchmarks.

The database is chosen exactly as the app chooses it: DATABASE_URL for PostgreSQL,
else SQLite under DESKLINE_DATA_DIR. The script migrates, creates desks, teams,
agents, requesters, organizations, categories and tags through the ORM, then
bulk-loads tickets with their first message, a "created" event and some tags
(SQLite: executemany in one transaction; PostgreSQL: COPY). Secondary indexes and,
on PostgreSQL, foreign keys of the loaded tables are dropped during the load and
recreated from their saved definitions afterwards, as pg_restore does.

    DESKLINE_DATA_DIR=/tmp/dl-sqlite-1m .venv/bin/python bench/generate.py --tickets 1000000
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench \\
        .venv/bin/python bench/generate.py --tickets 1000000

The database must not hold desks or tickets yet (use a fresh data dir or database).
"""

import argparse
import bisect
import html
import itertools
import json
import os
import random
import sys
import time
from datetime import UTC, datetime

LOADED_TABLES = ("tickets_ticket", "tickets_message", "tickets_ticketevent", "tickets_tickettag")
DAY = 86400.0
HOUR = 3600.0
SPAN_DAYS = 730
CHUNK = 20_000

# --- Reference data -----------------------------------------------------------------

# fmt: off
# (name, slug, prefix, visibility, share of tickets)
DESKS = [
    ("IT", "it", "IT", "internal", 0.45),
    ("Support", "support", "SUP", "external", 0.40),
    ("HR", "hr", "HR", "internal", 0.15),
]
# desk prefix -> [(team name, slug, tier)]
TEAMS = {
    "IT": [
        ("Service desk", "service-desk", 1),
        ("Network", "network", 2),
        ("Infrastructure", "infrastructure", 2),
        ("Business applications", "business-apps", 2),
        ("Security", "security", 3),
    ],
    "SUP": [
        ("Front line", "front-line", 1),
        ("Billing", "billing", 1),
        ("Technical support", "technical", 2),
        ("Escalations", "escalations", 3),
    ],
    "HR": [
        ("People operations", "people-ops", 1),
        ("Payroll", "payroll", 2),
        ("Recruiting", "recruiting", 1),
    ],
}
# desk prefix -> number of agents (200 in all)
AGENTS_PER_DESK = {"IT": 90, "SUP": 80, "HR": 30}

# Topics: (category path, weight, {language: (subjects, body)}).
TOPICS = {
    "IT": [
        ("hardware/laptop", 8, {
            "en": (["Laptop {device} will not boot", "Screen flickering on my {device}",
                    "{device} battery drains in an hour"],
                   "Hi,\n\nMy {device} shows a black screen after the logo since this "
                   "morning. I tried a hard reset and another charger.\n\nAsset tag: "
                   "LT-{n}\n\nThanks"),
            "ar": (["الحاسوب المحمول {device} لا يعمل", "وميض في شاشة جهازي {device}"],
                   "مرحباً،\n\nجهازي {device} يعرض شاشة سوداء بعد الشعار منذ صباح اليوم. "
                   "جربت إعادة التشغيل وشاحناً آخر.\n\nرقم الأصل: LT-{n}\n\nشكراً"),
            "zh": (["笔记本电脑 {device} 无法开机", "我的 {device} 屏幕闪烁"],
                   "你好，\n\n我的 {device} 从今天早上开始开机后只显示黑屏。"
                   "我已经尝试了强制重启，也换了充电器。\n\n资产编号：LT-{n}\n\n谢谢"),
        }),
        ("hardware/printer", 4, {
            "en": (["Printer on floor {floor} is jammed", "Cannot print to {printer}"],
                   "Hello,\n\nThe printer {printer} on floor {floor} shows a paper jam "
                   "but there is no paper stuck inside.\n\nRegards"),
            "ar": (["الطابعة في الطابق {floor} عالقة", "لا أستطيع الطباعة على {printer}"],
                   "مرحباً،\n\nالطابعة {printer} في الطابق {floor} تعرض انحشار ورق "
                   "ولكن لا يوجد ورق عالق بداخلها.\n\nمع التحية"),
            "zh": (["{floor} 楼的打印机卡纸了", "无法打印到 {printer}"],
                   "你好，\n\n{floor} 楼的打印机 {printer} 提示卡纸，但里面并没有纸。"
                   "\n\n此致"),
        }),
        ("software/install", 6, {
            "en": (["Please install {app} on my computer", "Request: {app} for new project"],
                   "Hi team,\n\nI need {app} for the project starting on {date}. My "
                   "computer is PC-{n}.\n\nThank you"),
            "ar": (["يرجى تثبيت {app} على جهازي", "طلب: {app} لمشروع جديد"],
                   "مرحباً فريق الدعم،\n\nأحتاج إلى {app} للمشروع الذي يبدأ في {date}. "
                   "جهازي هو PC-{n}.\n\nشكراً لكم"),
            "zh": (["请在我的电脑上安装 {app}", "申请：新项目需要 {app}"],
                   "你好，\n\n我需要 {app} 用于 {date} 开始的项目。我的电脑编号是 PC-{n}。"
                   "\n\n谢谢"),
        }),
        ("software/license", 3, {
            "en": (["{app} licence expired", "{app} says my licence is invalid"],
                   "Hello,\n\nSince {date} {app} tells me my licence has expired and "
                   "opens read-only.\n\nBest"),
            "ar": (["انتهت صلاحية ترخيص {app}", "برنامج {app} يقول إن الترخيص غير صالح"],
                   "مرحباً،\n\nمنذ {date} يخبرني {app} أن الترخيص منتهي ويفتح للقراءة "
                   "فقط.\n\nمع أطيب التحيات"),
            "zh": (["{app} 许可证已过期", "{app} 提示许可证无效"],
                   "你好，\n\n从 {date} 起 {app} 提示许可证已过期，只能以只读方式打开。"
                   "\n\n祝好"),
        }),
        ("network/vpn", 7, {
            "en": (["Cannot connect to VPN from home", "VPN disconnects every {m} minutes"],
                   "Hi,\n\nThe VPN client fails with error {code} when I connect from "
                   "home. Internet works fine otherwise.\n\nThanks"),
            "ar": (["لا أستطيع الاتصال بالشبكة الافتراضية الخاصة من المنزل",
                    "انقطاع اتصال VPN كل {m} دقيقة"],
                   "مرحباً،\n\nيفشل برنامج VPN مع الخطأ {code} عند الاتصال من المنزل. "
                   "الإنترنت يعمل بشكل طبيعي.\n\nشكراً"),
            "zh": (["在家无法连接 VPN", "VPN 每 {m} 分钟断开一次"],
                   "你好，\n\n我在家连接 VPN 时客户端报错 {code}，其他网络都正常。\n\n谢谢"),
        }),
        ("network/wifi", 4, {
            "en": (["Wi-Fi drops in meeting room {room}", "No Wi-Fi on floor {floor}"],
                   "Hello,\n\nWi-Fi keeps dropping in meeting room {room} during calls."
                   "\n\nRegards"),
            "ar": (["انقطاع شبكة Wi-Fi في قاعة الاجتماعات {room}",
                    "لا توجد شبكة Wi-Fi في الطابق {floor}"],
                   "مرحباً،\n\nتنقطع شبكة Wi-Fi باستمرار في قاعة الاجتماعات {room} "
                   "أثناء المكالمات.\n\nمع التحية"),
            "zh": (["会议室 {room} 的 Wi-Fi 经常断开", "{floor} 楼没有 Wi-Fi"],
                   "你好，\n\n会议室 {room} 的 Wi-Fi 在通话时经常断开。\n\n此致"),
        }),
        ("access/password", 9, {
            "en": (["Password reset for {app}", "Account locked out"],
                   "Hi,\n\nI am locked out of {app} after too many attempts. Please "
                   "reset my password.\n\nThanks"),
            "ar": (["إعادة تعيين كلمة المرور لـ {app}", "تم قفل الحساب"],
                   "مرحباً،\n\nتم قفل حسابي في {app} بعد محاولات كثيرة. يرجى إعادة تعيين "
                   "كلمة المرور.\n\nشكراً"),
            "zh": (["重置 {app} 密码", "账户被锁定"],
                   "你好，\n\n我多次尝试登录 {app} 后账户被锁定了，请帮我重置密码。\n\n谢谢"),
        }),
        ("access/permissions", 5, {
            "en": (["Need access to shared folder {folder}", "Access to {app} for {name}"],
                   "Hello,\n\nPlease give me write access to {folder}. My manager "
                   "approved it.\n\nBest regards"),
            "ar": (["أحتاج إلى صلاحية الوصول إلى المجلد المشترك {folder}",
                    "صلاحية الوصول إلى {app}"],
                   "مرحباً،\n\nيرجى منحي صلاحية الكتابة على {folder}. وافق مديري على "
                   "ذلك.\n\nمع أطيب التحيات"),
            "zh": (["需要共享文件夹 {folder} 的访问权限", "申请 {app} 的访问权限"],
                   "你好，\n\n请给我 {folder} 的写入权限，我的经理已经批准。\n\n此致敬礼"),
        }),
        ("email", 4, {
            "en": (["Outlook keeps asking for my password", "Mails to {domain} bounce"],
                   "Hi,\n\nSince {date} Outlook asks for my password every few "
                   "minutes.\n\nThanks"),
            "ar": (["برنامج Outlook يطلب كلمة المرور باستمرار",
                    "الرسائل إلى {domain} ترتد"],
                   "مرحباً،\n\nمنذ {date} يطلب Outlook كلمة المرور كل بضع دقائق.\n\nشكراً"),
            "zh": (["Outlook 一直要求输入密码", "发往 {domain} 的邮件被退回"],
                   "你好，\n\n从 {date} 起 Outlook 每隔几分钟就要求输入密码。\n\n谢谢"),
        }),
    ],
    "SUP": [
        ("billing/invoice", 6, {
            "en": (["Invoice {order} shows the wrong amount", "Need a copy of invoice {order}"],
                   "Hello,\n\nInvoice {order} charges us for {seats} seats but we only "
                   "have {m}. Could you correct it?\n\nKind regards"),
            "ar": (["الفاتورة {order} تحتوي على مبلغ خاطئ", "أحتاج نسخة من الفاتورة {order}"],
                   "مرحباً،\n\nالفاتورة {order} تحسب علينا {seats} مستخدمين بينما لدينا {m} "
                   "فقط. هل يمكنكم تصحيحها؟\n\nمع خالص التحية"),
            "zh": (["发票 {order} 金额有误", "需要发票 {order} 的副本"],
                   "你好，\n\n发票 {order} 按 {seats} 个席位收费，但我们只有 {m} 个。"
                   "请帮忙更正。\n\n此致"),
        }),
        ("billing/refund", 5, {
            "en": (["Refund for order {order}", "Charged twice for order {order}"],
                   "Hi,\n\nI was charged twice for order {order} on {date}. Please "
                   "refund one payment.\n\nThanks"),
            "ar": (["استرداد المبلغ للطلب {order}", "تم الخصم مرتين للطلب {order}"],
                   "مرحباً،\n\nتم خصم المبلغ مرتين للطلب {order} بتاريخ {date}. يرجى "
                   "استرداد إحدى الدفعتين.\n\nشكراً"),
            "zh": (["订单 {order} 申请退款", "订单 {order} 被重复扣款"],
                   "你好，\n\n订单 {order} 在 {date} 被扣款两次，请退还其中一笔。\n\n谢谢"),
        }),
        ("account/login", 8, {
            "en": (["Cannot log in to my account", "Two-factor code never arrives"],
                   "Hello,\n\nThe login page says my password is wrong, and the reset "
                   "mail never arrives.\n\nRegards"),
            "ar": (["لا أستطيع تسجيل الدخول إلى حسابي", "رمز التحقق لا يصل أبداً"],
                   "مرحباً،\n\nتقول صفحة الدخول إن كلمة المرور خاطئة، ورسالة إعادة "
                   "التعيين لا تصل.\n\nمع التحية"),
            "zh": (["无法登录我的账户", "一直收不到双重验证码"],
                   "你好，\n\n登录页面提示密码错误，而重置密码的邮件一直没有收到。\n\n此致"),
        }),
        ("account/deletion", 2, {
            "en": (["Please delete my account", "GDPR data request"],
                   "Hi,\n\nPlease delete my account and all my data.\n\nThank you"),
            "ar": (["يرجى حذف حسابي", "طلب بيانات وفق اللائحة العامة لحماية البيانات"],
                   "مرحباً،\n\nيرجى حذف حسابي وجميع بياناتي.\n\nشكراً لكم"),
            "zh": (["请删除我的账户", "个人数据请求"],
                   "你好，\n\n请删除我的账户以及我的所有数据。\n\n谢谢"),
        }),
        ("product/bug", 9, {
            "en": (["Export to CSV fails with error {code}", "Dashboard is blank since update"],
                   "Hello,\n\nExporting the report to CSV fails with error {code}. "
                   "Steps: open Reports, choose last month, click Export.\n\nBest"),
            "ar": (["فشل التصدير إلى CSV مع الخطأ {code}", "لوحة المعلومات فارغة منذ التحديث"],
                   "مرحباً،\n\nيفشل تصدير التقرير إلى CSV مع الخطأ {code}. الخطوات: "
                   "افتح التقارير، اختر الشهر الماضي، انقر تصدير.\n\nمع التحية"),
            "zh": (["导出 CSV 失败，错误代码 {code}", "更新后仪表板一片空白"],
                   "你好，\n\n导出报表为 CSV 时失败，错误代码 {code}。步骤：打开报表，"
                   "选择上个月，点击导出。\n\n祝好"),
        }),
        ("product/feature-request", 3, {
            "en": (["Feature request: dark mode", "Could you add an API for {thing}?"],
                   "Hi,\n\nIt would help our team a lot if you added {thing}.\n\nCheers"),
            "ar": (["طلب ميزة: الوضع الداكن", "هل يمكنكم إضافة واجهة برمجية لـ {thing}؟"],
                   "مرحباً،\n\nسيساعد فريقنا كثيراً لو أضفتم {thing}.\n\nمع التحية"),
            "zh": (["功能建议：深色模式", "能否为 {thing} 提供 API？"],
                   "你好，\n\n如果能增加 {thing}，对我们团队会很有帮助。\n\n谢谢"),
        }),
        ("shipping", 5, {
            "en": (["Order {order} has not arrived", "Wrong item in order {order}"],
                   "Hello,\n\nOrder {order} was due on {date} and tracking has not moved "
                   "for a week.\n\nRegards"),
            "ar": (["لم يصل الطلب {order}", "منتج خاطئ في الطلب {order}"],
                   "مرحباً،\n\nكان من المفترض أن يصل الطلب {order} في {date} ولم يتغير "
                   "التتبع منذ أسبوع.\n\nمع التحية"),
            "zh": (["订单 {order} 尚未送达", "订单 {order} 发错了商品"],
                   "你好，\n\n订单 {order} 应于 {date} 送达，但物流信息已经一周没有更新。"
                   "\n\n此致"),
        }),
    ],
    "HR": [
        ("payroll", 5, {
            "en": (["Payslip for {month} is missing", "Overtime not paid for {month}"],
                   "Hi,\n\nI cannot find my payslip for {month} in the portal.\n\nThanks"),
            "ar": (["قسيمة الراتب لشهر {month} مفقودة", "لم يتم دفع العمل الإضافي لشهر {month}"],
                   "مرحباً،\n\nلا أجد قسيمة راتبي لشهر {month} في البوابة.\n\nشكراً"),
            "zh": (["{month} 的工资单缺失", "{month} 的加班费未发放"],
                   "你好，\n\n我在系统里找不到 {month} 的工资单。\n\n谢谢"),
        }),
        ("leave/vacation", 6, {
            "en": (["Vacation request {date} to {date2}", "Carry over unused leave"],
                   "Hello,\n\nI would like to take leave from {date} to {date2}. My "
                   "manager agreed.\n\nBest"),
            "ar": (["طلب إجازة من {date} إلى {date2}", "ترحيل الإجازة غير المستخدمة"],
                   "مرحباً،\n\nأرغب في أخذ إجازة من {date} إلى {date2}. وافق مديري."
                   "\n\nمع التحية"),
            "zh": (["休假申请：{date} 至 {date2}", "未休年假结转"],
                   "你好，\n\n我想在 {date} 至 {date2} 休假，经理已经同意。\n\n祝好"),
        }),
        ("leave/sick", 3, {
            "en": (["Sick leave certificate", "Sick from {date}"],
                   "Hi,\n\nI am sick since {date}; the doctor's certificate is "
                   "attached to my mail.\n\nRegards"),
            "ar": (["شهادة إجازة مرضية", "إجازة مرضية منذ {date}"],
                   "مرحباً،\n\nأنا مريض منذ {date}؛ الشهادة الطبية مرفقة برسالتي.\n\nمع التحية"),
            "zh": (["病假证明", "{date} 起病假"],
                   "你好，\n\n我从 {date} 开始生病，医生证明已随邮件发送。\n\n此致"),
        }),
        ("benefits", 3, {
            "en": (["Question about health insurance coverage", "Add my child to insurance"],
                   "Hello,\n\nDoes our health insurance cover dental care abroad?\n\nThanks"),
            "ar": (["سؤال حول تغطية التأمين الصحي", "إضافة طفلي إلى التأمين"],
                   "مرحباً،\n\nهل يغطي تأميننا الصحي علاج الأسنان في الخارج؟\n\nشكراً"),
            "zh": (["关于医疗保险范围的问题", "为孩子添加保险"],
                   "你好，\n\n我们的医疗保险是否涵盖海外的牙科治疗？\n\n谢谢"),
        }),
        ("onboarding", 2, {
            "en": (["New starter on {date}: laptop and badge", "Onboarding plan for {name}"],
                   "Hi,\n\n{name} joins my team on {date}. Please prepare a laptop, a "
                   "badge and accounts.\n\nThanks"),
            "ar": (["موظف جديد يبدأ في {date}: حاسوب وبطاقة", "خطة التأهيل لـ {name}"],
                   "مرحباً،\n\nينضم {name} إلى فريقي في {date}. يرجى تجهيز حاسوب وبطاقة "
                   "وحسابات.\n\nشكراً"),
            "zh": (["新员工 {date} 入职：电脑和工牌", "{name} 的入职计划"],
                   "你好，\n\n{name} 将于 {date} 加入我的团队，请准备电脑、工牌和账号。\n\n谢谢"),
        }),
        ("offboarding", 1, {
            "en": (["Leaver on {date}: remove access", "Exit interview for {name}"],
                   "Hello,\n\n{name} leaves on {date}. Please plan the exit interview."
                   "\n\nRegards"),
            "ar": (["موظف يغادر في {date}: إزالة الصلاحيات", "مقابلة نهاية الخدمة لـ {name}"],
                   "مرحباً،\n\nيغادر {name} في {date}. يرجى ترتيب مقابلة نهاية الخدمة."
                   "\n\nمع التحية"),
            "zh": (["{date} 离职：取消权限", "{name} 的离职面谈"],
                   "你好，\n\n{name} 将于 {date} 离职，请安排离职面谈。\n\n此致"),
        }),
    ],
}
DEVICES = ["ThinkPad T14", "MacBook Pro 14", "Dell Latitude 7440", "HP EliteBook 840",
           "Surface Laptop 5", "iPhone 15", "Galaxy S24"]
APPS = ["Outlook", "Teams", "SAP", "Salesforce", "Jira", "Zoom", "Slack", "Excel",
        "AutoCAD", "Tableau"]
PRINTERS = ["PRN-A1", "PRN-B2", "HP LaserJet M507", "Canon iR-ADV C5535"]
FOLDERS = [r"\\fs01\finance", r"\\fs01\projects", r"\\fs02\marketing", r"\\fs02\legal"]
THINGS = ["dark mode", "SSO with Okta", "bulk export", "webhooks", "custom reports"]
TAGS = [
    ("vip", 10), ("follow-up", 9), ("escalated", 8), ("outage", 3), ("password-reset", 8),
    ("vpn", 6), ("hardware", 7), ("laptop", 6), ("printer", 4), ("refund", 5),
    ("billing", 6), ("bug", 7), ("feature-request", 3), ("onboarding", 2), ("offboarding", 1),
    ("payroll", 3), ("urgent-customer", 2), ("duplicate", 2), ("needs-info", 6),
    ("waiting-vendor", 3), ("security", 2), ("phishing", 2), ("mobile", 3), ("windows", 4),
    ("macos", 3), ("linux", 1), ("sla-breach", 2), ("known-issue", 3), ("training", 1),
    ("gdpr", 1), ("shipping", 3), ("invoice", 4), ("license", 2), ("wifi", 2),
    ("new-hire", 2), ("arabic", 1), ("chinese", 1), ("enterprise", 4), ("trial", 2),
    ("churn-risk", 1),
]

NAMES = {
    "en": (["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
            "David", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Thomas", "Sarah",
            "Emma", "Oliver", "Sophie", "Daniel"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Taylor", "Clark", "Walker", "Hall", "Young", "King", "Wright", "Green"]),
    # (script, latin) pairs so addresses stay ASCII.
    "ar": ([("أحمد", "ahmed"), ("محمد", "mohamed"), ("فاطمة", "fatima"), ("علي", "ali"),
            ("مريم", "maryam"), ("يوسف", "youssef"), ("ليلى", "layla"), ("عمر", "omar"),
            ("نور", "nour"), ("خالد", "khaled"), ("سارة", "sara"), ("حسن", "hassan")],
           [("الحداد", "haddad"), ("منصور", "mansour"), ("خوري", "khoury"), ("سالم", "salem"),
            ("العلي", "alali"), ("حمدان", "hamdan"), ("ناصر", "nasser"), ("يوسف", "youssef")]),
    "zh": ([("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
            ("磊", "lei"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("杰", "jie"),
            ("婷", "ting"), ("强", "qiang")],
           [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou")]),
}
ORG_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
             "Soylent", "Hooli", "Vandelay", "Wonka", "Gringotts", "Oceanic", "Massive",
             "Aperture", "Black Mesa", "Nakatomi", "Pied Piper", "Dunder"]
ORG_SUFFIXES = ["Ltd", "GmbH", "Inc", "SARL", "LLC", "Group", "Trading", "Logistics",
                "Systems", "Partners", "Holdings", "Labs", "Foods", "Media", "Health",
                "Energy", "Retail", "Bank", "Studios", "Motors"]
# Priority -> the impact x urgency pairs that give it (deskline.tickets.choices).
PRIORITY_SOURCES = {
    "urgent": [("high", "high")],
    "high": [("high", "medium"), ("medium", "high")],
    "normal": [("medium", "medium"), ("high", "low"), ("low", "high")],
    "low": [("medium", "low"), ("low", "medium"), ("low", "low")],
}
PRIORITY_WEIGHTS = {
    "IT": [("low", 18), ("normal", 52), ("high", 21), ("urgent", 9)],
    "SUP": [("low", 22), ("normal", 50), ("high", 20), ("urgent", 8)],
    "HR": [("low", 30), ("normal", 55), ("high", 12), ("urgent", 3)],
}
CHANNEL_WEIGHTS = {
    "IT": [("email", 35), ("web", 35), ("phone", 15), ("chat", 10), ("api", 5)],
    "SUP": [("email", 50), ("web", 25), ("chat", 15), ("phone", 5), ("social", 5)],
    "HR": [("email", 50), ("web", 45), ("phone", 5)],
}
TYPE_WEIGHTS = {
    "IT": [("incident", 45), ("service_request", 40), ("question", 12), ("problem", 2),
           ("change", 1)],
    "SUP": [("question", 50), ("incident", 30), ("service_request", 15), ("problem", 5)],
    "HR": [("service_request", 60), ("question", 40)],
}
LANGUAGE_WEIGHTS = [("en", 70), ("ar", 15), ("zh", 15)]
# fmt: on


def status_weights(age_days: float) -> list[tuple[str, float]]:
    """Younger tickets are still being worked; old ones are closed."""
    if age_days < 2:
        return [("new", 35), ("open", 40), ("pending", 10), ("on_hold", 3), ("solved", 12)]
    if age_days < 14:
        return [
            ("new", 5),
            ("open", 30),
            ("pending", 15),
            ("on_hold", 5),
            ("solved", 30),
            ("closed", 15),
        ]
    if age_days < 60:
        return [
            ("new", 1),
            ("open", 8),
            ("pending", 5),
            ("on_hold", 3),
            ("solved", 13),
            ("closed", 70),
        ]
    return [("open", 1), ("pending", 0.5), ("on_hold", 0.5), ("solved", 2), ("closed", 96)]


AGE_BANDS = [2, 14, 60]
STATUS_TABLES = [status_weights(x) for x in (1, 7, 30, 365)]


class Picker:
    """Weighted choice with precomputed cumulative weights (fast for many calls)."""

    def __init__(self, rng: random.Random, items: list, weights: list[float]) -> None:
        self.rng = rng
        self.items = items
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self):
        return self.items[bisect.bisect_right(self.cum, self.rng.random() * self.total)]


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def pairs(rng: random.Random, pairs_list: list[tuple]) -> Picker:
    return Picker(rng, [p[0] for p in pairs_list], [p[1] for p in pairs_list])


# --- Django setup and reference objects ------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    import django

    django.setup()


def person(rng: random.Random, language: str) -> tuple[str, str]:
    """(display name, ascii slug for the address)."""
    firsts, lasts = NAMES[language]
    first, last = rng.choice(firsts), rng.choice(lasts)
    if language == "en":
        return f"{first} {last}", f"{first}.{last}".lower()
    if language == "ar":
        return f"{first[0]} {last[0]}", f"{first[1]}.{last[1]}"
    return f"{last[0]}{first[0]}", f"{first[1]}.{last[1]}"


def create_reference_data(rng: random.Random, n_requesters: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from deskline.accounts.models import Organization, User
    from deskline.desks.models import Category, Desk, DeskMembership, Team, TeamMembership
    from deskline.tickets.models import Tag

    started = time.monotonic()
    language = pairs(rng, LANGUAGE_WEIGHTS)
    with transaction.atomic():
        desks = {}
        for name, slug, prefix, visibility, _share in DESKS:
            desks[prefix] = Desk.objects.create(
                name=name,
                slug=slug,
                prefix=prefix,
                visibility=visibility,
                description=f"{name} help desk (benchmark data)",
            )
        teams = {
            prefix: [
                Team.objects.create(desk=desks[prefix], name=name, slug=slug, tier=tier)
                for name, slug, tier in TEAMS[prefix]
            ]
            for prefix in desks
        }
        categories: dict[str, dict[str, Category]] = {prefix: {} for prefix in desks}
        for prefix, topics in TOPICS.items():
            for path, _w, _texts in topics:
                parent = None
                for depth, slug in enumerate(path.split("/")):
                    sub = "/".join(path.split("/")[: depth + 1])
                    if sub not in categories[prefix]:
                        categories[prefix][sub] = Category.objects.create(
                            desk=desks[prefix],
                            parent=parent,
                            name=slug.replace("-", " ").capitalize(),
                            slug=slug,
                        )
                    parent = categories[prefix][sub]
        tags = {t.name: t for t in Tag.objects.bulk_create([Tag(name=n) for n, _w in TAGS])}

        corp = Organization.objects.create(
            name="Deskline Corp",
            domains=["corp.example"],
            shared_tickets=False,
            notes="The company whose employees use the internal desks.",
        )
        orgs = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"{ORG_WORDS[i % len(ORG_WORDS)]} {ORG_SUFFIXES[i // len(ORG_WORDS)]}",
                    domains=[f"customer{i}.example"],
                    shared_tickets=rng.random() < 0.2,
                )
                for i in range(len(ORG_WORDS) * len(ORG_SUFFIXES))
            ]
        )

        unusable = make_password(None)
        agent_users = []
        for i in range(sum(AGENTS_PER_DESK.values())):
            lang = language()
            name, _slug = person(rng, lang)
            agent_users.append(
                User(
                    email=f"agent{i:03d}@corp.example",
                    name=name,
                    organization=corp,
                    is_employee=True,
                    language=lang,
                    password=unusable,
                )
            )
        agent_users = User.objects.bulk_create(agent_users)
        memberships, team_memberships = [], []
        agents_by_desk: dict[str, list[tuple[int, int]]] = {}  # prefix -> [(user, team)]
        start = 0
        for prefix, count in AGENTS_PER_DESK.items():
            agents_by_desk[prefix] = []
            for j, user in enumerate(agent_users[start : start + count]):
                role = "supervisor" if j < 3 else ("light_agent" if j >= count - 3 else "agent")
                memberships.append(DeskMembership(desk=desks[prefix], user=user, role=role))
                team = teams[prefix][j % len(teams[prefix])]
                team_memberships.append(TeamMembership(team=team, user=user))
                if role != "light_agent":
                    agents_by_desk[prefix].append((user.pk, team.pk))
            start += count
        # Some IT agents also look at customer support tickets.
        for user in agent_users[3:13]:
            memberships.append(DeskMembership(desk=desks["SUP"], user=user, role="light_agent"))
        DeskMembership.objects.bulk_create(memberships)
        TeamMembership.objects.bulk_create(team_memberships)

        n_employees = max(10, n_requesters // 5)
        requesters = []
        seen: set[str] = set()
        org_pick = Picker(rng, orgs, zipf_weights(len(orgs), 0.8))
        for i in range(n_requesters):
            lang = language()
            name, slug = person(rng, lang)
            if i < n_employees:
                org, domain = corp, "corp.example"
            elif rng.random() < 0.1:
                org, domain = None, rng.choice(["mail.example", "inbox.example", "post.example"])
            else:
                org = org_pick()
                domain = org.domains[0]
            email = f"{slug}@{domain}"
            if email in seen:
                email = f"{slug}.{i}@{domain}"
            seen.add(email)
            requesters.append(
                User(
                    email=email,
                    name=name,
                    organization=org,
                    is_employee=i < n_employees,
                    language=lang,
                    password=unusable,
                )
            )
        requesters = User.objects.bulk_create(requesters, batch_size=2000)
    employees = [
        (u.pk, u.organization_id, u.name, u.email, u.language) for u in requesters[:n_employees]
    ]
    customers = [
        (u.pk, u.organization_id, u.name, u.email, u.language) for u in requesters[n_employees:]
    ]
    print(
        f"reference data: 3 desks, {sum(len(t) for t in teams.values())} teams, "
        f"{len(agent_users)} agents, {len(requesters)} requesters, {len(orgs) + 1} "
        f"organizations, {sum(len(c) for c in categories.values())} categories, "
        f"{len(tags)} tags in {time.monotonic() - started:.1f}s",
        flush=True,
    )
    return {
        "desks": desks,
        "teams": {p: [(t.pk, t.tier) for t in ts] for p, ts in teams.items()},
        "team_tier": {t.pk: t.tier for ts in teams.values() for t in ts},
        "categories": {p: {path: c.pk for path, c in cs.items()} for p, cs in categories.items()},
        "tags": {name: t.pk for name, t in tags.items()},
        "agents": agents_by_desk,
        "employees": employees,
        "customers": customers,
    }


# --- Ticket rows ---------------------------------------------------------------------


def creation_times(rng: random.Random, n: int, now: float) -> list[float]:
    """n sorted creation instants over the last two years: growing volume, office hours,
    quiet weekends."""
    start = now - SPAN_DAYS * DAY
    hour_weight = [0.2] * 7 + [1.0, 2.5, 3.0, 3.0, 2.5, 1.5, 2.5, 2.8, 2.5, 2.0, 1.2] + [0.4] * 6
    slots, weights = [], []
    for day in range(SPAN_DAYS):
        day_start = start + day * DAY
        weekday = datetime.fromtimestamp(day_start, UTC).weekday()
        growth = 1.0 + day / SPAN_DAYS  # volume doubles over the two years
        week = 0.3 if weekday >= 5 else 1.0
        for hour in range(24):
            slots.append(day_start + hour * HOUR)
            weights.append(growth * week * hour_weight[hour])
    picked = rng.choices(slots, weights=weights, k=n)
    times = sorted(t + rng.random() * HOUR for t in picked)
    return [min(t, now - 1.0) for t in times]


class TicketFactory:
    def __init__(self, rng: random.Random, ref: dict, now: float, pg: bool) -> None:
        self.rng = rng
        self.now = now
        self.pg = pg
        self.ref = ref
        self.desk_pick = Picker(rng, [d[2] for d in DESKS], [d[4] for d in DESKS])
        self.sequence = {d[2]: 0 for d in DESKS}
        self.topic = {p: Picker(rng, ts, [t[1] for t in ts]) for p, ts in TOPICS.items()}
        self.priority = {p: pairs(rng, w) for p, w in PRIORITY_WEIGHTS.items()}
        self.channel = {p: pairs(rng, w) for p, w in CHANNEL_WEIGHTS.items()}
        self.type = {p: pairs(rng, w) for p, w in TYPE_WEIGHTS.items()}
        self.status = [pairs(rng, w) for w in STATUS_TABLES]
        employees, customers = ref["employees"], ref["customers"]
        # A few people file most tickets.
        self.requester = {
            "IT": Picker(rng, employees, zipf_weights(len(employees), 0.5)),
            "HR": Picker(rng, employees, zipf_weights(len(employees), 0.5)),
            "SUP": Picker(rng, customers, zipf_weights(len(customers), 0.5)),
        }
        self.agent = {
            p: Picker(rng, agents, [rng.uniform(0.3, 1.5) for _ in agents])
            for p, agents in ref["agents"].items()
        }
        self.teams = ref["teams"]
        self.team_tier = ref["team_tier"]
        tag_ids = [ref["tags"][name] for name, _w in TAGS]
        self.tag = Picker(rng, tag_ids, [w for _n, w in TAGS])
        self.desk_id = {p: d.pk for p, d in ref["desks"].items()}
        self.categories = ref["categories"]
        self.slot_pool = self.slot_pool_for(rng)
        # Midnight UTC some days before the first ticket, and each day's date text.
        first = datetime.fromtimestamp(now - (SPAN_DAYS + 30) * DAY, UTC)
        self.day0 = first.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        self.days = [
            datetime.fromtimestamp(self.day0 + i * DAY, UTC).strftime("%Y-%m-%d")
            for i in range(SPAN_DAYS + 90)
        ]

    def stamp(self, t: float | None) -> str | None:
        """The text Django itself stores for a UTC instant (plus the offset for COPY)."""
        if t is None:
            return None
        day = int((t - self.day0) // DAY)
        micros = round((t - self.day0 - day * DAY) * 1_000_000)
        seconds, micros = divmod(micros, 1_000_000)
        if seconds >= 86400:  # rounding reached midnight
            return self.stamp(self.day0 + (day + 1) * DAY + micros / 1e6)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        text = f"{self.days[day]} {hour:02d}:{minute:02d}:{second:02d}"
        if micros:
            text += f".{micros:06d}"
        return text + "+00" if self.pg else text

    def slots(self, created: float) -> dict:
        """Template values: a random pre-built set, with dates near the ticket's creation."""
        values = self.slot_pool[int(self.rng.random() * len(self.slot_pool))]
        date = self.days[int((created - self.day0) // DAY) + int(self.rng.random() * 30) - 10]
        values["date"], values["month"], values["date2"] = date, date[:7], date[:8] + "28"
        return values

    @staticmethod
    def slot_pool_for(rng: random.Random, size: int = 4096) -> list[dict]:
        return [
            {
                "device": rng.choice(DEVICES),
                "app": rng.choice(APPS),
                "printer": rng.choice(PRINTERS),
                "folder": rng.choice(FOLDERS),
                "thing": rng.choice(THINGS),
                "n": rng.randint(2, 9999),
                "m": rng.randint(2, 50),
                "seats": rng.randint(25, 200),
                "floor": rng.randint(1, 12),
                "room": f"{rng.randint(1, 12)}.{rng.randint(1, 30):02d}",
                "code": f"E{rng.randint(100, 999)}",
                "order": f"#{rng.randint(100000, 999999)}",
                "domain": rng.choice(["partner.example", "vendor.example", "gov.example"]),
                "name": " ".join(person(rng, "en")[0:1]),
            }
            for _ in range(size)
        ]

    def ticket(self, tid: int, created: float) -> tuple[tuple, tuple, tuple, list[tuple]]:
        rng = self.rng
        now = self.now
        prefix = self.desk_pick()
        self.sequence[prefix] += 1
        seq = self.sequence[prefix]
        number = f"{prefix}-{seq}"
        requester_id, org_id, req_name, req_email, lang = self.requester[prefix]()
        path, _w, texts = self.topic[prefix]()
        subjects, body = texts[lang]
        values = self.slots(created)
        subject = rng.choice(subjects).format(**values)
        body_text = body.format(**values)
        age_days = (now - created) / DAY
        status = self.status[bisect.bisect_right(AGE_BANDS, age_days)]()
        priority = self.priority[prefix]()
        impact, urgency = rng.choice(PRIORITY_SOURCES[priority])
        channel = self.channel[prefix]()
        ticket_type = self.type[prefix]()

        assignee_id = team_id = None
        if status != "new" and rng.random() < 0.95:
            assignee_id, team_id = self.agent[prefix]()
        elif rng.random() < 0.5:
            team_id = rng.choice(self.teams[prefix])[0]
        tier = self.team_tier[team_id] if team_id else 1
        category_id = self.categories[prefix][path] if rng.random() < 0.85 else None

        first_response = solved = closed = None
        if status == "new":
            updated = created + min(rng.random() * 600, now - created)
        else:
            first_response = min(created + rng.lognormvariate(8.9, 1.3), now)  # median ~2h
            if status in ("solved", "closed"):
                solved = min(created + rng.lognormvariate(11.4, 1.2), now)  # median ~1 day
                if status == "closed":
                    closed = min(solved + 4 * DAY + rng.random() * HOUR, now)
                first_response = min(first_response, solved)
                updated = closed or solved
            else:
                updated = created + (now - created) * rng.random() ** 0.5
                first_response = min(first_response, updated)
        stamp = self.stamp
        created_s = stamp(created)
        ticket_row = (
            tid,
            seq,
            number,
            subject,
            status,
            impact,
            urgency,
            priority,
            ticket_type,
            tier,
            channel,
            "{}",
            created_s,
            stamp(updated),
            stamp(first_response),
            stamp(solved),
            stamp(closed),
            assignee_id,
            category_id,
            None,
            self.desk_id[prefix],
            org_id,
            requester_id,
            team_id,
            None,
        )
        body_html = "".join(
            "<p>" + html.escape(p).replace("\n", "<br>") + "</p>"
            for p in body_text.split("\n\n")
            if p
        )
        headers = f'{{"Message-ID": "<{tid}.{seq}@mail.example>"}}' if channel == "email" else "{}"
        internal = False if self.pg else 0
        message_row = (
            tid,
            req_name,
            req_email,
            subject,
            body_text,
            body_html,
            internal,
            channel,
            headers,
            created_s,
            requester_id,
            tid,
        )
        after = f'{{"number": "{number}", "channel": "{channel}", "status": "new"}}'
        event_row = (tid, "created", "", None, after, created_s, requester_id, tid, tid)
        tag_rows = []
        if rng.random() < 0.3:
            chosen = {self.tag() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))}
            tag_rows = [(tag_id, tid) for tag_id in chosen]
        return ticket_row, message_row, event_row, tag_rows


TICKET_COLUMNS = (
    "id",
    "sequence",
    "number",
    "subject",
    "status",
    "impact",
    "urgency",
    "priority",
    "ticket_type",
    "tier",
    "channel",
    "custom_fields",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "assignee_id",
    "category_id",
    "custom_status_id",
    "desk_id",
    "organization_id",
    "requester_id",
    "team_id",
    "merged_into_id",
)
MESSAGE_COLUMNS = (
    "id",
    "sender_name",
    "sender_email",
    "subject",
    "body_text",
    "body_html",
    "internal",
    "channel",
    "source_headers",
    "created_at",
    "author_id",
    "ticket_id",
)
EVENT_COLUMNS = (
    "id",
    "kind",
    "field",
    "before",
    "after",
    "created_at",
    "actor_id",
    "message_id",
    "ticket_id",
)
TAG_COLUMNS = ("id", "tag_id", "ticket_id")
TABLE_COLUMNS = {
    "tickets_ticket": TICKET_COLUMNS,
    "tickets_message": MESSAGE_COLUMNS,
    "tickets_ticketevent": EVENT_COLUMNS,
    "tickets_tickettag": TAG_COLUMNS,
}


def chunks(factory: TicketFactory, times: list[float]):
    """Yield {table: rows} per CHUNK tickets."""
    tag_id = 0
    for start in range(0, len(times), CHUNK):
        out = {table: [] for table in LOADED_TABLES}
        tickets, messages, events, ticket_tags = out.values()
        for offset, created in enumerate(times[start : start + CHUNK]):
            t, m, e, tags = factory.ticket(start + offset + 1, created)
            tickets.append(t)
            messages.append(m)
            events.append(e)
            for tag, ticket in tags:
                tag_id += 1
                ticket_tags.append((tag_id, tag, ticket))
        yield out


# --- Loaders ------------------------------------------------------------------------


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.rows = 0
        self.started = time.monotonic()
        self.last = 0.0

    def add(self, tickets: int, rows: int) -> None:
        self.done += tickets
        self.rows += rows
        elapsed = time.monotonic() - self.started
        if elapsed - self.last >= 10 or self.done == self.total:
            self.last = elapsed
            print(
                f"  {self.done:>9,}/{self.total:,} tickets  {self.done / elapsed:>8,.0f} "
                f"tickets/s  {self.rows / elapsed:>8,.0f} rows/s",
                flush=True,
            )


def load_sqlite(path: str, batches, progress: Progress) -> dict:
    import sqlite3

    timings = {}
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=MEMORY")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")
    db.execute("PRAGMA temp_store=MEMORY")
    db.execute("PRAGMA foreign_keys=OFF")
    placeholders = ", ".join("?" for _ in LOADED_TABLES)
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
        f"AND tbl_name IN ({placeholders}) ORDER BY name",
        LOADED_TABLES,
    ).fetchall()
    db.execute("BEGIN")
    for name, _sql in indexes:
        db.execute(f'DROP INDEX "{name}"')
    statements = {
        table: f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in cols)})"
        for table, cols in TABLE_COLUMNS.items()
    }
    started = time.monotonic()
    for batch in batches:
        for table, rows in batch.items():
            if rows:
                db.executemany(statements[table], rows)
        progress.add(len(batch["tickets_ticket"]), sum(len(r) for r in batch.values()))
    timings["insert_s"] = time.monotonic() - started
    started = time.monotonic()
    print(f"  recreating {len(indexes)} indexes...", flush=True)
    for _name, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    timings["index_s"] = time.monotonic() - started
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return timings


def load_postgres(batches, progress: Progress) -> dict:
    from django.db import connection, transaction

    timings = {}
    tables = list(LOADED_TABLES)
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor under Django's wrapper, for COPY
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND t.relname = ANY(%s)",
            [tables],
        )
        foreign_keys = cur.fetchall()
        for table, name, _definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
        started = time.monotonic()
        for batch in batches:
            for table, rows in batch.items():
                if not rows:
                    continue
                columns = ", ".join(TABLE_COLUMNS[table])
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            progress.add(len(batch["tickets_ticket"]), sum(len(r) for r in batch.values()))
        timings["insert_s"] = time.monotonic() - started
        started = time.monotonic()
        print(
            f"  recreating {len(indexes)} indexes and {len(foreign_keys)} foreign keys...",
            flush=True,
        )
        for _name, definition in indexes:
            cur.execute(definition)
        for table, name, definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in tables:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    timings["index_s"] = time.monotonic() - started
    started = time.monotonic()
    with connection.cursor() as cur:
        # What autovacuum would do shortly anyway; done now so plans are stable.
        for table in tables:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum_analyze_s"] = time.monotonic() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requesters", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.tickets < 1:
        parser.error("--tickets must be at least 1")

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from deskline.desks.models import Desk
    from deskline.tickets.models import Ticket

    pg = connection.vendor == "postgresql"
    where = (
        f"PostgreSQL database {settings.DATABASES['default']['NAME']}"
        if pg
        else f"SQLite {settings.DATABASES['default']['NAME']}"
    )
    print(f"target: {where}", flush=True)
    total_started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    if Desk.objects.exists() or Ticket.objects.exists():
        sys.exit(
            "generate.py: this database already has desks or tickets; use a fresh "
            "DESKLINE_DATA_DIR or an empty PostgreSQL database"
        )
    rng = random.Random(args.seed)
    ref = create_reference_data(rng, args.requesters)
    now = time.time()
    times = creation_times(rng, args.tickets, now)
    factory = TicketFactory(rng, ref, now, pg)
    progress = Progress(args.tickets)
    print(f"loading {args.tickets:,} tickets...", flush=True)
    if pg:
        timings = load_postgres(chunks(factory, times), progress)
    else:
        connection.close()
        timings = load_sqlite(
            str(settings.DATABASES["default"]["NAME"]), chunks(factory, times), progress
        )
    for prefix, count in factory.sequence.items():
        Desk.objects.filter(prefix=prefix).update(next_sequence=count + 1)
    total = time.monotonic() - total_started
    rows = progress.rows
    summary = {
        "database": "postgresql" if pg else "sqlite",
        "tickets": args.tickets,
        "rows": rows,
        "per_desk": dict(factory.sequence),
        "insert_s": round(timings["insert_s"], 1),
        "index_s": round(timings["index_s"], 1),
        "vacuum_analyze_s": round(timings.get("vacuum_analyze_s", 0.0), 1),
        "total_s": round(total, 1),
        "insert_rows_per_s": round(rows / timings["insert_s"]),
        "overall_rows_per_s": round(rows / total),
        "overall_tickets_per_s": round(args.tickets / total),
    }
    print(
        f"done: {args.tickets:,} tickets, {rows:,} rows (tickets, messages, events, tags) in "
        f"{total:.1f}s = {rows / total:,.0f} rows/s, {args.tickets / total:,.0f} tickets/s "
        f"overall (insert {timings['insert_s']:.1f}s at {rows / timings['insert_s']:,.0f} "
        f"rows/s, indexes {timings['index_s']:.1f}s)",
        flush=True,
    )
    print("SUMMARY " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
