"""The closed vocabularies of a 12345 work order, each value with its Chinese label.

Values are stable English identifiers stored in the database and used on the wire; labels are what
agents and citizens read. Adding a value is a data change here plus nothing else.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from enum import StrEnum

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time (no daylight saving): the default zone for numbers and working days."""


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """The Chinese label of this value."""
        return _LABELS[type(self)][self.value]


class Channel(_Labelled):
    """How the request reached the centre."""

    PHONE = "phone"
    WEB = "web"
    WECHAT = "wechat"
    EMAIL = "email"
    SIGN_LANGUAGE_VIDEO = "sign_language_video"
    POLICE_110 = "110"


class Category(_Labelled):
    """The six request categories (诉求类型)."""

    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class Urgency(_Labelled):
    """一般 / 紧急 / 特急."""

    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


class ContactPreference(_Labelled):
    """How the caller wants to be contacted for the reply and the callback."""

    ANY = "any"
    PHONE_ONLY = "phone_only"
    SMS_ONLY = "sms_only"
    NO_CONTACT = "no_contact"


class SpecialGroup(_Labelled):
    """Groups the centre serves with extra care (kept to human service, priority callback)."""

    NONE = "none"
    ELDERLY = "elderly"
    DISABLED = "disabled"
    OTHER = "other"


class Status(_Labelled):
    """Where a work order is in the closed loop; see ``tickets.machine`` for the transitions."""

    INTAKE = "intake"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    HANDLING = "handling"
    REPLIED = "replied"
    CALLBACK_DONE = "callback_done"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    RETURNED = "returned"
    MERGED = "merged"


class Event(_Labelled):
    """Something that happens to a work order and may move it to another status."""

    DISPATCH = "dispatch"
    ANSWER_DIRECTLY = "answer_directly"
    MERGE = "merge"
    SIGN = "sign"
    RETURN = "return"
    START_HANDLING = "start_handling"
    REPLY = "reply"
    CALL_BACK = "call_back"
    EVALUATE = "evaluate"
    CLOSE = "close"
    REDISPATCH = "redispatch"
    REDO = "redo"
    REOPEN = "reopen"
    HAND_DOWN = "hand_down"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    CALL_BACK_FAILED = "call_back_failed"
    CLOSE_UNREACHABLE = "close_unreachable"
    MERGE_IN = "merge_in"


class Satisfaction(_Labelled):
    """The citizen's evaluation (评价) at the revisit."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class ExtensionStatus(_Labelled):
    """Where a department's request for more time (延期申请) stands."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class TimeClass(_Labelled):
    """Which set of time limits applies to a dispatched order (see ``tickets.deadlines``)."""

    CRITICAL = "critical"
    URGENT = "urgent"
    GENERAL = "general"
    COMPLEX = "complex"


class DepartmentRole(_Labelled):
    """A department's part in handling an order."""

    MAIN = "main"
    ASSIST = "assist"


_LABELS: dict[type[StrEnum], dict[str, str]] = {
    Channel: {
        Channel.PHONE.value: "电话",
        Channel.WEB.value: "网站",
        Channel.WECHAT.value: "微信小程序",
        Channel.EMAIL.value: "电子邮件",
        Channel.SIGN_LANGUAGE_VIDEO.value: "手语视频",
        Channel.POLICE_110.value: "110转办",
    },
    Category: {
        Category.CONSULT.value: "咨询",
        Category.HELP.value: "求助",
        Category.COMPLAINT.value: "投诉",
        Category.REPORT.value: "举报",
        Category.SUGGESTION.value: "建议",
        Category.PRAISE.value: "表扬",
    },
    Urgency: {
        Urgency.NORMAL.value: "一般",
        Urgency.URGENT.value: "紧急",
        Urgency.CRITICAL.value: "特急",
    },
    ContactPreference: {
        ContactPreference.ANY.value: "电话或短信",
        ContactPreference.PHONE_ONLY.value: "仅电话",
        ContactPreference.SMS_ONLY.value: "仅短信",
        ContactPreference.NO_CONTACT.value: "无需联系",
    },
    SpecialGroup: {
        SpecialGroup.NONE.value: "无",
        SpecialGroup.ELDERLY.value: "老年人",
        SpecialGroup.DISABLED.value: "残疾人",
        SpecialGroup.OTHER.value: "其他特殊群体",
    },
    Status: {
        Status.INTAKE.value: "已受理",
        Status.DISPATCHED.value: "已派单",
        Status.SIGNED.value: "已签收",
        Status.HANDLING.value: "办理中",
        Status.REPLIED.value: "已答复",
        Status.CALLBACK_DONE.value: "已回访",
        Status.EVALUATED.value: "已评价",
        Status.CLOSED.value: "已办结",
        Status.RETURNED.value: "已退单",
        Status.MERGED.value: "已并单",
    },
    Event: {
        Event.DISPATCH.value: "派单",
        Event.ANSWER_DIRECTLY.value: "直接答复",
        Event.MERGE.value: "并单",
        Event.SIGN.value: "签收",
        Event.RETURN.value: "退单",
        Event.START_HANDLING.value: "开始办理",
        Event.REPLY.value: "答复",
        Event.CALL_BACK.value: "回访",
        Event.EVALUATE.value: "评价",
        Event.CLOSE.value: "办结",
        Event.REDISPATCH.value: "改派",
        Event.REDO.value: "重办",
        Event.REOPEN.value: "重新打开",
        Event.HAND_DOWN.value: "下派",
        Event.REQUEST_EXTENSION.value: "延期申请",
        Event.APPROVE_EXTENSION.value: "同意延期",
        Event.REFUSE_EXTENSION.value: "不同意延期",
        Event.CALL_BACK_FAILED.value: "回访未接通",
        Event.CLOSE_UNREACHABLE.value: "回访未果办结",
        Event.MERGE_IN.value: "并入工单",
    },
    Satisfaction: {
        Satisfaction.SATISFIED.value: "满意",
        Satisfaction.BASICALLY_SATISFIED.value: "基本满意",
        Satisfaction.DISSATISFIED.value: "不满意",
    },
    ExtensionStatus: {
        ExtensionStatus.REQUESTED.value: "待审核",
        ExtensionStatus.APPROVED.value: "已同意",
        ExtensionStatus.REFUSED.value: "未同意",
    },
    TimeClass: {
        TimeClass.CRITICAL.value: "危及生命财产安全",
        TimeClass.URGENT.value: "紧急（含水电气热）",
        TimeClass.GENERAL.value: "一般",
        TimeClass.COMPLEX.value: "复杂",
    },
    DepartmentRole: {
        DepartmentRole.MAIN.value: "主办",
        DepartmentRole.ASSIST.value: "协办",
    },
}

FIVE_ELEMENTS = ("who", "when", "where", "what", "how")
"""The five elements (五要素) in their canonical order."""

CATEGORIES_NEEDING_FIVE_ELEMENTS = frozenset({Category.COMPLAINT, Category.REPORT})
"""Complaints and reports are only accepted with all five elements filled in."""
