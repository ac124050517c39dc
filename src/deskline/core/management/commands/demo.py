"""`deskline demo`: demo desks, people and a few hundred tickets in English, Arabic and Chinese.

Everything a user sees on a ticket is made by the ticket services, so every ticket
has its whole event history. The services stamp what they write with the current
time; after each step the rows it wrote are moved back to the step's simulated
moment (queryset updates, nothing else), so 90 days of history read in order.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from deskline.accounts.models import AuditEntry, Organization, User
from deskline.accounts.services import create_admin, get_or_create_requester
from deskline.core.errors import Conflict
from deskline.core.management.demo_service_levels import set_up_service_levels
from deskline.desks.models import (
    Category,
    CustomField,
    Desk,
    FieldType,
    Role,
    Team,
    TeamMembership,
    Visibility,
)
from deskline.desks.services import create_category, create_desk, create_team, set_desk_role
from deskline.tickets.choices import Channel, Status, TicketType
from deskline.tickets.models import Message, Tag, Ticket, TicketEvent, TicketFollower, TicketLink
from deskline.tickets.services import (
    add_follower,
    add_message,
    hooks,
    link_tickets,
    merge_tickets,
    open_ticket,
    update_ticket,
)

PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@deskline.demo"
AGENT_DOMAIN = "deskline.demo"
DAYS = 90

# ---------------------------------------------------------------------------------
# Desks
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskSpec:
    slug: str
    name: str
    prefix: str
    visibility: str
    description: str
    # (name, slug, tier)
    teams: tuple[tuple[str, str, int], ...]
    # top-level slug -> (name, ((child name, child slug), ...))
    categories: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
    # (key, label, type, choices)
    fields: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    channels: tuple[tuple[str, int], ...]


DESKS = (
    DeskSpec(
        slug="it",
        name="IT Service Desk",
        prefix="IT",
        visibility=Visibility.INTERNAL,
        description="Laptops, accounts, network and software for Meridian Group employees.",
        teams=(
            ("Service Desk L1", "service-desk", 1),
            ("Network L2", "network", 2),
            ("Infrastructure L3", "infrastructure", 3),
        ),
        categories=(
            (
                "Hardware",
                "hardware",
                (
                    ("Laptop", "laptop"),
                    ("Printer", "printer"),
                    ("Monitor", "monitor"),
                    ("Desk phone", "phone"),
                ),
            ),
            (
                "Access",
                "access",
                (
                    ("VPN", "vpn"),
                    ("Password", "password"),
                    ("Permissions", "permissions"),
                    ("Multi-factor authentication", "mfa"),
                ),
            ),
            (
                "Software",
                "software",
                (("Email", "email"), ("Office apps", "office"), ("Installation", "install")),
            ),
            (
                "Network",
                "network",
                (("Wi-Fi", "wifi"), ("Internet", "internet"), ("Firewall", "firewall")),
            ),
        ),
        fields=(
            ("asset_tag", "Asset tag", FieldType.TEXT, ()),
            (
                "operating_system",
                "Operating system",
                FieldType.CHOICE,
                ("Windows 11", "macOS", "Ubuntu", "iOS", "Android"),
            ),
        ),
        channels=(("email", 30), ("web", 30), ("chat", 15), ("phone", 15), ("api", 10)),
    ),
    DeskSpec(
        slug="support",
        name="Customer Support",
        prefix="SUP",
        visibility=Visibility.EXTERNAL,
        description="Orders, billing and product questions from our customers.",
        teams=(
            ("Front line L1", "front-line", 1),
            ("Billing L2", "billing", 2),
            ("Engineering L3", "engineering", 3),
        ),
        categories=(
            (
                "Billing",
                "billing",
                (("Invoice", "invoice"), ("Refund", "refund"), ("Payment", "payment")),
            ),
            (
                "Account",
                "account",
                (("Sign-in", "login"), ("Profile", "profile"), ("Cancellation", "cancellation")),
            ),
            (
                "Product",
                "product",
                (("Bug", "bug"), ("Feature request", "feature-request"), ("How-to", "how-to")),
            ),
            (
                "Shipping",
                "shipping",
                (("Delay", "delay"), ("Damaged item", "damaged"), ("Return", "return")),
            ),
        ),
        fields=(
            ("order_number", "Order number", FieldType.TEXT, ()),
            ("plan", "Plan", FieldType.CHOICE, ("Free", "Starter", "Business", "Enterprise")),
        ),
        channels=(
            ("email", 30),
            ("web", 20),
            ("chat", 20),
            ("social", 10),
            ("sms", 5),
            ("phone", 10),
            ("api", 5),
        ),
    ),
    DeskSpec(
        slug="hr",
        name="HR",
        prefix="HR",
        visibility=Visibility.INTERNAL,
        description="Leave, payroll, benefits and onboarding for Meridian Group employees.",
        teams=(("People Ops L1", "people-ops", 1), ("Payroll L2", "payroll", 2)),
        categories=(
            (
                "Leave",
                "leave",
                (
                    ("Annual leave", "annual"),
                    ("Sick leave", "sick"),
                    ("Parental leave", "parental"),
                ),
            ),
            (
                "Payroll",
                "payroll",
                (("Payslip", "payslip"), ("Tax & certificates", "tax"), ("Expenses", "expenses")),
            ),
            ("Onboarding", "onboarding", (("New hire", "new-hire"),)),
            ("Benefits", "benefits", (("Insurance", "insurance"), ("Training", "training"))),
        ),
        fields=(
            ("employee_id", "Employee ID", FieldType.TEXT, ()),
            (
                "office",
                "Office",
                FieldType.CHOICE,
                ("London", "Dubai", "Riyadh", "Shanghai", "Remote"),
            ),
        ),
        channels=(("web", 40), ("email", 40), ("chat", 10), ("phone", 10)),
    ),
)
DESK_WEIGHTS = {"it": 45, "support": 40, "hr": 15}

# ---------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------

# (name, email local part, language, {desk: role}, {desk: [team slugs]})
AGENTS: tuple[tuple[str, str, str, dict[str, str], dict[str, tuple[str, ...]]], ...] = (
    (
        "Layla Haddad",
        "layla.haddad",
        "en",
        {"it": Role.SUPERVISOR, "hr": Role.LIGHT_AGENT},
        {"it": ("service-desk",)},
    ),
    (
        "Omar Farouk",
        "omar.farouk",
        "ar",
        {"it": Role.AGENT, "support": Role.LIGHT_AGENT},
        {"it": ("network",)},
    ),
    ("王伟", "wang.wei", "zh-hans", {"it": Role.AGENT}, {"it": ("infrastructure", "network")}),
    ("Chen Jing", "chen.jing", "zh-hans", {"it": Role.AGENT}, {"it": ("service-desk",)}),
    (
        "خالد العتيبي",
        "khaled.alotaibi",
        "ar",
        {"it": Role.AGENT},
        {"it": ("service-desk", "network")},
    ),
    (
        "Emily Carter",
        "emily.carter",
        "en",
        {"support": Role.SUPERVISOR},
        {"support": ("front-line",)},
    ),
    (
        "سارة المنصوري",
        "sara.almansouri",
        "ar",
        {"support": Role.AGENT},
        {"support": ("front-line",)},
    ),
    ("李娜", "li.na", "zh-hans", {"support": Role.AGENT}, {"support": ("billing", "front-line")}),
    (
        "Daniel Okafor",
        "daniel.okafor",
        "en",
        {"support": Role.AGENT, "it": Role.LIGHT_AGENT},
        {"support": ("engineering",)},
    ),
    (
        "张敏",
        "zhang.min",
        "zh-hans",
        {"support": Role.AGENT},
        {"support": ("front-line", "billing")},
    ),
    ("فاطمة الزهراء", "fatima.zahra", "ar", {"hr": Role.SUPERVISOR}, {"hr": ("people-ops",)}),
    (
        "Youssef Ibrahim",
        "youssef.ibrahim",
        "ar",
        {"hr": Role.AGENT},
        {"hr": ("payroll", "people-ops")},
    ),
    ("Priya Raman", "priya.raman", "en", {"hr": Role.LIGHT_AGENT, "it": Role.LIGHT_AGENT}, {}),
)

# (name, mail domains, shared tickets, notes)
ORGANIZATIONS = (
    (
        "Meridian Group",
        ["meridian.example"],
        False,
        "The demo company: its employees use the IT Service Desk and HR.",
    ),
    ("Brightwave Studio", ["brightwave.example"], True, "Design agency, Business plan."),
    ("Harbor & Pine Outfitters", ["harbor-pine.example"], False, "Outdoor retailer."),
    ("Nile Logistics", ["nile-logistics.example"], True, "Freight forwarder, Cairo and Dubai."),
    ("Al Noor Clinics", ["alnoor-clinics.example"], True, "VIP customer, Enterprise plan."),
    ("Golden Dragon Trading 金龙贸易", ["goldendragon.example"], True, "VIP customer, Shanghai."),
    ("Lotus Design Studio", ["lotus-design.example"], False, "Small studio in Hangzhou."),
)
VIP_DOMAINS = ("alnoor-clinics.example", "goldendragon.example")

EMPLOYEES = {
    "en": (
        ("James Wilson", "james.wilson"),
        ("Sophie Turner", "sophie.turner"),
        ("Michael Brown", "michael.brown"),
        ("Olivia Martin", "olivia.martin"),
        ("David Clarke", "david.clarke"),
        ("Hannah Lee", "hannah.lee"),
        ("Robert Evans", "robert.evans"),
        ("Grace Hall", "grace.hall"),
    ),
    "ar": (
        ("أحمد الراشد", "ahmed.alrashid"),
        ("نور الهاشمي", "noor.alhashimi"),
        ("محمد القحطاني", "mohammed.alqahtani"),
        ("ريم الشمري", "reem.alshammari"),
        ("عبدالله الزهراني", "abdullah.alzahrani"),
        ("هدى السيد", "huda.elsayed"),
        ("طارق منصور", "tarek.mansour"),
        ("مريم الخطيب", "maryam.alkhatib"),
    ),
    "zh-hans": (
        ("刘洋", "liu.yang"),
        ("陈晨", "chen.chen"),
        ("杨帆", "yang.fan"),
        ("赵磊", "zhao.lei"),
        ("黄丽", "huang.li"),
        ("周杰", "zhou.jie"),
        ("吴霞", "wu.xia"),
        ("孙浩", "sun.hao"),
    ),
}
EMPLOYEE_DOMAIN = "meridian.example"

CUSTOMERS = {
    "en": (
        ("Emma Johnson", "emma.johnson@brightwave.example"),
        ("Liam Walker", "liam.walker@brightwave.example"),
        ("Mia Green", "mia.green@brightwave.example"),
        ("Jack Morgan", "jack.morgan@harbor-pine.example"),
        ("Amelia Scott", "amelia.scott@harbor-pine.example"),
        ("Noah Thompson", "noah.thompson@mail.example"),
        ("Ava Robinson", "ava.robinson@mail.example"),
        ("Ethan Wright", "ethan.wright@mail.example"),
        ("Lucas Baker", "lucas.baker@mail.example"),
        ("Isabella King", "isabella.king@mail.example"),
        ("Benjamin Hughes", "ben.hughes@mail.example"),
        ("Chloe Adams", "chloe.adams@mail.example"),
    ),
    "ar": (
        ("يوسف النجار", "youssef.najjar@nile-logistics.example"),
        ("سلمى عبد الرحمن", "salma.abdelrahman@nile-logistics.example"),
        ("كريم حسن", "karim.hassan@nile-logistics.example"),
        ("دانة العلي", "dana.alali@alnoor-clinics.example"),
        ("سامي الخوري", "sami.khoury@alnoor-clinics.example"),
        ("منى إبراهيم", "mona.ibrahim@alnoor-clinics.example"),
        ("عمر سليمان", "omar.sulaiman@mail.example"),
        ("رنا يوسف", "rana.youssef@mail.example"),
        ("فيصل الدوسري", "faisal.aldosari@mail.example"),
        ("جميلة بن علي", "jamila.benali@mail.example"),
        ("حسن الموسوي", "hassan.almousawi@mail.example"),
        ("لينا قاسم", "lina.qasem@mail.example"),
    ),
    "zh-hans": (
        ("王芳", "wang.fang@goldendragon.example"),
        ("李强", "li.qiang@goldendragon.example"),
        ("张婷", "zhang.ting@goldendragon.example"),
        ("刘伟", "liu.wei@lotus-design.example"),
        ("陈雪", "chen.xue@lotus-design.example"),
        ("杨静", "yang.jing@mail.example"),
        ("赵敏", "zhao.min@mail.example"),
        ("黄磊", "huang.lei@mail.example"),
        ("周琳", "zhou.lin@mail.example"),
        ("徐明", "xu.ming@mail.example"),
        ("马超", "ma.chao@mail.example"),
        ("林晓", "lin.xiao@mail.example"),
    ),
}

LANGUAGES = ("en", "ar", "zh-hans")
LANGUAGE_WEIGHTS = (45, 28, 27)
# Hours ahead of UTC where each language's people work (London, Dubai, Shanghai).
UTC_OFFSET = {"en": 0, "ar": 4, "zh-hans": 8}
TIME_ZONES = {"en": "Europe/London", "ar": "Asia/Dubai", "zh-hans": "Asia/Shanghai"}
PHONE_PREFIX = {"en": "+44 20 7946 0", "ar": "+971 4 555 0", "zh-hans": "+86 21 5555 0"}
OFFICES = {"en": ("London", "Remote"), "ar": ("Dubai", "Riyadh"), "zh-hans": ("Shanghai",)}

# ---------------------------------------------------------------------------------
# Requests: one template is one real request, written in the three languages.
# Placeholders: {asset} {floor} {room} {invoice} {order} {date} {amount}
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    category: str
    ticket_type: str
    tags: tuple[str, ...]
    en: tuple[str, str]
    ar: tuple[str, str]
    zh: tuple[str, str]
    team: str = ""
    impact: str = "medium"
    urgency: str = "medium"

    def text(self, language: str) -> tuple[str, str]:
        return {"en": self.en, "ar": self.ar, "zh-hans": self.zh}[language]


IT_REQUESTS = (
    Template(
        "access/vpn",
        TicketType.INCIDENT,
        ("vpn", "remote-work"),
        en=(
            "Cannot connect to VPN from home",
            'Since this morning the VPN client says "Authentication failed" when I try to '
            "connect from home. I restarted the laptop and my router, same result. I have a "
            "client call at 2 pm and need the shared drive before then.\n\nLaptop: {asset}",
        ),
        ar=(
            "لا أستطيع الاتصال بشبكة VPN من المنزل",
            'منذ صباح اليوم يظهر برنامج VPN رسالة "فشل المصادقة" عندما أحاول الاتصال من '
            "المنزل. أعدت تشغيل الحاسوب والراوتر دون فائدة. لدي اجتماع مع عميل الساعة الثانية "
            "وأحتاج الوصول إلى المجلد المشترك قبل ذلك.\n\nرقم الجهاز: {asset}",
        ),
        zh=(
            "在家无法连接VPN",
            "从今天早上开始，在家连接VPN时客户端一直提示“认证失败”。我已经重启了电脑和路由器，"
            "还是不行。下午两点要和客户开会，之前需要访问共享盘。\n\n电脑资产编号：{asset}",
        ),
        urgency="high",
    ),
    Template(
        "access/password",
        TicketType.SERVICE_REQUEST,
        ("password-reset", "account-locked"),
        en=(
            "Password expired and my account is locked",
            "My password expired over the weekend and after a few tries the account is now "
            "locked. I can't sign in to email or Teams. Could you unlock it and send me a "
            "temporary password? I'm at my desk on floor {floor}.",
        ),
        ar=(
            "انتهت صلاحية كلمة المرور وتم قفل حسابي",
            "انتهت صلاحية كلمة المرور خلال عطلة نهاية الأسبوع، وبعد عدة محاولات أصبح الحساب "
            "مقفلاً. لا أستطيع الدخول إلى البريد أو Teams. هل يمكنكم فتح الحساب وإرسال كلمة مرور "
            "مؤقتة؟ أنا في مكتبي في الطابق {floor}.",
        ),
        zh=(
            "密码过期，账号被锁定",
            "周末密码过期了，试了几次之后账号被锁定，现在邮箱和Teams都登录不了。"
            "麻烦帮忙解锁并发一个临时密码。我在{floor}楼的工位。",
        ),
        urgency="high",
    ),
    Template(
        "hardware/printer",
        TicketType.INCIDENT,
        ("printer",),
        en=(
            "Printer on floor {floor} not connecting",
            'The big printer next to the kitchen on floor {floor} shows "Offline" for '
            "everyone in our team. We tried turning it off and on. There's a board pack that "
            "needs printing this afternoon.",
        ),
        ar=(
            "الطابعة في الطابق {floor} لا تتصل بالشبكة",
            'الطابعة الكبيرة بجانب المطبخ في الطابق {floor} تظهر "غير متصلة" لجميع أعضاء '
            "فريقنا. جربنا إطفاءها وتشغيلها من جديد. نحتاج إلى طباعة ملف اجتماع مجلس الإدارة "
            "بعد الظهر.",
        ),
        zh=(
            "{floor}楼打印机无法连接",
            "{floor}楼茶水间旁边的大打印机对我们组所有人都显示“脱机”。已经试过关机重启。"
            "今天下午还要打印董事会的材料。",
        ),
    ),
    Template(
        "hardware/laptop",
        TicketType.INCIDENT,
        ("laptop", "battery"),
        en=(
            "Laptop battery drains in about an hour",
            "My laptop ({asset}) used to last a full day, now the battery is empty after an "
            "hour even with the screen dimmed. It also gets quite hot near the hinge.",
        ),
        ar=(
            "بطارية الحاسوب المحمول تنفد خلال ساعة تقريباً",
            "كانت بطارية حاسوبي ({asset}) تكفي ليوم كامل، أما الآن فتنفد بعد ساعة واحدة حتى مع "
            "خفض سطوع الشاشة. كما أن الجهاز يسخن كثيراً بالقرب من المفصل.",
        ),
        zh=(
            "笔记本电池一个小时就没电",
            "我的笔记本（{asset}）以前能用一整天，现在即使调暗屏幕，一个小时电池就用完了。"
            "转轴附近还特别烫。",
        ),
    ),
    Template(
        "hardware/laptop",
        TicketType.SERVICE_REQUEST,
        ("new-hire", "laptop"),
        en=(
            "Laptop for a new team member starting {date}",
            "We have a new analyst joining the finance team on {date}. Could you prepare a "
            "standard laptop with Office, the VPN client and access to the Finance shared "
            "folder? Their manager is me.",
        ),
        ar=(
            "تجهيز حاسوب محمول لموظف جديد يبدأ في {date}",
            "ينضم محلل جديد إلى فريق المالية بتاريخ {date}. هل يمكنكم تجهيز حاسوب محمول قياسي "
            "مع برامج Office وبرنامج VPN وصلاحية الوصول إلى مجلد المالية المشترك؟ أنا مديره "
            "المباشر.",
        ),
        zh=(
            "新同事{date}入职，需要准备笔记本电脑",
            "财务组有一位新分析师{date}入职，麻烦准备一台标准配置的笔记本，装好Office、VPN客户端，"
            "并开通财务共享文件夹的权限。我是他的直属经理。",
        ),
    ),
    Template(
        "software/email",
        TicketType.INCIDENT,
        ("outlook", "email"),
        en=(
            "Outlook keeps asking for my password",
            "Every few minutes Outlook pops up a window asking for my password. I type it in, "
            "it works for a while, then asks again. Webmail works fine.",
        ),
        ar=(
            "برنامج Outlook يطلب كلمة المرور باستمرار",
            "كل بضع دقائق تظهر نافذة في Outlook تطلب كلمة المرور. أدخلها فيعمل لفترة ثم يطلبها "
            "من جديد. البريد عبر المتصفح يعمل بشكل طبيعي.",
        ),
        zh=(
            "Outlook 一直提示输入密码",
            "Outlook 每隔几分钟就弹窗要求输入密码，输入后能用一会儿，然后又弹出来。"
            "网页版邮箱是正常的。",
        ),
    ),
    Template(
        "software/email",
        TicketType.INCIDENT,
        ("email", "mailbox-quota"),
        en=(
            "Mailbox full, cannot send emails",
            'I get "Your mailbox is over its size limit" and my sent mails are stuck in the '
            "outbox. I've already emptied Deleted Items. Can the quota be increased or the old "
            "mail archived?",
        ),
        ar=(
            "صندوق البريد ممتلئ ولا يمكنني إرسال الرسائل",
            'تظهر لي رسالة "صندوق البريد تجاوز الحد المسموح" والرسائل عالقة في صندوق الصادر. '
            "قمت بإفراغ العناصر المحذوفة. هل يمكن زيادة المساحة أو أرشفة الرسائل القديمة؟",
        ),
        zh=(
            "邮箱已满，无法发送邮件",
            "提示“邮箱已超出容量限制”，发出的邮件都卡在发件箱里。已删除的邮件我已经清空了。"
            "能否扩容或者把旧邮件归档？",
        ),
    ),
    Template(
        "network/wifi",
        TicketType.INCIDENT,
        ("wifi", "meeting-room"),
        en=(
            "Wi-Fi drops every few minutes in meeting room {room}",
            "In meeting room {room} the Wi-Fi disconnects every 5–10 minutes, which kills our "
            "video calls. Other rooms on the same floor are fine.",
        ),
        ar=(
            "انقطاع شبكة Wi-Fi كل بضع دقائق في قاعة الاجتماعات {room}",
            "في قاعة الاجتماعات {room} تنقطع شبكة Wi-Fi كل 5 إلى 10 دقائق، مما يقطع مكالمات "
            "الفيديو. القاعات الأخرى في نفس الطابق تعمل بشكل جيد.",
        ),
        zh=(
            "{room}会议室的无线网络每隔几分钟就断开",
            "{room}会议室的Wi-Fi每5到10分钟就断一次，视频会议经常中断。同层其他会议室都正常。",
        ),
        team="network",
    ),
    Template(
        "software/install",
        TicketType.SERVICE_REQUEST,
        ("software-request",),
        en=(
            "Please install Power BI Desktop",
            "I need Power BI Desktop for the monthly sales report. My manager has approved "
            "it. Laptop asset tag {asset}.",
        ),
        ar=(
            "أرجو تثبيت برنامج Power BI Desktop",
            "أحتاج برنامج Power BI Desktop لإعداد تقرير المبيعات الشهري. وافق مديري على الطلب. "
            "رقم الجهاز {asset}.",
        ),
        zh=(
            "请帮忙安装 Power BI Desktop",
            "做月度销售报表需要用到 Power BI Desktop，经理已经批准。电脑资产编号 {asset}。",
        ),
        urgency="low",
    ),
    Template(
        "access/permissions",
        TicketType.SERVICE_REQUEST,
        ("shared-drive", "permissions"),
        en=(
            "Access to the Finance shared folder",
            "I moved to the finance team last week and still can't open \\\\files\\Finance. "
            "Could you give me read/write access? Approver: Head of Finance.",
        ),
        ar=(
            "طلب صلاحية الوصول إلى مجلد المالية المشترك",
            "انتقلت إلى فريق المالية الأسبوع الماضي وما زلت لا أستطيع فتح المجلد "
            "\\\\files\\Finance. هل يمكن منحي صلاحية القراءة والكتابة؟ جهة الموافقة: مدير المالية.",
        ),
        zh=(
            "申请财务共享文件夹的访问权限",
            "我上周调到财务组，但还是打不开 \\\\files\\Finance。麻烦开通读写权限，"
            "审批人是财务总监。",
        ),
    ),
    Template(
        "hardware/monitor",
        TicketType.SERVICE_REQUEST,
        ("monitor", "equipment"),
        en=(
            "Second monitor for my desk",
            'Could I get a second 27" monitor and a USB-C dock? I work with large '
            "spreadsheets all day. Desk {room}.",
        ),
        ar=(
            "طلب شاشة ثانية لمكتبي",
            "هل يمكن الحصول على شاشة ثانية مقاس 27 بوصة ومنصة توصيل USB-C؟ أعمل على جداول "
            "بيانات كبيرة طوال اليوم. مكتب {room}.",
        ),
        zh=(
            "申请第二台显示器",
            "能否申请一台27寸的显示器和一个USB-C扩展坞？我每天都要处理很大的表格。工位 {room}。",
        ),
        impact="low",
        urgency="low",
    ),
    Template(
        "network/internet",
        TicketType.INCIDENT,
        ("outage", "internet"),
        en=(
            "Whole floor {floor} has no internet",
            "Nobody on floor {floor} can reach the internet or Teams since about 9:40. Wired "
            "and Wi-Fi both. Floors above us seem fine.",
        ),
        ar=(
            "لا يوجد اتصال بالإنترنت في الطابق {floor} بالكامل",
            "لا يستطيع أحد في الطابق {floor} الوصول إلى الإنترنت أو Teams منذ الساعة 9:40 "
            "تقريباً، سواء عبر الكابل أو Wi-Fi. الطوابق الأعلى تعمل على ما يبدو.",
        ),
        zh=(
            "{floor}楼整层断网",
            "大约9点40开始，{floor}楼所有人都上不了网，Teams也连不上，有线和无线都一样。"
            "楼上看起来正常。",
        ),
        team="network",
        impact="high",
        urgency="high",
    ),
    Template(
        "access/mfa",
        TicketType.SERVICE_REQUEST,
        ("mfa", "new-phone"),
        en=(
            "New phone: need to move my authenticator app",
            "I replaced my phone and the old one is wiped, so I can't approve sign-in "
            "requests anymore. Please reset my MFA registration so I can set it up again.",
        ),
        ar=(
            "هاتف جديد: أحتاج إلى نقل تطبيق المصادقة",
            "غيرت هاتفي وتمت تهيئة الهاتف القديم، لذلك لم أعد أستطيع الموافقة على طلبات تسجيل "
            "الدخول. أرجو إعادة تعيين المصادقة متعددة العوامل لأتمكن من إعدادها من جديد.",
        ),
        zh=(
            "换了新手机，需要迁移身份验证器",
            "我换了手机，旧手机已经恢复出厂设置，现在无法确认登录请求。麻烦重置我的多因素认证，"
            "我重新绑定一下。",
        ),
        urgency="high",
    ),
    Template(
        "software/office",
        TicketType.INCIDENT,
        ("excel", "crash"),
        en=(
            "Excel crashes when opening large files",
            "Excel closes without any message when I open the quarterly forecast workbook "
            "(about 80 MB). Smaller files open fine. I'm on {asset}.",
        ),
        ar=(
            "برنامج Excel يتوقف عند فتح الملفات الكبيرة",
            "يغلق Excel دون أي رسالة عندما أفتح ملف التوقعات الربعية (حوالي 80 ميغابايت). "
            "الملفات الأصغر تفتح بشكل طبيعي. جهازي {asset}.",
        ),
        zh=(
            "打开大文件时Excel崩溃",
            "打开季度预测表（大约80MB）时Excel直接闪退，没有任何提示。小文件可以正常打开。"
            "电脑编号 {asset}。",
        ),
    ),
    Template(
        "hardware/phone",
        TicketType.INCIDENT,
        ("desk-phone",),
        en=(
            "Desk phone has no dial tone",
            'The phone at desk {room} shows "No service" and there is no dial tone. The '
            "cable is plugged in. I'm on the customer hotline rota tomorrow.",
        ),
        ar=(
            "هاتف المكتب لا يعطي نغمة اتصال",
            'يظهر على الهاتف في المكتب {room} "لا توجد خدمة" ولا توجد نغمة اتصال. الكابل موصول. '
            "لدي مناوبة على خط خدمة العملاء غداً.",
        ),
        zh=(
            "座机没有拨号音",
            "{room}工位的座机显示“无服务”，也没有拨号音，网线是插好的。我明天要值客服热线。",
        ),
    ),
    Template(
        "software/email",
        TicketType.PROBLEM,
        ("email", "bounce", "external"),
        en=(
            "Emails to external partners bouncing since yesterday",
            "Since yesterday afternoon several of us get bounces (550 5.7.1) when writing to "
            "partners at two different companies. Internal mail is fine. This is blocking "
            "quotes we owe customers.",
        ),
        ar=(
            "الرسائل المرسلة إلى الشركاء الخارجيين ترتد منذ الأمس",
            "منذ ظهر أمس تصلنا رسائل ارتداد (550 5.7.1) عند مراسلة شركاء في شركتين مختلفتين. "
            "البريد الداخلي يعمل بشكل طبيعي. هذا يؤخر عروض الأسعار المطلوبة للعملاء.",
        ),
        zh=(
            "从昨天开始发给外部合作伙伴的邮件被退回",
            "从昨天下午开始，好几个同事给两家合作公司发邮件都被退信（550 5.7.1），内部邮件正常。"
            "这影响了我们给客户的报价。",
        ),
        team="infrastructure",
        impact="high",
    ),
    Template(
        "network/firewall",
        TicketType.CHANGE,
        ("firewall", "supplier"),
        en=(
            "Open firewall access to the new supplier portal",
            "Procurement starts using the supplier portal at portal.supplier.example on "
            "{date}. It needs outbound HTTPS and SFTP (port 22) from the procurement VLAN. "
            "Change window: any evening this week.",
        ),
        ar=(
            "فتح منفذ في الجدار الناري لبوابة المورّد الجديدة",
            "سيبدأ قسم المشتريات باستخدام بوابة المورّد portal.supplier.example بتاريخ {date}. "
            "نحتاج إلى السماح باتصال HTTPS وSFTP (المنفذ 22) من شبكة المشتريات. نافذة التغيير: "
            "أي مساء هذا الأسبوع.",
        ),
        zh=(
            "申请开放新供应商门户的防火墙访问",
            "采购部将于{date}开始使用供应商门户 portal.supplier.example，需要从采购VLAN开放出站"
            "HTTPS和SFTP（22端口）。变更窗口：本周任意晚上。",
        ),
        team="network",
        urgency="low",
    ),
    Template(
        "software/office",
        TicketType.INCIDENT,
        ("teams", "audio"),
        en=(
            "No audio in Teams calls",
            "Since the last update I can't hear anyone in Teams calls and they can't hear me. "
            "The headset works in other apps. I have back-to-back calls today.",
        ),
        ar=(
            "لا يوجد صوت في مكالمات Teams",
            "منذ التحديث الأخير لا أسمع أحداً في مكالمات Teams ولا يسمعونني. السماعة تعمل في "
            "التطبيقات الأخرى. لدي مكالمات متتالية اليوم.",
        ),
        zh=(
            "Teams 通话没有声音",
            "上次更新之后，Teams通话里我听不到别人，别人也听不到我。耳机在其他软件里是好的。"
            "今天会议一个接一个。",
        ),
        urgency="high",
    ),
    Template(
        "access/permissions",
        TicketType.SERVICE_REQUEST,
        ("offboarding", "account"),
        en=(
            "Disable account of departing employee",
            "A member of my team leaves on {date}. Please disable their account at 18:00 "
            "that day, forward their mail to me for 30 days and collect laptop {asset}.",
        ),
        ar=(
            "تعطيل حساب موظف مغادر",
            "أحد أعضاء فريقي يغادر الشركة بتاريخ {date}. أرجو تعطيل حسابه الساعة 18:00 في ذلك "
            "اليوم، وتحويل بريده إليّ لمدة 30 يوماً، واستلام الحاسوب {asset}.",
        ),
        zh=(
            "停用离职员工账号",
            "我组里一位同事{date}离职，请在当天18:00停用他的账号，邮件转发给我30天，"
            "并回收笔记本 {asset}。",
        ),
    ),
)

SUPPORT_REQUESTS = (
    Template(
        "billing/refund",
        TicketType.QUESTION,
        ("refund", "duplicate-charge"),
        en=(
            "Refund for duplicate charge on invoice {invoice}",
            "Hello, our card was charged twice for invoice {invoice} ({amount}). Both "
            "charges show on the statement from the same day. Please refund the duplicate.",
        ),
        ar=(
            "استرداد مبلغ مخصوم مرتين في الفاتورة {invoice}",
            "مرحباً، تم خصم مبلغ الفاتورة {invoice} ({amount}) مرتين من بطاقتنا، ويظهر الخصمان "
            "في كشف الحساب بنفس التاريخ. أرجو استرداد المبلغ المكرر.",
        ),
        zh=(
            "发票 {invoice} 重复扣款，申请退款",
            "您好，发票 {invoice}（{amount}）在我们的银行卡上被扣了两次，账单上同一天有两笔。"
            "请退还重复扣的那笔。",
        ),
        team="billing",
    ),
    Template(
        "billing/invoice",
        TicketType.SERVICE_REQUEST,
        ("invoice", "vat"),
        en=(
            "Need a VAT invoice with our company details",
            "Our accounts team needs invoice {invoice} reissued with our company name, "
            "address and VAT number on it. Can you send a corrected copy?",
        ),
        ar=(
            "أحتاج فاتورة ضريبية باسم الشركة",
            "يحتاج قسم الحسابات لدينا إلى إعادة إصدار الفاتورة {invoice} باسم الشركة وعنوانها "
            "والرقم الضريبي. هل يمكنكم إرسال نسخة معدلة؟",
        ),
        zh=(
            "需要开具带公司信息的增值税发票",
            "我们财务需要重新开具发票 {invoice}，要写上公司名称、地址和税号。"
            "能否发一份更正后的发票？",
        ),
        team="billing",
        urgency="low",
    ),
    Template(
        "billing/payment",
        TicketType.INCIDENT,
        ("payment", "card-declined"),
        en=(
            "Card payment declined but the bank says it's fine",
            "I tried to renew our subscription three times and each time the payment is "
            "declined. My bank says they see no attempt at all. The plan expires in two days.",
        ),
        ar=(
            "تم رفض الدفع بالبطاقة مع أن البنك يؤكد عدم وجود مشكلة",
            "حاولت تجديد الاشتراك ثلاث مرات وفي كل مرة يتم رفض الدفع. البنك يقول إنه لا يرى أي "
            "محاولة دفع. ينتهي الاشتراك بعد يومين.",
        ),
        zh=(
            "银行卡付款被拒，但银行说卡没有问题",
            "续订试了三次，每次付款都被拒绝。银行说他们根本没有看到扣款请求。套餐两天后就到期了。",
        ),
        team="billing",
        urgency="high",
    ),
    Template(
        "account/login",
        TicketType.INCIDENT,
        ("login", "password-reset"),
        en=(
            "Can't log in after resetting my password",
            "I reset my password using the link you sent, but the login page still says "
            '"Invalid credentials". I tried two browsers and cleared cookies.',
        ),
        ar=(
            "لا أستطيع تسجيل الدخول بعد إعادة تعيين كلمة المرور",
            "أعدت تعيين كلمة المرور عبر الرابط الذي أرسلتموه، لكن صفحة الدخول ما زالت تظهر "
            '"بيانات الدخول غير صحيحة". جربت متصفحين ومسحت ملفات تعريف الارتباط.',
        ),
        zh=(
            "重置密码后仍然无法登录",
            "我用你们发的链接重置了密码，但登录页面还是提示“账号或密码错误”。换了两个浏览器，"
            "也清了Cookie。",
        ),
        urgency="high",
    ),
    Template(
        "account/cancellation",
        TicketType.SERVICE_REQUEST,
        ("cancellation", "churn-risk"),
        en=(
            "Please cancel my subscription at the end of the month",
            "We're moving to a different tool, so please cancel our subscription at the end "
            "of the current billing period and confirm there will be no further charges.",
        ),
        ar=(
            "أرجو إلغاء اشتراكي في نهاية الشهر",
            "سننتقل إلى أداة أخرى، لذا أرجو إلغاء اشتراكنا في نهاية فترة الفوترة الحالية "
            "وتأكيد عدم خصم أي مبالغ أخرى.",
        ),
        zh=(
            "请在月底取消我的订阅",
            "我们要换用其他工具了，请在本计费周期结束时取消订阅，并确认之后不会再扣费。",
        ),
        impact="low",
    ),
    Template(
        "account/profile",
        TicketType.SERVICE_REQUEST,
        ("account-owner",),
        en=(
            "Change the account owner email",
            "Our previous admin left the company. Please transfer account ownership to me; "
            "I'm the new IT manager. Happy to verify however you need.",
        ),
        ar=(
            "تغيير البريد الإلكتروني لمالك الحساب",
            "غادر المسؤول السابق الشركة. أرجو نقل ملكية الحساب إليّ بصفتي مدير تقنية المعلومات "
            "الجديد. أنا مستعد للتحقق بأي طريقة تطلبونها.",
        ),
        zh=(
            "更改账户所有者邮箱",
            "我们之前的管理员已经离职，请把账户所有权转给我，我是新的IT经理。"
            "需要怎么验证都可以配合。",
        ),
    ),
    Template(
        "product/bug",
        TicketType.INCIDENT,
        ("export", "encoding"),
        en=(
            "Export to CSV produces garbled characters",
            'When I export the customer list to CSV, names with accents show up as "Ã©" '
            "and similar in Excel. The data looks correct in the web app.",
        ),
        ar=(
            "التصدير إلى CSV ينتج أحرفاً غير مفهومة",
            "عند تصدير قائمة العملاء إلى ملف CSV تظهر الأسماء العربية كرموز غير مفهومة مثل "
            '"Ø§Ù„" عند فتحها في Excel. البيانات تظهر بشكل صحيح في التطبيق.',
        ),
        zh=(
            "导出CSV出现乱码",
            "把客户列表导出成CSV后，用Excel打开中文名字全是乱码，比如“é”之类。网页上显示是正常的。",
        ),
        team="engineering",
    ),
    Template(
        "product/bug",
        TicketType.INCIDENT,
        ("mobile-app", "crash"),
        en=(
            "Mobile app crashes on startup after the update",
            "Since updating the app this morning it closes immediately after the splash "
            "screen. iPhone 13, latest iOS. Reinstalling didn't help.",
        ),
        ar=(
            "تطبيق الجوال يتوقف عند التشغيل بعد التحديث",
            "منذ تحديث التطبيق صباح اليوم يُغلق مباشرة بعد شاشة البداية. الجهاز iPhone 13 بأحدث "
            "إصدار من iOS. إعادة التثبيت لم تحل المشكلة.",
        ),
        zh=(
            "更新后手机App一打开就闪退",
            "今天早上更新App之后，启动画面一过就闪退。手机是iPhone 13，系统是最新的iOS，"
            "重装也没用。",
        ),
        team="engineering",
        impact="high",
        urgency="high",
    ),
    Template(
        "product/feature-request",
        TicketType.QUESTION,
        ("feature-request", "dark-mode"),
        en=(
            "Feature request: dark mode for the dashboard",
            "Our support team works night shifts and would love a dark theme for the "
            "dashboard. Is this on the roadmap?",
        ),
        ar=(
            "اقتراح ميزة: الوضع الداكن للوحة التحكم",
            "يعمل فريق الدعم لدينا في نوبات ليلية ونتمنى توفير وضع داكن للوحة التحكم. هل هذه "
            "الميزة ضمن خطتكم القادمة؟",
        ),
        zh=(
            "功能建议：控制面板支持深色模式",
            "我们客服团队要上夜班，非常希望控制面板能有深色主题。请问这个在产品规划里吗？",
        ),
        impact="low",
        urgency="low",
    ),
    Template(
        "product/how-to",
        TicketType.QUESTION,
        ("how-to", "users"),
        en=(
            "How do I add more users to our team plan?",
            "We have 10 seats and need 4 more for new colleagues. I can't find where to add "
            "seats in the billing page. Will we be charged pro rata?",
        ),
        ar=(
            "كيف أضيف مستخدمين إلى خطة الفريق؟",
            "لدينا 10 مقاعد ونحتاج 4 مقاعد إضافية لزملاء جدد. لا أجد مكان إضافة المقاعد في صفحة "
            "الفوترة. هل سيتم احتساب المبلغ بشكل تناسبي؟",
        ),
        zh=(
            "如何在团队套餐中添加更多用户？",
            "我们现在有10个席位，新同事来了还需要再加4个。在账单页面找不到添加席位的地方。"
            "费用是按比例计算吗？",
        ),
        urgency="low",
    ),
    Template(
        "shipping/delay",
        TicketType.INCIDENT,
        ("shipping", "delayed"),
        en=(
            "Order {order} still not delivered after 10 days",
            "Order {order} was marked as shipped ten days ago but tracking hasn't moved "
            "since it left the warehouse. Can you check with the courier?",
        ),
        ar=(
            "الطلب {order} لم يصل بعد مرور 10 أيام",
            'تم تحديث حالة الطلب {order} إلى "تم الشحن" قبل عشرة أيام، لكن التتبع لم يتغير منذ '
            "خروجه من المستودع. هل يمكنكم التواصل مع شركة الشحن؟",
        ),
        zh=(
            "订单 {order} 10天了还没送到",
            "订单 {order} 十天前就显示已发货，但物流信息从出仓之后就没更新过。"
            "能帮忙联系一下快递公司吗？",
        ),
    ),
    Template(
        "shipping/damaged",
        TicketType.INCIDENT,
        ("shipping", "damaged"),
        en=(
            "Item arrived damaged (order {order})",
            "The box for order {order} was crushed and the device inside has a cracked "
            "screen. I have photos of the packaging. I'd like a replacement please.",
        ),
        ar=(
            "وصل المنتج تالفاً (الطلب {order})",
            "وصلت علبة الطلب {order} مهشمة والجهاز بداخلها شاشته مكسورة. لدي صور للتغليف. أرجو "
            "إرسال بديل.",
        ),
        zh=(
            "收到的商品已损坏（订单 {order}）",
            "订单 {order} 的包装箱被压坏了，里面的设备屏幕裂了。我拍了包装的照片，"
            "希望能换一台新的。",
        ),
    ),
    Template(
        "shipping/return",
        TicketType.SERVICE_REQUEST,
        ("return",),
        en=(
            "How do I return an item I don't need?",
            "I ordered two chargers by mistake in order {order}. The second one is unopened. "
            "How do I send it back and get a refund?",
        ),
        ar=(
            "كيف أعيد منتجاً لا أحتاجه؟",
            "طلبت شاحنين بالخطأ في الطلب {order}، والثاني لم يُفتح. كيف يمكنني إعادته واسترداد "
            "المبلغ؟",
        ),
        zh=(
            "不需要的商品怎么退货？",
            "我在订单 {order} 里误买了两个充电器，其中一个没拆封。怎么寄回并退款？",
        ),
        impact="low",
        urgency="low",
    ),
    Template(
        "billing/invoice",
        TicketType.SERVICE_REQUEST,
        ("upgrade", "plan-change"),
        en=(
            "Upgrade from Starter to Business plan",
            "We'd like to upgrade to the Business plan from next month. Can the unused part "
            "of this month be credited against the new invoice?",
        ),
        ar=(
            "الترقية من خطة Starter إلى خطة Business",
            "نرغب في الترقية إلى خطة Business اعتباراً من الشهر القادم. هل يمكن احتساب الجزء غير "
            "المستخدم من هذا الشهر كرصيد في الفاتورة الجديدة؟",
        ),
        zh=(
            "从Starter套餐升级到Business套餐",
            "我们想从下个月开始升级到Business套餐。本月没用完的部分能抵扣到新发票里吗？",
        ),
        team="billing",
        urgency="low",
    ),
    Template(
        "product/bug",
        TicketType.PROBLEM,
        ("api", "errors"),
        en=(
            "API returns 500 errors intermittently",
            "About 1 in 20 calls to /v2/orders returns HTTP 500 since Tuesday. Retrying "
            "usually works. Our integration logs show request ids if that helps.",
        ),
        ar=(
            "واجهة API تعيد أخطاء 500 بشكل متقطع",
            "منذ يوم الثلاثاء يعيد حوالي طلب واحد من كل 20 طلباً إلى /v2/orders خطأ HTTP 500. "
            "إعادة المحاولة تنجح عادةً. سجلات التكامل لدينا تحتوي على معرفات الطلبات إن كانت "
            "مفيدة.",
        ),
        zh=(
            "API 间歇性返回500错误",
            "从周二开始，调用 /v2/orders 大约每20次就有1次返回HTTP 500，重试一般能成功。"
            "我们的集成日志里有请求ID，需要的话可以提供。",
        ),
        team="engineering",
        impact="high",
    ),
    Template(
        "account/login",
        TicketType.QUESTION,
        ("2fa", "sms"),
        en=(
            "Two-factor code SMS never arrives",
            "I'm not receiving the SMS with the verification code when signing in. My number "
            "is correct in the profile. Is there another way to get the code?",
        ),
        ar=(
            "رمز التحقق الثنائي لا يصلني عبر SMS",
            "لا تصلني رسالة SMS التي تحتوي على رمز التحقق عند تسجيل الدخول، ورقمي صحيح في الملف "
            "الشخصي. هل توجد طريقة أخرى للحصول على الرمز؟",
        ),
        zh=(
            "收不到两步验证短信",
            "登录时一直收不到验证码短信，资料里的手机号是对的。有没有其他方式获取验证码？",
        ),
        urgency="high",
    ),
    Template(
        "product/bug",
        TicketType.INCIDENT,
        ("pdf", "rtl"),
        en=(
            "Arabic text shows left-to-right in exported PDF",
            "Our invoices contain customer names in Arabic. In the exported PDF the letters "
            "are disconnected and the text runs left to right.",
        ),
        ar=(
            "النص العربي يظهر من اليسار إلى اليمين في ملفات PDF المصدّرة",
            "تحتوي فواتيرنا على أسماء العملاء باللغة العربية. في ملف PDF المصدّر تظهر الحروف "
            "منفصلة والنص مكتوب من اليسار إلى اليمين.",
        ),
        zh=(
            "导出的PDF中阿拉伯文显示方向错误",
            "我们的发票里有阿拉伯文的客户名称，导出PDF后字母是断开的，而且文字方向变成了从左到右。",
        ),
        team="engineering",
    ),
)

HR_REQUESTS = (
    Template(
        "leave/annual",
        TicketType.QUESTION,
        ("leave-balance",),
        en=(
            "Annual leave balance looks wrong",
            "The portal shows 6 days of annual leave left, but by my count I should have 11. "
            "I carried 5 days over from last year, which seem to be missing.",
        ),
        ar=(
            "رصيد الإجازة السنوية غير صحيح",
            "يظهر في البوابة أن رصيد إجازتي السنوية 6 أيام، بينما حسب حسابي يجب أن يكون 11 "
            "يوماً. قمت بترحيل 5 أيام من العام الماضي ويبدو أنها غير محتسبة.",
        ),
        zh=(
            "年假余额显示不正确",
            "系统显示我还剩6天年假，但按我算应该有11天。去年结转的5天好像没有算进去。",
        ),
    ),
    Template(
        "payroll/payslip",
        TicketType.QUESTION,
        ("payslip", "overtime"),
        en=(
            "Payslip for last month is missing overtime",
            "I worked 12 hours of approved overtime during the year-end close, but my payslip "
            "doesn't include it. My manager approved the timesheet on time.",
        ),
        ar=(
            "قسيمة الراتب للشهر الماضي لا تتضمن العمل الإضافي",
            "عملت 12 ساعة إضافية معتمدة خلال إقفال نهاية السنة، لكنها غير مدرجة في قسيمة الراتب. "
            "وافق مديري على سجل الدوام في الموعد.",
        ),
        zh=(
            "上个月工资单没有加班费",
            "年终结账期间我有12小时经过审批的加班，但工资单里没有体现。经理已经按时批了工时表。",
        ),
        team="payroll",
    ),
    Template(
        "payroll/expenses",
        TicketType.SERVICE_REQUEST,
        ("expenses", "travel"),
        en=(
            "Expense claim for business trip not reimbursed",
            "I submitted my expense claim for the Riyadh trip ({amount}) five weeks ago and "
            "it was approved, but I haven't been reimbursed yet.",
        ),
        ar=(
            "لم يتم صرف مطالبة مصاريف رحلة العمل",
            "قدمت مطالبة مصاريف رحلة الرياض ({amount}) قبل خمسة أسابيع وتمت الموافقة عليها، لكن "
            "لم يتم تحويل المبلغ حتى الآن.",
        ),
        zh=(
            "出差报销还没有到账",
            "五周前提交了利雅得出差的报销（{amount}），已经审批通过，但钱一直没到账。",
        ),
        team="payroll",
    ),
    Template(
        "leave/parental",
        TicketType.QUESTION,
        ("parental-leave", "policy"),
        en=(
            "Questions about parental leave",
            "We're expecting a baby in a few months. How many weeks of paid parental leave "
            "do I get, and can I take part of it later in the year?",
        ),
        ar=(
            "استفسار عن سياسة إجازة الوالدين",
            "ننتظر مولوداً خلال بضعة أشهر. كم أسبوعاً من إجازة الوالدين المدفوعة يحق لي؟ وهل "
            "يمكنني أخذ جزء منها لاحقاً خلال العام؟",
        ),
        zh=(
            "咨询育儿假政策",
            "我们家几个月后要添宝宝了。请问带薪育儿假有几周？能不能留一部分到下半年再休？",
        ),
        impact="low",
        urgency="low",
    ),
    Template(
        "onboarding/new-hire",
        TicketType.SERVICE_REQUEST,
        ("onboarding",),
        en=(
            "Onboarding for a new hire starting {date}",
            "A new account manager joins my team on {date}. Please start the onboarding "
            "checklist: contract, badge, payroll setup and the induction session.",
        ),
        ar=(
            "إجراءات تعيين موظف جديد يبدأ في {date}",
            "ينضم مدير حسابات جديد إلى فريقي بتاريخ {date}. أرجو البدء بقائمة إجراءات التعيين: "
            "العقد، بطاقة الدخول، إعداد الراتب، وجلسة التعريف.",
        ),
        zh=(
            "{date}入职新员工的入职手续",
            "我组里有一位新的客户经理{date}入职，请启动入职流程：合同、门禁卡、工资设置和入职培训。"
            "",
        ),
    ),
    Template(
        "benefits/insurance",
        TicketType.SERVICE_REQUEST,
        ("insurance", "dependants"),
        en=(
            "Add my newborn to the medical insurance",
            "My daughter was born last week. What documents do you need to add her to my "
            "family medical cover, and from which date is she covered?",
        ),
        ar=(
            "إضافة مولودي الجديد إلى التأمين الطبي",
            "رُزقت بابنة الأسبوع الماضي. ما المستندات المطلوبة لإضافتها إلى التأمين الطبي "
            "العائلي، ومن أي تاريخ تبدأ التغطية؟",
        ),
        zh=(
            "为新生儿添加医疗保险",
            "我女儿上周出生了。把她加到家庭医疗保险需要哪些材料？从哪天开始生效？",
        ),
        urgency="high",
    ),
    Template(
        "payroll/tax",
        TicketType.SERVICE_REQUEST,
        ("salary-certificate", "visa"),
        en=(
            "Salary certificate for a visa application",
            "I need a salary certificate addressed to the embassy for my visa application, "
            "ideally by {date}. It should show my position, start date and monthly salary.",
        ),
        ar=(
            "أحتاج شهادة راتب لطلب التأشيرة",
            "أحتاج شهادة راتب موجهة إلى السفارة لطلب التأشيرة، ويفضل قبل {date}. يجب أن تتضمن "
            "المسمى الوظيفي وتاريخ التعيين والراتب الشهري.",
        ),
        zh=(
            "办理签证需要收入证明",
            "办签证需要一份开给大使馆的收入证明，最好在{date}之前。需要写明职位、入职日期和月薪。",
        ),
        team="payroll",
    ),
    Template(
        "benefits/training",
        TicketType.SERVICE_REQUEST,
        ("training", "approval"),
        en=(
            "Approval for an external training course",
            "I'd like to attend a 3-day project management course ({amount}) next quarter. "
            "My manager supports it. What's the approval process for the training budget?",
        ),
        ar=(
            "طلب موافقة على دورة تدريبية خارجية",
            "أرغب في حضور دورة في إدارة المشاريع لمدة 3 أيام ({amount}) في الربع القادم، ومديري "
            "يدعم ذلك. ما إجراءات الموافقة على ميزانية التدريب؟",
        ),
        zh=(
            "申请参加外部培训课程",
            "我想下个季度参加一个为期3天的项目管理课程（{amount}），经理也支持。"
            "培训预算的审批流程是怎样的？",
        ),
        impact="low",
        urgency="low",
    ),
    Template(
        "leave/sick",
        TicketType.QUESTION,
        ("sick-leave",),
        en=(
            "How do I submit a sick note?",
            "I was off sick for three days this week and have a doctor's note. Where do I "
            "upload it, and does it need to be the original paper copy?",
        ),
        ar=(
            "كيف أقدم تقريراً طبياً للإجازة المرضية؟",
            "كنت في إجازة مرضية لمدة ثلاثة أيام هذا الأسبوع ولدي تقرير طبي. أين أرفعه؟ وهل "
            "يلزم تقديم النسخة الورقية الأصلية؟",
        ),
        zh=(
            "病假证明怎么提交？",
            "我这周请了三天病假，有医生开的证明。应该在哪里上传？需要交纸质原件吗？",
        ),
        impact="low",
    ),
)

REQUESTS = {"it": IT_REQUESTS, "support": SUPPORT_REQUESTS, "hr": HR_REQUESTS}

# ---------------------------------------------------------------------------------
# Conversation pieces
# ---------------------------------------------------------------------------------

ACK = {
    "en": (
        "Hi {name},\n\nThanks for getting in touch. I've picked up your request and I'm "
        "looking into it now; I'll update you here as soon as I know more.\n\nBest regards,\n"
        "{agent}",
        "Hello {name},\n\nThank you for the details. I can see what you describe and I'm "
        "working on it. You don't need to do anything for now.\n\nKind regards,\n{agent}",
        "Hi {name},\n\nI've received your request and I'm handling it myself. I'll get back "
        "to you before the end of the day.\n\n{agent}",
    ),
    "ar": (
        "مرحباً {name}،\n\nشكراً لتواصلك معنا. استلمتُ طلبك وأعمل على مراجعته الآن، وسأوافيك "
        "بالمستجدات هنا في أقرب وقت.\n\nمع أطيب التحيات،\n{agent}",
        "أهلاً {name}،\n\nشكراً على التفاصيل. أرى المشكلة التي وصفتها وأعمل على حلها. لا حاجة "
        "لأي إجراء من طرفك حالياً.\n\nتحياتي،\n{agent}",
        "مرحباً {name}،\n\nوصلني طلبك وسأتابعه بنفسي. سأعود إليك قبل نهاية اليوم.\n\n{agent}",
    ),
    "zh-hans": (
        "{name}您好：\n\n感谢您的联系。我已经接手您的请求，正在处理中，"
        "有进展会第一时间在这里通知您。"
        "\n\n祝好，\n{agent}",
        "{name}您好：\n\n谢谢您提供的详细信息。您描述的情况我这边已经看到了，正在处理，"
        "您暂时不需要做任何操作。"
        "\n\n此致\n{agent}",
        "{name}您好：\n\n已收到您的请求并由我负责跟进，今天下班前会给您回复。\n\n{agent}",
    ),
}
ASK = {
    "en": (
        "Hi {name},\n\nCould you send me a screenshot of the error and tell me roughly when "
        "it started? That will help me narrow it down.\n\nThanks,\n{agent}",
        "Hi {name},\n\nTo continue I need a bit more information: which device are you "
        "using, and does it happen every time or only sometimes?\n\n{agent}",
        "Hello {name},\n\nI've made a change on our side. Could you try again and let me "
        "know whether it works now?\n\nBest,\n{agent}",
        "Hi {name},\n\nThis needs approval from your manager. Could you ask them to reply "
        "to this message to confirm?\n\n{agent}",
    ),
    "ar": (
        "مرحباً {name}،\n\nهل يمكنك إرسال لقطة شاشة لرسالة الخطأ وإخباري متى بدأت المشكلة "
        "تقريباً؟ سيساعدني ذلك على تحديد السبب.\n\nشكراً،\n{agent}",
        "مرحباً {name}،\n\nأحتاج إلى بعض المعلومات الإضافية للمتابعة: ما الجهاز الذي تستخدمه؟ "
        "وهل تحدث المشكلة في كل مرة أم أحياناً فقط؟\n\n{agent}",
        "أهلاً {name}،\n\nأجريتُ تعديلاً من جهتنا. هل يمكنك المحاولة مرة أخرى وإخباري إن كانت "
        "المشكلة قد حُلّت؟\n\nتحياتي،\n{agent}",
        "مرحباً {name}،\n\nيتطلب هذا الطلب موافقة مديرك المباشر. هل يمكنك أن تطلب منه الرد على "
        "هذه الرسالة للموافقة؟\n\n{agent}",
    ),
    "zh-hans": (
        "{name}您好：\n\n能否发一张错误提示的截图，并告诉我问题大概是什么时候开始的？"
        "这样方便我定位原因。"
        "\n\n谢谢，\n{agent}",
        "{name}您好：\n\n为了继续处理，还需要您补充一些信息：您使用的是哪台设备？"
        "问题是每次都出现还是偶尔出现？"
        "\n\n{agent}",
        "{name}您好：\n\n我这边已经做了调整，麻烦您再试一次，告诉我现在是否正常？\n\n祝好，"
        "\n{agent}",
        "{name}您好：\n\n这个申请需要您的直属经理审批，请让他/她直接回复这封邮件确认。\n\n{agent}",
    ),
}
ANSWER = {
    "en": (
        "Here is the screenshot. It started yesterday afternoon, right after the update.",
        "I'm on my work laptop, and it happens every time I try.",
        "Tried again just now and it's still not working, same error as before.",
        "My manager is copied and has approved this.",
        "Thanks for the quick reply. It happens mostly in the mornings.",
    ),
    "ar": (
        "أرفقت لقطة الشاشة. بدأت المشكلة بعد ظهر أمس مباشرة بعد التحديث.",
        "أستخدم جهاز العمل، وتحدث المشكلة في كل مرة أحاول فيها.",
        "حاولت الآن مرة أخرى وما زالت المشكلة قائمة بنفس الخطأ.",
        "أضفت مديري إلى الرسالة وقد وافق على الطلب.",
        "شكراً على الرد السريع. تحدث المشكلة غالباً في الصباح.",
    ),
    "zh-hans": (
        "截图已附上。问题是昨天下午更新之后开始的。",
        "我用的是公司的电脑，每次都会出现。",
        "刚才又试了一次，还是不行，报的错误和之前一样。",
        "已抄送我的经理，他已经同意了。",
        "谢谢您的快速回复。问题主要在早上出现。",
    ),
}
CHASE = {
    "en": (
        "Any update on this? It's still blocking my work.",
        "Just following up: is there anything else you need from me?",
    ),
    "ar": (
        "هل من جديد بخصوص هذا الطلب؟ ما زال يعيق عملي.",
        "أتابع معكم: هل تحتاجون مني أي معلومات إضافية؟",
    ),
    "zh-hans": ("请问有进展吗？这个问题还在影响我的工作。", "跟进一下：还需要我提供什么信息吗？"),
}
CONFIRM = {
    "en": (
        "That worked, thank you so much!",
        "All good now. Thanks for sorting this out so quickly.",
        "Confirmed, it's working again.",
    ),
    "ar": (
        "نجح الحل، شكراً جزيلاً!",
        "كل شيء يعمل الآن. شكراً على سرعة الحل.",
        "تم التأكد، عادت الأمور للعمل بشكل طبيعي.",
    ),
    "zh-hans": ("可以了，非常感谢！", "现在一切正常，谢谢这么快就解决了。", "确认已经恢复正常。"),
}
SOLVE = {
    "en": (
        "Hi {name},\n\nGood news: this is fixed. The cause was a configuration issue on our "
        "side, which I've corrected. I'm marking this request as solved; just reply if "
        "anything still isn't right and it will reopen.\n\nBest regards,\n{agent}",
        "Hi {name},\n\nThe change is done and I've checked that everything works as "
        "expected. Reply to this message if you need anything else.\n\n{agent}",
        "Hello {name},\n\nThank you for your patience. Your request has been completed. If "
        "you notice any problem, reply here within the next few days and we'll pick it up "
        "again.\n\nKind regards,\n{agent}",
    ),
    "ar": (
        "مرحباً {name}،\n\nأخبار سارة: تم حل المشكلة. كان السبب خطأً في الإعدادات من جهتنا وقد "
        "قمت بتصحيحه. سأضع الطلب كمحلول، ويكفي أن ترد على هذه الرسالة إن بقي أي شيء لا يعمل "
        "وسيُعاد فتحه.\n\nمع أطيب التحيات،\n{agent}",
        "مرحباً {name}،\n\nتم تنفيذ التغيير وتأكدت من أن كل شيء يعمل كما يجب. رد على هذه "
        "الرسالة إن احتجت أي شيء آخر.\n\n{agent}",
        "أهلاً {name}،\n\nشكراً على صبرك. تم إنجاز طلبك. إن لاحظت أي مشكلة، رد هنا خلال الأيام "
        "القادمة وسنتابعها من جديد.\n\nتحياتي،\n{agent}",
    ),
    "zh-hans": (
        "{name}您好：\n\n好消息：问题已经解决。原因是我们这边的配置有误，现已修正。"
        "我会把这个请求标记为已解决，"
        "如果还有问题，直接回复即可重新打开。\n\n祝好，\n{agent}",
        "{name}您好：\n\n变更已经完成，我也确认过一切正常。如有其他需要请回复此邮件。\n\n{agent}",
        "{name}您好：\n\n感谢您的耐心等待，您的请求已经处理完毕。如果发现任何问题，请在几天内回复，"
        "我们会继续跟进。"
        "\n\n此致\n{agent}",
    ),
}
HOLD = {
    "en": (
        "Hi {name},\n\nWe're waiting on our supplier for this one. I've put your request on "
        "hold and will update you as soon as I hear back.\n\n{agent}",
        "Hi {name},\n\nThe replacement part has been ordered and should arrive within a "
        "week. I'll keep this request on hold until then.\n\n{agent}",
    ),
    "ar": (
        "مرحباً {name}،\n\nننتظر رداً من المورّد بخصوص هذا الطلب. وضعتُ الطلب قيد الانتظار "
        "وسأوافيك فور وصول الرد.\n\n{agent}",
        "مرحباً {name}،\n\nتم طلب القطعة البديلة ومن المتوقع وصولها خلال أسبوع. سيبقى الطلب قيد "
        "الانتظار حتى ذلك الحين.\n\n{agent}",
    ),
    "zh-hans": (
        "{name}您好：\n\n这个问题需要等供应商回复，请求暂时挂起，一有消息我会马上通知您。"
        "\n\n{agent}",
        "{name}您好：\n\n替换的配件已经下单，预计一周内到货，在此之前这个请求会先挂起。\n\n{agent}",
    ),
}
NOTES = {
    "en": (
        "Checked the logs: the errors started after last night's patch.",
        "Known issue, same as the related ticket. Workaround sent to the requester.",
        "Called the requester, they'll send more details by email.",
        "Vendor case opened, reference #{case}. Answer expected within 2 business days.",
        "Approval received from the line manager by phone.",
        "Tried a remote session, user wasn't available. Will retry tomorrow morning.",
    ),
    "ar": (
        "راجعت السجلات: بدأت الأخطاء بعد تحديث الليلة الماضية.",
        "مشكلة معروفة، مثل الطلب المرتبط. تم إرسال حل مؤقت لصاحب الطلب.",
        "اتصلت بصاحب الطلب وسيرسل تفاصيل إضافية عبر البريد.",
        "تم فتح طلب لدى المورّد برقم #{case}. الرد متوقع خلال يومي عمل.",
        "حاولت الاتصال عن بُعد لكن المستخدم لم يكن متاحاً. سأحاول صباح الغد.",
    ),
    "zh-hans": (
        "查了日志：错误是昨晚打补丁之后开始的。",
        "已知问题，和关联工单一样，已把临时解决办法发给用户。",
        "已给用户打电话，他会通过邮件补充细节。",
        "已向供应商提交工单，编号 #{case}，预计两个工作日内回复。",
        "尝试远程协助，但用户不在，明早再试。",
    ),
}
VIP_NOTE = {
    "en": "VIP customer: please keep the response time short.",
    "ar": "عميل مهم: يرجى الرد بسرعة.",
    "zh-hans": "VIP客户：请尽快响应。",
}
ESCALATE_NOTE = {
    "en": "Escalating to {team}: this needs more than a first-line fix.",
    "ar": "تصعيد الطلب إلى فريق {team}: يحتاج إلى أكثر من حل من المستوى الأول.",
    "zh-hans": "升级到{team}：一线无法解决。",
}
HOLD_NOTE = {
    "en": "On hold until the vendor replies (case #{case}).",
    "ar": "قيد الانتظار حتى يرد المورّد (طلب رقم #{case}).",
    "zh-hans": "挂起，等待供应商回复（工单号 #{case}）。",
}
MERGE_NOTE = {
    "en": "Merged duplicate {number} into this ticket.",
    "ar": "تم دمج الطلب المكرر {number} في هذا الطلب.",
    "zh-hans": "已将重复工单 {number} 合并到本工单。",
}
DUPLICATE_INTRO = {
    "en": "I sent this earlier but haven't heard back, so trying again.",
    "ar": "أرسلت هذا الطلب سابقاً ولم يصلني رد، لذلك أعيد إرساله.",
    "zh-hans": "之前发过一次但还没收到回复，所以再发一次。",
}

# Final status by ticket age: (max age in days, weights for STATUS_ORDER).
STATUS_ORDER = (
    Status.NEW,
    Status.OPEN,
    Status.PENDING,
    Status.ON_HOLD,
    Status.SOLVED,
    Status.CLOSED,
)
STATUS_BY_AGE = (
    (1, (35, 35, 15, 5, 10, 0)),
    (6, (8, 30, 20, 10, 32, 0)),
    (DAYS + 2, (2, 8, 8, 5, 17, 60)),
)
# A solved ticket closes itself this many days later (the usual automation).
CLOSE_AFTER_DAYS = (3.0, 4.0)
TICKET_TIME_FIELDS = ("created_at", "updated_at", "first_response_at", "solved_at", "closed_at")


# ---------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------


@dataclass
class Person:
    user: User
    language: str
    greet: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class DeskSetup:
    spec: DeskSpec
    desk: Desk
    teams: dict[str, Team]
    categories: dict[str, Category]
    team_agents: dict[str, list[User]]
    editors: list[User]
    note_takers: list[User]
    supervisor: User


@dataclass
class Story:
    """One primary ticket: what it is about and how its life goes."""

    setup: DeskSetup
    template: Template
    requester: Person
    created: datetime
    channel: str
    values: dict[str, str]
    target: str = Status.NEW
    duplicate: bool = False
    ticket: Ticket | None = None
    team: Team | None = None
    assignee: User | None = None


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _greeting_name(name: str, language: str) -> str:
    return name if language == "zh-hans" else name.split()[0]


class DemoBuilder:
    def __init__(self, rng: random.Random, now: datetime, tickets: int) -> None:
        self.rng = rng
        # Everything the services write is stamped at or after this moment; everything
        # simulated lies before it, which is how rows still to backdate are found.
        self.now = now
        self.count = tickets
        self.setups: dict[str, DeskSetup] = {}
        self.agents: list[tuple[User, str]] = []
        self.agent_language: dict[int, str] = {}
        self.employees: dict[str, list[Person]] = {}
        self.customers: dict[str, list[Person]] = {}
        self.stories: list[Story] = []
        self.links = 0
        self.merges = 0

    # -- people and desks -----------------------------------------------------------

    def build_setup(self) -> User:
        setup_time = self.now - timedelta(days=DAYS + 30)
        admin = create_admin(ADMIN_EMAIL, PASSWORD, name="Demo Admin")
        # One hash for every demo login: hashing is deliberately slow.
        password_hash = admin.password

        for name, domains, shared, notes in ORGANIZATIONS:
            # Kept by a reset when non-demo people still belong to it.
            Organization.objects.update_or_create(
                name=name, defaults={"domains": domains, "shared_tickets": shared, "notes": notes}
            )

        users: dict[str, User] = {}
        for name, local, language, _roles, _teams in AGENTS:
            email = f"{local}@{AGENT_DOMAIN}"
            # Kept by a reset only when they asked for help on a desk of their own.
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email,
                name=name,
                language=language,
                time_zone=TIME_ZONES[language],
                is_employee=True,
            )
            users[local] = user
            self.agent_language[user.pk] = language
        User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
            password=password_hash, created_at=setup_time
        )

        for spec in DESKS:
            desk = create_desk(
                name=spec.name,
                slug=spec.slug,
                prefix=spec.prefix,
                visibility=spec.visibility,
                description=spec.description,
                actor=admin,
            )
            teams = {
                slug: create_team(desk, name=name, slug=slug, tier=tier, actor=admin)
                for name, slug, tier in spec.teams
            }
            categories: dict[str, Category] = {}
            for top_name, top_slug, children in spec.categories:
                top = create_category(desk, name=top_name, slug=top_slug)
                categories[top_slug] = top
                for child_name, child_slug in children:
                    child = create_category(desk, name=child_name, slug=child_slug, parent=top)
                    categories[child.path] = child
            for position, (key, label, kind, choices) in enumerate(spec.fields):
                CustomField.objects.create(
                    desk=desk,
                    key=key,
                    label=label,
                    field_type=kind,
                    choices=list(choices),
                    position=position,
                )
            team_agents: dict[str, list[User]] = {slug: [] for slug in teams}
            editors: list[User] = []
            note_takers: list[User] = []
            supervisor: User | None = None
            for _name, local, _language, roles, agent_teams in AGENTS:
                role = roles.get(spec.slug)
                if role is None:
                    continue
                user = users[local]
                set_desk_role(desk, user, role, actor=admin)
                note_takers.append(user)
                if role != Role.LIGHT_AGENT:
                    editors.append(user)
                if role == Role.SUPERVISOR:
                    supervisor = user
                for team_slug in agent_teams.get(spec.slug, ()):
                    TeamMembership.objects.create(team=teams[team_slug], user=user)
                    team_agents[team_slug].append(user)
            assert supervisor is not None, spec.slug
            self.setups[spec.slug] = DeskSetup(
                spec, desk, teams, categories, team_agents, editors, note_takers, supervisor
            )
        Desk.objects.filter(pk__in=[s.desk.pk for s in self.setups.values()]).update(
            created_at=setup_time
        )
        Organization.objects.filter(name__in=[o[0] for o in ORGANIZATIONS]).update(
            created_at=setup_time
        )
        AuditEntry.objects.filter(
            action__in=["desk.created", "team.created", "desk.role_set"],
            created_at__gte=self.now,
        ).update(created_at=setup_time)

        for local, user in users.items():
            roles = next(a[3] for a in AGENTS if a[1] == local)
            self.agents.append((user, ", ".join(f"{d}: {r}" for d, r in roles.items())))
        self._build_requesters()
        return admin

    def _build_requesters(self) -> None:
        rng = self.rng
        counter = 1000
        for language in LANGUAGES:
            people: list[Person] = []
            for index, (name, local) in enumerate(EMPLOYEES[language]):
                counter += 1
                user = get_or_create_requester(
                    f"{local}@{EMPLOYEE_DOMAIN}", name, language=language
                )
                attributes = {
                    "employee_id": f"MG-{counter}",
                    "office": rng.choice(OFFICES[language]),
                    "operating_system": rng.choice(("Windows 11", "Windows 11", "macOS")),
                    "asset": f"LT-{rng.randrange(10000, 99999)}",
                }
                User.objects.filter(pk=user.pk).update(
                    is_employee=True,
                    time_zone=TIME_ZONES[language],
                    phone=f"{PHONE_PREFIX[language]}{100 + index:03d}",
                    created_at=self.now - timedelta(days=rng.randrange(DAYS + 40, 900)),
                )
                people.append(Person(user, language, _greeting_name(name, language), attributes))
            self.employees[language] = people

            people = []
            for index, (name, email) in enumerate(CUSTOMERS[language]):
                user = get_or_create_requester(email, name, language=language)
                attributes = {
                    "plan": rng.choice(("Free", "Starter", "Business", "Business", "Enterprise")),
                    "vip": "yes" if email.endswith(VIP_DOMAINS) else "",
                }
                User.objects.filter(pk=user.pk).update(
                    time_zone=TIME_ZONES[language],
                    phone=f"{PHONE_PREFIX[language]}{500 + index:03d}",
                    created_at=self.now - timedelta(days=rng.randrange(DAYS + 10, 700)),
                )
                people.append(Person(user, language, _greeting_name(name, language), attributes))
            self.customers[language] = people

    # -- planning ---------------------------------------------------------------------

    def plan(self) -> None:
        rng = self.rng
        duplicates = self.count // 40 if self.count >= 20 else 0
        primaries = self.count - duplicates
        desk_slugs = list(DESK_WEIGHTS)
        for _ in range(primaries):
            slug = rng.choices(desk_slugs, weights=[DESK_WEIGHTS[s] for s in desk_slugs])[0]
            setup = self.setups[slug]
            language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
            pool = (
                self.employees if setup.spec.visibility == Visibility.INTERNAL else self.customers
            )
            requester = rng.choice(pool[language])
            template = rng.choice(REQUESTS[slug])
            channel = rng.choices(
                [c for c, _ in setup.spec.channels], weights=[w for _, w in setup.spec.channels]
            )[0]
            created = self._created_time(language)
            values = {
                "asset": requester.attributes.get("asset") or f"LT-{rng.randrange(10000, 99999)}",
                "floor": str(rng.randrange(2, 13)),
                "room": f"{rng.choice('ABC')}-{rng.randrange(1, 13)}{rng.randrange(1, 30):02d}",
                "invoice": f"INV-{created.year}-{rng.randrange(100, 9999):04d}",
                "order": f"ORD-{rng.randrange(100000, 999999)}",
                "date": (created + timedelta(days=rng.randrange(5, 21))).date().isoformat(),
                "amount": f"{rng.choice(('USD', 'AED', 'CNY', 'GBP'))} "
                f"{rng.randrange(19, 2400)}.{rng.choice(('00', '50', '99'))}",
                "case": str(rng.randrange(100000, 999999)),
            }
            self.stories.append(Story(setup, template, requester, created, channel, values))
        self.stories.sort(key=lambda s: s.created)

        for story in self.stories:
            age_days = (self.now - story.created).total_seconds() / 86400
            weights = next(w for limit, w in STATUS_BY_AGE if age_days < limit)
            story.target = rng.choices(STATUS_ORDER, weights=weights)[0]
        self._cover_statuses()
        for story in self.stories:
            if story.target == Status.NEW and story.channel == "phone":
                # An agent who logs a call assigns it, which opens the ticket.
                story.channel = "web"
        hosts = [
            s
            for s in self.stories
            if s.target != Status.NEW and (self.now - s.created) > timedelta(days=1)
        ]
        for story in rng.sample(hosts, min(duplicates, len(hosts))):
            story.duplicate = True

    def _created_time(self, language: str) -> datetime:
        """A moment in the last DAYS days, in the requester's working hours mostly."""
        rng = self.rng
        day = rng.randrange(0, DAYS)
        hour = rng.choices(
            range(24), weights=[1] * 7 + [6, 10, 12, 12, 10, 8] + [10] * 4 + [6, 3, 2] + [1] * 4
        )[0]
        minute, second = rng.randrange(60), rng.randrange(60)
        keep_weekend = rng.random() < 0.15
        local_day = (self.now + timedelta(hours=UTC_OFFSET[language]) - timedelta(days=day)).date()
        weekend = (4, 5) if language == "ar" else (5, 6)
        if local_day.weekday() in weekend and not keep_weekend:
            local_day -= timedelta(days=local_day.weekday() - weekend[0] + 1)
        local = datetime.combine(local_day, clock(hour, minute, second), tzinfo=self.now.tzinfo)
        moment = local - timedelta(hours=UTC_OFFSET[language])
        while moment > self.now - timedelta(minutes=20):
            moment -= timedelta(days=1)
        return moment

    def _cover_statuses(self) -> None:
        """Small runs still show every status (closing needs an old enough ticket)."""
        if len(self.stories) < 2 * len(STATUS_ORDER):
            return
        for status in STATUS_ORDER:
            if any(s.target == status for s in self.stories):
                continue
            counts = {st: sum(1 for s in self.stories if s.target == st) for st in STATUS_ORDER}
            min_age = timedelta(days=6) if status == Status.CLOSED else timedelta(0)
            candidates = [
                s for s in self.stories if counts[s.target] > 1 and self.now - s.created > min_age
            ]
            if candidates:
                most = max(counts[s.target] for s in candidates)
                choice = self.rng.choice([s for s in candidates if counts[s.target] == most])
                choice.target = status

    # -- running ----------------------------------------------------------------------

    def run(self) -> None:
        previous: list[Story] = []
        for index, story in enumerate(self.stories):
            force_link = self.links == 0 and index >= len(self.stories) // 2
            self._live(story, previous, force_link=force_link)
            previous.append(story)

    def _steps(self, story: Story) -> list[str]:
        rng = self.rng
        steps: list[str] = []
        if story.duplicate:
            steps.append("duplicate")
        if story.target == Status.NEW:
            if rng.random() < 0.3:
                steps.append("chase")
            if rng.random() < 0.2:
                steps.append("note")
            return steps
        steps.append("triage")
        if story.duplicate:
            steps.append("merge")
        if story.requester.attributes.get("vip"):
            steps.append("vip_note")
        elif rng.random() < 0.3:
            steps.append("note")
        ack = rng.random() < 0.6
        if ack:
            steps.append("ack")
        rounds = rng.choices((0, 1, 2), weights=(45, 40, 15))[0]
        if not ack:
            rounds = max(rounds, 1)
        conversation = ["ask", "answer"] * rounds
        if rng.random() < 0.18 and len(story.setup.teams) > 1:
            conversation.insert(rng.randrange(0, len(conversation) + 1), "escalate")
        steps += conversation
        if story.target == Status.OPEN:
            if rng.random() < 0.3:
                steps.append("chase")
        elif story.target == Status.PENDING:
            steps.append("ask")
        elif story.target == Status.ON_HOLD:
            steps += ["hold_note", "hold"]
        else:
            if rng.random() < 0.4:
                steps.append("confirm")
            steps.append("solve")
            if story.target == Status.CLOSED:
                steps.append("close")
        return steps

    def _schedule(self, story: Story, steps: list[str]) -> list[datetime]:
        """Increasing moments for the steps, all in the past."""
        rng = self.rng
        age = (self.now - story.created).total_seconds()
        closing = bool(steps) and steps[-1] == "close"
        work = [s for s in steps if s not in ("duplicate", "close")]
        if story.target == Status.NEW:
            span = rng.uniform(600, 86400)
        else:
            # Log-uniform between 30 minutes and a week.
            span = math.exp(rng.uniform(math.log(1800), math.log(7 * 86400)))
        room = age - CLOSE_AFTER_DAYS[1] * 86400 - 3600 if closing else age - 120
        span = max(60.0, min(span, room * 0.95))
        offsets = sorted(rng.uniform(0.05, 1.0) * span for _ in work)
        moments: list[datetime] = []
        work_iter = iter(offsets)
        last = story.created
        for step in steps:
            if step == "duplicate":
                moment = story.created + timedelta(seconds=rng.uniform(0.005, 0.04) * span)
            elif step == "close":
                moment = last + timedelta(days=rng.uniform(*CLOSE_AFTER_DAYS))
            else:
                moment = story.created + timedelta(seconds=next(work_iter))
            moment = max(moment, last + timedelta(seconds=1))
            moment = min(moment, self.now - timedelta(seconds=1))
            moments.append(moment)
            last = moment
        return moments

    def _pick_agent(self, setup: DeskSetup, team: Team, language: str) -> User:
        pool = setup.team_agents.get(team.slug) or setup.editors
        weights = [4 if self.agent_language[u.pk] == language else 1 for u in pool]
        return self.rng.choices(pool, weights=weights)[0]

    def _backdate(self, ticket_ids: list[int], when: datetime, *, extras: bool = False) -> None:
        """Move what the last step wrote (stamped at or after self.now) back to `when`.

        Plain UPDATEs: this runs after every step, and the same updates through the ORM
        cost a third of the whole command in query compilation.
        """
        ops = connection.ops
        cutoff = ops.adapt_datetimefield_value(self.now)
        moment = ops.adapt_datetimefield_value(when)
        marks = ", ".join(["%s"] * len(ticket_ids))
        ids = list(ticket_ids)
        ticket_sets = ", ".join(
            f"{name} = CASE WHEN {name} >= %s THEN %s ELSE {name} END"
            for name in TICKET_TIME_FIELDS
        )
        statements = [
            (
                f"UPDATE {_table(Ticket)} SET {ticket_sets} WHERE id IN ({marks})",  # noqa: S608
                [cutoff, moment] * len(TICKET_TIME_FIELDS) + ids,
            ),
            (
                f"UPDATE {_table(TicketEvent)} SET created_at = %s "  # noqa: S608
                f"WHERE ticket_id IN ({marks}) AND created_at >= %s",
                [moment, *ids, cutoff],
            ),
            (
                f"UPDATE {_table(Message)} SET created_at = %s "  # noqa: S608
                f"WHERE ticket_id IN ({marks}) AND created_at >= %s",
                [moment, *ids, cutoff],
            ),
        ]
        if extras:
            statements += [
                (
                    f"UPDATE {_table(TicketFollower)} SET created_at = %s "  # noqa: S608
                    f"WHERE ticket_id IN ({marks}) AND created_at >= %s",
                    [moment, *ids, cutoff],
                ),
                (
                    f"UPDATE {_table(TicketLink)} SET created_at = %s "  # noqa: S608
                    f"WHERE (source_id IN ({marks}) OR target_id IN ({marks})) "
                    "AND created_at >= %s",
                    [moment, *ids, *ids, cutoff],
                ),
            ]
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)

    def _requester_channel(self, story: Story) -> str:
        return (
            story.channel if story.channel in ("email", "web", "chat", "sms", "social") else "email"
        )

    def _agent_channel(self, story: Story) -> str:
        return story.channel if story.channel in ("chat", "sms", "social") else Channel.AGENT

    def _reply_subject(self, story: Story) -> str:
        return f"Re: {story.ticket.subject}" if story.channel == "email" else ""  # type: ignore[union-attr]

    def _custom_fields(self, story: Story) -> dict[str, Any]:
        attrs = story.requester.attributes
        slug = story.setup.spec.slug
        category = story.template.category
        if slug == "it":
            values: dict[str, Any] = {"operating_system": attrs["operating_system"]}
            if category.startswith("hardware") or "{asset}" in story.template.en[1]:
                values["asset_tag"] = story.values["asset"]
            return values
        if slug == "support":
            values = {"plan": attrs["plan"]}
            if category.startswith("shipping") or category == "billing/refund":
                values["order_number"] = story.values["order"]
            return values
        return {"employee_id": attrs["employee_id"], "office": attrs["office"]}

    def _open(self, story: Story, *, duplicate_of: Story | None = None) -> Ticket:
        rng = self.rng
        template = story.template
        setup = story.setup
        language = story.requester.language
        subject, body = template.text(language)
        subject = subject.format(**story.values)
        body = body.format(**story.values)
        channel = story.channel
        if duplicate_of is not None:
            channel = "email" if story.channel != "email" else "web"
            body = f"{DUPLICATE_INTRO[language]}\n\n{body}"
        # Forms and agents fill in the details; mail and chat arrive bare and are triaged.
        detailed = channel in ("web", "phone", "api")
        impact = template.impact
        urgency = template.urgency
        if rng.random() < 0.25:
            urgency = rng.choice(("low", "medium", "high"))
        kwargs: dict[str, Any] = {}
        actor = None
        if detailed:
            kwargs.update(
                category=setup.categories[template.category],
                ticket_type=template.ticket_type,
                tags=list(template.tags),
                custom_fields=self._custom_fields(story),
            )
        if story.requester.attributes.get("vip"):
            kwargs["tags"] = [*kwargs.get("tags", []), "vip"]
        if channel == "phone" and duplicate_of is None:
            team = setup.teams[template.team or setup.spec.teams[0][1]]
            agent = self._pick_agent(setup, team, language)
            kwargs.update(team=team, assignee=agent, tier=team.tier)
            actor = agent
            story.team, story.assignee = team, agent
        if rng.random() < 0.08 and duplicate_of is None:
            colleagues = [
                p
                for p in (
                    self.employees
                    if setup.spec.visibility == Visibility.INTERNAL
                    else self.customers
                )[language]
                if p.user.organization_id
                and p.user.organization_id == story.requester.user.organization_id
                and p.user.pk != story.requester.user.pk
            ]
            if colleagues:
                kwargs["followers"] = [rng.choice(colleagues).user]
        headers = {}
        if channel == "email":
            domain = story.requester.user.email.rpartition("@")[2]
            headers = {"Message-ID": f"<{rng.getrandbits(64):016x}@{domain}>"}
        return open_ticket(
            desk=setup.desk,
            subject=subject,
            requester=story.requester.user,
            body_text=body,
            actor=actor,
            channel=channel,
            impact=impact,
            urgency=urgency,
            source_headers=headers,
            **kwargs,
        )

    def _live(self, story: Story, previous: list[Story], *, force_link: bool) -> None:
        rng = self.rng
        setup = story.setup
        language = story.requester.language
        requester = story.requester.user
        ticket = self._open(story)
        story.ticket = ticket
        self._backdate([ticket.pk], story.created, extras=True)

        steps = self._steps(story)
        moments = self._schedule(story, steps)
        duplicate: Ticket | None = None

        def reply(pieces: dict[str, tuple[str, ...]], *, status: str | None = None) -> None:
            agent = story.assignee
            assert agent is not None
            text = rng.choice(pieces[language]).format(name=story.requester.greet, agent=agent.name)
            add_message(
                ticket,
                actor=agent,
                body_text=text,
                channel=self._agent_channel(story),
                subject=self._reply_subject(story),
            )
            if status is not None:
                update_ticket(ticket, actor=agent, changes={"status": status})

        def requester_says(pieces: dict[str, tuple[str, ...]]) -> None:
            add_message(
                ticket,
                actor=requester,
                body_text=rng.choice(pieces[language]),
                channel=self._requester_channel(story),
                subject=self._reply_subject(story),
            )

        def note(text: str, author: User | None = None) -> None:
            author = author or story.assignee or rng.choice(setup.note_takers)
            add_message(ticket, actor=author, body_text=text, internal=True, channel=Channel.AGENT)

        def note_text(pieces: dict[str, Any], author: User, **values: str) -> str:
            piece = pieces[self.agent_language[author.pk]]
            if isinstance(piece, tuple):
                piece = rng.choice(piece)
            return piece.format(case=story.values["case"], **values)

        for step, moment in zip(steps, moments, strict=True):
            touched = [ticket.pk]
            extras = False
            if step == "duplicate":
                duplicate = self._open(story, duplicate_of=story)
                touched = [duplicate.pk]
            elif step == "triage":
                extras = self._triage(story, previous, force_link=force_link)
            elif step == "merge":
                assert duplicate is not None
                merge_tickets(duplicate, ticket, actor=story.assignee)
                note(note_text(MERGE_NOTE, story.assignee, number=duplicate.number))  # type: ignore[arg-type]
                touched = [ticket.pk, duplicate.pk]
                extras = True
                self.merges += 1
            elif step == "vip_note":
                note(VIP_NOTE[self.agent_language[setup.supervisor.pk]], setup.supervisor)
            elif step == "note":
                author = (
                    story.assignee
                    if story.assignee is not None and rng.random() < 0.7
                    else rng.choice(setup.note_takers)
                )
                note(note_text(NOTES, author), author)
            elif step == "chase":
                requester_says(CHASE)
            elif step == "ack":
                reply(ACK)
            elif step == "ask":
                reply(ASK, status=Status.PENDING)
            elif step == "answer":
                requester_says(ANSWER)
            elif step == "confirm":
                requester_says(CONFIRM)
            elif step == "escalate":
                self._escalate(story, note, note_text)
            elif step == "hold_note":
                assert story.assignee is not None
                note(note_text(HOLD_NOTE, story.assignee))
            elif step == "hold":
                reply(HOLD, status=Status.ON_HOLD)
            elif step == "solve":
                reply(SOLVE, status=Status.SOLVED)
            elif step == "close":
                update_ticket(ticket, actor=None, changes={"status": Status.CLOSED})
            self._backdate(touched, moment, extras=extras)

    def _triage(self, story: Story, previous: list[Story], *, force_link: bool) -> bool:
        """Categorize, assign and tag; maybe link. Returns whether links/followers changed."""
        rng = self.rng
        setup = story.setup
        ticket = story.ticket
        assert ticket is not None
        template = story.template
        language = story.requester.language
        changes: dict[str, Any] = {}
        if ticket.category_id is None:
            changes["category"] = template.category
            changes["type"] = template.ticket_type
            changes["add_tags"] = list(template.tags)
            changes["custom_fields"] = self._custom_fields(story)
        if story.assignee is None:
            team = setup.teams[template.team or setup.spec.teams[0][1]]
            story.team = team
            story.assignee = self._pick_agent(setup, team, language)
            changes["team"] = team.slug
            changes["assignee"] = story.assignee.email
            if team.tier != ticket.tier:
                changes["tier"] = team.tier
        if rng.random() < 0.15:
            changes["impact"] = rng.choice(("low", "medium", "high"))
        if rng.random() < 0.05:
            changes["priority"] = "urgent"
        actor = setup.supervisor if rng.random() < 0.5 else story.assignee
        if changes:
            update_ticket(ticket, actor=actor, changes=changes)
        extras = False
        if rng.random() < 0.04:
            watchers = [u for u in setup.note_takers if u.pk != story.assignee.pk]  # type: ignore[union-attr]
            if watchers:
                add_follower(ticket, rng.choice(watchers), actor=actor)
                extras = True
        # A problem is the parent of the recent incidents it explains.
        if template.ticket_type == TicketType.PROBLEM:
            top = template.category.split("/")[0]
            incidents = [
                s.ticket
                for s in previous
                if s.setup is setup
                and s.ticket is not None
                and s.template.ticket_type == TicketType.INCIDENT
                and s.template.category.split("/")[0] == top
                and story.created - s.created < timedelta(days=30)
            ][-3:]
            for incident in incidents:
                link_tickets(ticket, incident, "parent", actor=story.assignee)
                self.links += 1
                extras = True
        if force_link or rng.random() < 0.05:
            same_requester = [
                s.ticket
                for s in previous
                if s.requester is story.requester and s.ticket is not None and s.setup is setup
            ]
            same_topic = [
                s.ticket
                for s in previous
                if s.setup is setup
                and s.ticket is not None
                and s.template.category == template.category
            ]
            pool = same_requester or same_topic
            if not pool and force_link:
                pool = [s.ticket for s in previous if s.setup is setup and s.ticket is not None]
            if pool:
                link_tickets(ticket, rng.choice(pool[-5:]), "related", actor=story.assignee)
                self.links += 1
                extras = True
        return extras

    def _escalate(self, story: Story, note: Any, note_text: Any) -> None:
        setup = story.setup
        current = story.team.tier if story.team is not None else 1
        higher = [t for t in setup.teams.values() if t.tier > current]
        if not higher:
            return
        team = self.rng.choice(higher)
        previous_agent = story.assignee
        assert previous_agent is not None
        note(note_text(ESCALATE_NOTE, previous_agent, team=team.name), previous_agent)
        agent = self._pick_agent(setup, team, story.requester.language)
        changes: dict[str, Any] = {"team": team.slug, "assignee": agent.email, "tier": team.tier}
        if self.rng.random() < 0.5:
            changes["urgency"] = "high"
        update_ticket(story.ticket, actor=previous_agent, changes=changes)  # type: ignore[arg-type]
        story.team, story.assignee = team, agent


# ---------------------------------------------------------------------------------
# Reset
# ---------------------------------------------------------------------------------


def demo_emails() -> list[str]:
    emails = [ADMIN_EMAIL] + [f"{a[1]}@{AGENT_DOMAIN}" for a in AGENTS]
    for people in EMPLOYEES.values():
        emails += [f"{local}@{EMPLOYEE_DOMAIN}" for _, local in people]
    for people in CUSTOMERS.values():
        emails += [email for _, email in people]
    return emails


def delete_demo_data() -> int:
    """Delete the demo desks with their tickets, and demo people no one else needs."""
    desks = Desk.objects.filter(slug__in=[d.slug for d in DESKS])
    deleted = Ticket.objects.filter(desk__in=desks).delete()[0]
    deleted += desks.delete()[0]
    # Requesters still asking on other desks stay (their tickets protect them).
    deleted += User.objects.filter(
        email__in=demo_emails(), requested_tickets__isnull=True
    ).delete()[0]
    deleted += Organization.objects.filter(
        name__in=[o[0] for o in ORGANIZATIONS], members__isnull=True
    ).delete()[0]
    tag_names = {t for r in REQUESTS.values() for tpl in r for t in tpl.tags} | {"vip"}
    deleted += Tag.objects.filter(name__in=tag_names, tickettag__isnull=True).delete()[0]
    return deleted


# ---------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Load demo data: 3 desks (it, support, hr), agents, requesters and tickets in "
        "English, Arabic and Chinese. Refuses if the demo desks exist; --reset deletes "
        "them (with their tickets) first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets", type=int, default=300, help="how many tickets (default 300)"
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="random seed; same seed, same data"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo desks, their tickets and the demo people first",
        )

    def handle(self, *args: object, **options: Any) -> None:
        count = int(options["tickets"])
        if not 0 <= count <= 100_000:
            raise CommandError("--tickets must be between 0 and 100000")
        started = time.monotonic()
        slugs = [d.slug for d in DESKS]
        blocking = Desk.objects.filter(prefix__in=[d.prefix for d in DESKS]).exclude(slug__in=slugs)
        if blocking.exists():
            names = ", ".join(f"{d.slug} ({d.prefix})" for d in blocking)
            raise CommandError(
                f"desk {names} uses a ticket prefix the demo needs (IT, SUP, HR); "
                "the demo only loads into an install without them"
            )
        existing = sorted(Desk.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if existing and not options["reset"]:
            raise CommandError(
                f"demo desks already exist ({', '.join(existing)}); run `deskline demo "
                "--reset` to delete them with all their tickets and load the demo again"
            )
        agents = [f"{a[1]}@{AGENT_DOMAIN}" for a in AGENTS]
        if User.objects.filter(email__in=agents).exists() and not options["reset"]:
            raise CommandError(
                f"demo agents (@{AGENT_DOMAIN}) already exist; run `deskline demo --reset` "
                "to delete the demo data and load it again"
            )
        now = timezone.now()
        builder = DemoBuilder(random.Random(options["seed"]), now, count)
        try:
            # The demo is whole when the command ends: SLA clocks, routing and search
            # run now rather than in a worker that may not be running yet.
            with hooks.all_inline(), transaction.atomic():
                if options["reset"]:
                    removed = delete_demo_data()
                    if removed:
                        self.stdout.write(f"deleted the previous demo data ({removed} rows)")
                builder.build_setup()
                builder.plan()
                builder.run()
                set_up_service_levels(builder.setups, builder.agent_language)
        except (ValidationError, Conflict) as exc:
            raise CommandError(f"demo data could not be loaded: {exc}") from exc
        if options["verbosity"] >= 1:
            self._summary(builder, time.monotonic() - started)

    def _summary(self, builder: DemoBuilder, seconds: float) -> None:
        write = self.stdout.write
        desks = list(Desk.objects.filter(slug__in=[d.slug for d in DESKS]).order_by("pk"))
        counts = {
            (row["desk_id"], row["status"]): row["n"]
            for row in Ticket.objects.filter(desk__in=desks)
            .values("desk_id", "status")
            .annotate(n=Count("id"))
        }
        statuses = [s.value for s in STATUS_ORDER]
        write(f"Demo data loaded in {seconds:.1f}s.\n")
        write(f"{'desk':<24}" + "".join(f"{s:>9}" for s in statuses) + f"{'total':>9}")
        for desk in desks:
            row = [counts.get((desk.pk, s), 0) for s in statuses]
            write(
                f"{desk.name + ' (' + desk.prefix + ')':<24}"
                + "".join(f"{n:>9}" for n in row)
                + f"{sum(row):>9}"
            )
        tickets = Ticket.objects.filter(desk__in=desks)
        write(
            f"\n{tickets.count()} tickets, "
            f"{Message.objects.filter(ticket__in=tickets).count()} messages, "
            f"{TicketEvent.objects.filter(ticket__in=tickets).count()} events, "
            f"{builder.merges} merges, {builder.links} links, "
            f"{sum(len(p) for p in builder.employees.values())} employees and "
            f"{sum(len(p) for p in builder.customers.values())} customers in "
            f"{len(ORGANIZATIONS)} organizations.\n"
        )
        write(f'Sign in at /login/ with the password "{PASSWORD}":')
        write(f"  {ADMIN_EMAIL:<32} admin")
        for user, roles in builder.agents:
            write(f"  {user.email:<32} {user.name} ({roles})")
